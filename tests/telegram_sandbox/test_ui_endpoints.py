"""The control endpoints behind the browser page: config, files, user search, the cheap poll, switches."""

import json

import pytest

from telegram_sandbox.media import fake_png
from tests.telegram_sandbox.conftest import ADMIN_KEY, TOKEN

pytestmark = pytest.mark.usefixtures("no_limits")


def get(sandbox, path: str, **params):
    """GET a control path; return (status, JSON or response)."""
    response = sandbox.session.get(sandbox.url + path, params=params, timeout=10)
    is_json = response.headers.get("Content-Type", "").startswith("application/json")
    return response.status_code, response.json() if is_json else response


def test_page_and_config(sandbox):
    status, page = get(sandbox, "/")
    assert status == 200 and 'data-testid="messages"' in page.text
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    status, script = get(sandbox, "/static/entities.js")
    assert status == 200 and "javascript" in script.headers["Content-Type"]
    status, config = get(sandbox, "/sandbox/config/ui")
    assert config["admin_key"] == ADMIN_KEY
    assert [bot["token"] for bot in config["bots"]] == [TOKEN]


def test_files_are_served_back_and_never_as_a_page(api, sandbox, user):
    photo = api("sendPhoto", style="query", chat_id=user["id"], photo="https://example.com/a.png").json()[
        "result"
    ]
    status, image = get(sandbox, f"/sandbox/files/{photo['photo'][-1]['file_id']}")
    assert status == 200 and image.headers["Content-Type"] == "image/png"
    assert image.content == fake_png()
    update = sandbox.send_media(user["id"], "document", file_name="evil.html", content=b"<script>1</script>")
    status, document = get(sandbox, f"/sandbox/files/{update['message']['document']['file_id']}")
    assert document.content == b"<script>1</script>"
    assert document.headers["Content-Type"] == "application/octet-stream"
    assert document.headers["Content-Disposition"] == 'attachment; filename="evil.html"'
    assert document.headers["Content-Security-Policy"].startswith("sandbox")
    assert get(sandbox, "/sandbox/files/nope")[0] == 404


def test_users_newest_first_and_search(sandbox):
    sandbox.create_users(120, start_id=1000, first_name_prefix="Sub ")
    sandbox.create_user("Zed", id=5000, username="zed_the_user")
    _, page = get(sandbox, "/sandbox/ui/users", offset=1, limit=2)
    assert page["total"] == 121 and [u["id"] for u in page["users"]] == [1119, 1118]
    _, found = get(sandbox, "/sandbox/ui/users", q="@ZED_the")
    assert [u["id"] for u in found["users"]] == [5000]
    _, by_id = get(sandbox, "/sandbox/ui/users", q="111", limit=3)
    assert by_id["total"] == 10 and [u["id"] for u in by_id["users"]] == [1119, 1118, 1117]


def test_poll_sends_the_chat_only_when_it_changed(api, sandbox, user):
    _, first = get(sandbox, "/sandbox/ui/poll", chat_id=user["id"], version="")
    assert first["chat"] == {"id": user["id"], "version": 0, "messages": []}
    sent = api("sendMessage", chat_id=user["id"], text="hi").json()["result"]
    _, changed = get(sandbox, "/sandbox/ui/poll", chat_id=user["id"], version=0, answers=-1)
    version = changed["chat"]["version"]
    assert [m["text"] for m in changed["chat"]["messages"]] == ["hi"]
    assert "answers" not in changed and changed["answers_next"] == 0
    _, same = get(sandbox, "/sandbox/ui/poll", chat_id=user["id"], version=version)
    assert "messages" not in same["chat"]
    api("deleteMessage", chat_id=user["id"], message_id=sent["message_id"])
    _, deleted = get(sandbox, "/sandbox/ui/poll", chat_id=user["id"], version=version)
    assert deleted["chat"]["messages"] == [] and deleted["chat"]["version"] > version
    assert deleted["panel"]["sent"] == 1 and deleted["panel"]["limits"] == "off"


def test_poll_reports_callback_answers_of_this_chat(api, sandbox, user):
    keyboard = json.dumps({"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]})
    sent = api("sendMessage", chat_id=user["id"], text="q", reply_markup=keyboard).json()["result"]
    _, before = get(sandbox, "/sandbox/ui/poll", chat_id=user["id"], answers=-1)
    query = sandbox.press(user["id"], sent["message_id"], "a")["callback_query"]
    api("answerCallbackQuery", callback_query_id=query["id"], text="done")
    _, after = get(sandbox, "/sandbox/ui/poll", chat_id=user["id"], answers=before["answers_next"])
    assert [a["text"] for a in after["answers"]] == ["done"]
    assert after["answers_next"] == before["answers_next"] + 1


def test_strict_limits_switch_and_removing_one_fault(sandbox):
    response = sandbox.session.put(sandbox.url + "/sandbox/ui/strict_limits", json={"enabled": True})
    assert response.json()["limits"]["global_rate"] == 5.0
    assert get(sandbox, "/sandbox/ui/poll")[1]["panel"]["limits"] == "strict"
    sandbox.session.put(sandbox.url + "/sandbox/ui/strict_limits", json={"enabled": False})
    assert get(sandbox, "/sandbox/ui/poll")[1]["panel"]["limits"] == "off"  # the default here
    first = sandbox.add_fault("sendMessage", "error")
    sandbox.add_fault("sendMessage", "drop")
    assert sandbox.session.delete(f"{sandbox.url}/sandbox/faults/{first['id']}").json() == {
        "removed": first["id"]
    }
    assert [f["kind"] for f in sandbox.faults()["faults"]] == ["drop"]
    assert sandbox.session.delete(f"{sandbox.url}/sandbox/faults/{first['id']}").status_code == 404
