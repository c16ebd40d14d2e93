"""The sending endpoints over the Flask test client, with the sandbox as Telegram."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from telegram_sandbox import SandboxServer
from telegram_sandbox.client import SandboxClient
from tests.conftest import bot_headers

TOKEN = "515151:SANDBOX-api_token"


@pytest.fixture(scope="module")
def sandbox_server():
    """A sandbox for this module."""
    server = SandboxServer(host="127.0.0.1", port=0, limits=True, tokens=[TOKEN]).start()
    yield server
    server.stop()


@pytest.fixture
def sandbox(sandbox_server, app):
    """A reset sandbox; the app sends to it with TOKEN."""
    client = SandboxClient(sandbox_server.url, token=TOKEN)
    client.reset()
    original = app.config["SETTINGS"]
    app.config["SETTINGS"] = dataclasses.replace(
        original, bot_token=TOKEN, telegram_api_url=sandbox_server.url
    )
    app.extensions.pop("telegram", None)
    yield client
    app.config["SETTINGS"] = original
    app.extensions.pop("telegram", None)


@pytest.fixture
def chat(sandbox):
    """A sandbox user to send tests to."""
    return sandbox.create_user("Tester")["id"]


def _mailing(client, headers, **fields) -> dict:
    body = {
        "name": "API test",
        "text": "<b>Hi</b>",
        "send_at": (datetime.now(UTC) + timedelta(days=1)).isoformat(),
        **fields,
    }
    response = client.post("/api/v1/mailings", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_draft_test_send_delivers_text_with_buttons(client, admin, sandbox, chat):
    draft = {"text": "<b>Preview</b> me", "buttons": [{"text": "Site", "url": "https://example.com"}]}
    response = client.post("/api/v1/mailings/test", json={"chat_id": chat, "draft": draft}, headers=admin)
    assert response.status_code == 200, response.get_json()
    ids = response.get_json()["message_ids"]
    messages = sandbox.messages(chat)
    assert [m["message_id"] for m in messages] == ids
    assert messages[0]["text"] == "Preview me"
    assert messages[0]["reply_markup"]["inline_keyboard"] == [
        [{"text": "Site", "url": "https://example.com"}]
    ]


def test_long_text_with_media_goes_as_two_messages_buttons_on_the_second(client, moderator, sandbox, chat):
    draft = {
        "text": "x" * 1500,
        "media": {"type": "photo", "file_id": "https://example.com/cat.png"},
        "buttons": [{"text": "Go", "url": "https://example.com"}],
    }
    response = client.post("/api/v1/mailings/test", json={"chat_id": chat, "draft": draft}, headers=moderator)
    assert response.status_code == 200, response.get_json()
    assert len(response.get_json()["message_ids"]) == 2
    first, second = sandbox.messages(chat)
    assert "photo" in first and "reply_markup" not in first
    assert second["text"] == "x" * 1500 and second["reply_markup"]["inline_keyboard"][0][0]["text"] == "Go"


def test_short_caption_goes_with_the_media(client, admin, sandbox, chat):
    draft = {"text": "<i>Look</i>", "media": {"type": "document", "file_id": "https://example.com/a.pdf"}}
    response = client.post("/api/v1/mailings/test", json={"chat_id": chat, "draft": draft}, headers=admin)
    assert response.status_code == 200
    (message,) = sandbox.messages(chat)
    assert message["caption"] == "Look" and "document" in message


def test_saved_mailing_test_send(client, admin, sandbox, chat):
    mailing = _mailing(client, admin, buttons=[{"text": "A", "url": "https://a.example"}])
    response = client.post(f"/api/v1/mailings/{mailing['id']}/test", json={"chat_id": chat}, headers=admin)
    assert response.status_code == 200, response.get_json()
    (message,) = sandbox.messages(chat)
    assert message["text"] == "Hi"


def test_telegram_refusal_is_422_telegram_error(client, admin, sandbox):
    response = client.post(
        "/api/v1/mailings/test", json={"chat_id": 999_999_999_999, "draft": {"text": "hi"}}, headers=admin
    )
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "telegram_error" and "chat not found" in error["message"]
    assert "chat not found" in error["details"]["description"]


def test_blocked_chat_is_422_telegram_error(client, admin, sandbox, chat):
    sandbox.set_status(chat, "blocked")
    response = client.post(
        "/api/v1/mailings/test", json={"chat_id": chat, "draft": {"text": "hi"}}, headers=admin
    )
    assert response.status_code == 422
    assert "blocked" in response.get_json()["error"]["message"]


def test_unreachable_telegram_is_503(client, admin, app, sandbox, chat):
    app.config["SETTINGS"] = dataclasses.replace(
        app.config["SETTINGS"], telegram_api_url="http://127.0.0.1:9"
    )
    app.extensions.pop("telegram", None)
    response = client.post(
        "/api/v1/mailings/test", json={"chat_id": chat, "draft": {"text": "hi"}}, headers=admin
    )
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "telegram_unavailable"


def test_telegram_5xx_is_503(client, admin, sandbox, chat):
    sandbox.add_fault("sendMessage", "error", count=1)
    response = client.post(
        "/api/v1/mailings/test", json={"chat_id": chat, "draft": {"text": "hi"}}, headers=admin
    )
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "telegram_unavailable"


def test_invalid_draft_is_422_validation_error(client, admin, sandbox, chat):
    response = client.post(
        "/api/v1/mailings/test", json={"chat_id": chat, "draft": {"text": "<b>open"}}, headers=admin
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "validation_error"
    assert sandbox.messages(chat) == []


def test_subscribers_may_not_test_send(client, subscriber, sandbox, chat):
    response = client.post(
        "/api/v1/mailings/test", json={"chat_id": chat, "draft": {"text": "hi"}}, headers=subscriber
    )
    assert response.status_code == 403


def test_test_send_is_audited(client, admin, sandbox, chat, db_session):
    from webapi.models import AuditEntry

    client.post("/api/v1/mailings/test", json={"chat_id": chat, "draft": {"text": "hi"}}, headers=admin)
    actions = [entry.action for entry in db_session.scalars(db_session.query(AuditEntry).statement)]
    assert "mailing.test_sent" in actions


def test_control_of_a_scheduled_mailing(client, admin, sandbox):
    mailing = _mailing(client, admin)
    for action in ("pause", "resume"):
        response = client.post(f"/api/v1/mailings/{mailing['id']}/{action}", headers=admin)
        assert response.status_code == 409
        assert response.get_json()["error"]["code"] == "wrong_status"
    response = client.post(
        f"/api/v1/mailings/{mailing['id']}/retry", json={"statuses": ["failed"]}, headers=admin
    )
    assert response.status_code == 409
    response = client.post(f"/api/v1/mailings/{mailing['id']}/cancel", headers=admin)
    assert response.status_code == 200
    assert response.get_json()["status"] == "cancelled"
    response = client.post(f"/api/v1/mailings/{mailing['id']}/send-now", headers=admin)
    assert response.status_code == 409


def test_retry_rejects_other_statuses(client, admin, sandbox):
    mailing = _mailing(client, admin)
    response = client.post(
        f"/api/v1/mailings/{mailing['id']}/retry", json={"statuses": ["sent"]}, headers=admin
    )
    assert response.status_code == 422


def test_stats_has_progress(client, admin, sandbox):
    mailing = _mailing(client, admin)
    stats = client.get(f"/api/v1/mailings/{mailing['id']}/stats", headers=admin).get_json()
    assert stats["progress"] == {
        "done": 0,
        "pending": 0,
        "to_come": 0,
        "rate": 0.0,
        "elapsed": 0.0,
        "eta": None,
    }


def test_a_plain_text_test_send_shows_exactly_what_was_typed(client, admin, sandbox, chat):
    draft = {"text": "Tom & Jerry: 5 < 6", "text_format": "auto"}
    response = client.post("/api/v1/mailings/test", json={"chat_id": chat, "draft": draft}, headers=admin)
    assert response.status_code == 200, response.get_json()
    (message,) = sandbox.messages(chat)
    assert message["text"] == "Tom & Jerry: 5 < 6" and not message.get("entities")


def test_a_refused_draft_names_each_problem_by_code(client, admin, sandbox, chat):
    body = {"chat_id": chat, "draft": {"text": "x" * 5120}}
    response = client.post("/api/v1/mailings/test", json=body, headers=admin)
    assert response.status_code == 422
    (problem,) = response.get_json()["error"]["details"]["text"]
    assert problem["code"] == "text_too_long"
    assert problem["params"] == {"length": 5120, "limit": 4096, "excess": 1024}


@pytest.mark.parametrize("target", ["draft", "saved"])
def test_a_test_send_shows_the_receiving_admin_s_own_names(client, admin, sandbox, target):
    sandbox.create_user("Adm", id=1001)
    client.put("/api/v1/users/1001", json={"first_name": "Adm", "last_name": "In"}, headers=bot_headers(1001))
    draft = {"text": "Hi {full_name|you}", "buttons": []}
    if target == "draft":
        response = client.post("/api/v1/mailings/test", json={"chat_id": 1001, "draft": draft}, headers=admin)
    else:
        body = {**draft, "name": "n", "send_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat()}
        mailing = client.post("/api/v1/mailings", json=body, headers=admin).json
        response = client.post(
            f"/api/v1/mailings/{mailing['id']}/test", json={"chat_id": 1001}, headers=admin
        )
    assert response.status_code == 200, response.json
    assert sandbox.messages(1001)[-1]["text"] == "Hi Adm In"
