"""Control API: users in bulk, chat reading with edits/deletions/copies, stats, reset, groups."""

import json

import pytest

from telegram_sandbox.client import SandboxError

pytestmark = pytest.mark.usefixtures("no_limits")


def test_bulk_users_and_pagination(sandbox):
    created = sandbox.create_users(20_000, start_id=500_000_000, language_code="ru", first_name_prefix="Sub ")
    assert (created["created"], created["first_id"], created["last_id"]) == (20_000, 500_000_000, 500_019_999)
    page = sandbox.users(offset=19_990, limit=50)
    assert page["total"] == 20_000 and len(page["users"]) == 10
    assert page["users"][-1] == {
        "id": 500_019_999,
        "is_bot": False,
        "first_name": "Sub 500019999",
        "language_code": "ru",
        "status": "active",
        "received": 0,
    }


def test_chat_reading_applies_edits_deletions_and_counts_copies(api, sandbox, user):
    keyboard = json.dumps({"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]})
    ids = [
        api("sendMessage", chat_id=user["id"], text="dup", reply_markup=keyboard).json()["result"][
            "message_id"
        ]
        for _ in range(3)
    ]
    other = api("sendMessage", chat_id=user["id"], text="other").json()["result"]["message_id"]
    api("editMessageText", chat_id=user["id"], message_id=other, text="<i>changed</i>", parse_mode="HTML")
    api("deleteMessage", chat_id=user["id"], message_id=ids[2])
    api("editMessageReplyMarkup", chat_id=user["id"], message_id=ids[1])
    messages = sandbox.messages(user["id"])
    assert [(m["message_id"], m["text"], m["copies"], m["edited"]) for m in messages] == [
        (ids[0], "dup", 1, False),
        (ids[1], "dup", 1, True),
        (other, "changed", 1, True),
    ]
    assert "reply_markup" not in messages[1]
    flagged = sandbox.messages(user["id"], include_deleted=True)
    assert [m["deleted"] for m in flagged] == [False, False, True, False]
    sandbox.send_text(user["id"], "hello bot")
    incoming = sandbox.messages(user["id"], include_incoming=True)
    assert incoming[-1]["text"] == "hello bot" and incoming[-1]["outgoing"] is False
    assert incoming[-1]["message_id"] == other + 1


def test_copy_message_and_reply_and_caption_edit(api, sandbox, user):
    second = sandbox.create_user("Bob")
    photo = api("sendPhoto", chat_id=user["id"], photo="https://example.com/cat.jpg", caption="cat").json()[
        "result"
    ]
    copied = api("copyMessage", chat_id=second["id"], from_chat_id=user["id"], message_id=photo["message_id"])
    assert copied.json() == {"ok": True, "result": {"message_id": 1}}
    [copy] = sandbox.messages(second["id"])
    assert copy["caption"] == "cat" and copy["photo"] == photo["photo"]
    reply = api(
        "sendMessage",
        chat_id=user["id"],
        text="re",
        reply_parameters=json.dumps({"message_id": photo["message_id"]}),
    ).json()["result"]
    assert reply["reply_to_message"]["message_id"] == photo["message_id"]
    edited = api(
        "editMessageCaption",
        chat_id=user["id"],
        message_id=photo["message_id"],
        caption="<b>dog</b>",
        parse_mode="HTML",
    ).json()["result"]
    assert edited["caption"] == "dog" and edited["caption_entities"][0]["type"] == "bold"
    missing = api("copyMessage", chat_id=second["id"], from_chat_id=user["id"], message_id=77).json()
    assert missing["description"] == "Bad Request: message to copy not found"


def test_forwarded_message_and_media_from_a_user(sandbox, user):
    source = sandbox.create_user("Source", username="src_user")
    update = sandbox.send_text(user["id"], "look at this", forward_from=source["id"])
    message = update["message"]
    assert message["forward_origin"]["type"] == "user"
    assert message["forward_origin"]["sender_user"]["id"] == source["id"]
    assert message["forward_from"]["username"] == "src_user"
    document = sandbox.send_media(user["id"], "document", file_name="list.csv", caption="data")["message"]
    assert document["document"]["file_name"] == "list.csv" and document["document"]["mime_type"] == "text/csv"
    animation = sandbox.send_media(user["id"], "animation", content=b"GIF89a" + bytes(20))["message"]
    assert animation["animation"]["file_id"] == animation["document"]["file_id"]


def test_press_needs_an_existing_button(api, sandbox, user):
    sent = api("sendMessage", chat_id=user["id"], text="x").json()["result"]
    with pytest.raises(SandboxError) as error:
        sandbox.press(user["id"], sent["message_id"], "nothing")
    assert error.value.status == 400
    with pytest.raises(SandboxError):
        sandbox.press(user["id"], 999, "nothing")


def test_group_migration(api, sandbox):
    group = sandbox.create_group("Team chat")
    assert api("sendMessage", chat_id=group["id"], text="hi all").json()["result"]["chat"] == {
        "id": group["id"],
        "title": "Team chat",
        "type": "group",
    }
    new_id = sandbox.migrate_group(group["id"])
    assert str(new_id).startswith("-100")
    old = api("sendMessage", chat_id=group["id"], text="hi again").json()
    assert old == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: group chat was upgraded to a supergroup chat",
        "parameters": {"migrate_to_chat_id": new_id},
    }
    moved = api("sendMessage", chat_id=new_id, text="hi again").json()["result"]
    assert moved["chat"]["type"] == "supergroup"
    assert api("getChat", chat_id=new_id).json()["result"]["title"] == "Team chat"


def test_stats_and_reset(api, sandbox, user, token):
    for _ in range(3):
        api("sendMessage", chat_id=user["id"], text="x")
    everything = sandbox.stats()
    assert everything["sent"] == 3 and everything["requests"] == {"sendmessage": 3}
    all_tokens = sandbox._call("GET", "/sandbox/stats")
    assert all_tokens["tokens"][token]["chats"] == {str(user["id"]): {"sent": 3, "too_many_requests": 0}}
    assert sandbox.user(user["id"])["received"] == 3
    sandbox.reset(keep_users=True)
    assert sandbox.user(user["id"])["received"] == 0
    assert sandbox.messages(user["id"]) == []
    assert sandbox.stats()["sent"] == 0
    sandbox.reset()
    assert sandbox.users()["total"] == 0
    assert sandbox.limits()["limits"]["enabled"] is True


def test_index_page_and_unknown_user(sandbox):
    page = sandbox.session.get(sandbox.url + "/")
    assert page.ok and "Telegram sandbox" in page.text
    with pytest.raises(SandboxError) as error:
        sandbox.send_text(4242, "hi")
    assert error.value.status == 404
