"""Raw HTTP: Telegram's error answers, parameter styles, unknown methods and tokens."""

import json

import pytest

pytestmark = pytest.mark.usefixtures("no_limits")

KEYBOARD = json.dumps({"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]})


def error_of(response, code: int) -> str:
    body = response.json()
    assert response.status_code == code, body
    assert body["ok"] is False and body["error_code"] == code
    return body["description"]


@pytest.mark.parametrize("style", ["query", "form", "json", "multipart"])
def test_every_parameter_style_sends_html_with_keyboard(api, user, style):
    response = api(
        "sendMessage",
        style=style,
        chat_id=user["id"],
        text="<u>Hi</u> 👋 <b>you</b>",
        parse_mode="HTML",
        reply_markup=KEYBOARD,
    )
    body = response.json()
    assert body["ok"] is True, body
    message = body["result"]
    assert message["text"] == "Hi 👋 you"
    # UTF-16: the emoji takes two units, so "you" starts at 6.
    assert message["entities"] == [
        {"offset": 0, "length": 2, "type": "underline"},
        {"offset": 6, "length": 3, "type": "bold"},
    ]
    assert message["reply_markup"] == {"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]}
    assert message["chat"] == {
        "id": user["id"],
        "first_name": "Ann",
        "last_name": "Lee",
        "username": "ann_lee",
        "type": "private",
    }


def test_message_ids_grow_per_chat_and_method_names_ignore_case(api, sandbox, user):
    other = sandbox.create_user("Bob")
    ids = [
        api("SENDMESSAGE", chat_id=user["id"], text="a").json()["result"]["message_id"],
        api("sendmessage", chat_id=user["id"], text="b").json()["result"]["message_id"],
        api("sendMessage", chat_id=other["id"], text="c").json()["result"]["message_id"],
    ]
    assert ids == [1, 2, 1]


def test_unknown_method_and_tokens(api, sandbox, user):
    assert error_of(api("sendTelepathy", chat_id=user["id"]), 404) == "Not Found"
    assert error_of(api("getMe", token="not-a-token"), 401) == "Unauthorized"
    assert error_of(api("getMe", token="123:has space"), 401) == "Unauthorized"
    fresh = api("getMe", token="777:Fresh_Token").json()["result"]
    assert fresh == {
        **fresh,
        "id": 777,
        "is_bot": True,
        "username": "sandbox_777_bot",
        "first_name": "Sandbox Bot",
    }
    sandbox.revoke_bot("777:Fresh_Token")
    assert error_of(api("getMe", token="777:Fresh_Token"), 401) == "Unauthorized"


@pytest.mark.parametrize(
    ("text", "description"),
    [
        ("<b>open", "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\""),
        (
            "hi <xyz>there</xyz>",
            'Bad Request: can\'t parse entities: Unsupported start tag "xyz" at byte offset 3',
        ),
        ("ы</b>", "Bad Request: can't parse entities: Unexpected end tag at byte offset 2"),
        (
            "<b>x</i>",
            'Bad Request: can\'t parse entities: Unmatched end tag at byte offset 4, expected "</b>", '
            'found "</i>"',
        ),
        (
            "<span>x</span>",
            'Bad Request: can\'t parse entities: Tag "span" must have class "tg-spoiler" at byte offset 0',
        ),
        ("<b>   </b>", "Bad Request: message text is empty"),
        ("x" * 4097, "Bad Request: message is too long"),
    ],
)
def test_html_errors(api, user, text, description):
    assert error_of(api("sendMessage", chat_id=user["id"], text=text, parse_mode="HTML"), 400) == description


def test_length_is_counted_after_parsing_in_utf16_units(api, user):
    assert api("sendMessage", chat_id=user["id"], text="<b>" + "x" * 4096 + "</b>", parse_mode="HTML").json()[
        "ok"
    ]
    assert api("sendMessage", chat_id=user["id"], text="😀" * 2048).json()["ok"]
    too_long = api("sendMessage", chat_id=user["id"], text="😀" * 2049)
    assert error_of(too_long, 400) == "Bad Request: message is too long"
    escaped = "&lt;&gt;&amp;&quot;&#65;&#x42;"
    assert (
        api("sendMessage", chat_id=user["id"], text=escaped, parse_mode="HTML").json()["result"]["text"]
        == '<>&"AB'
    )


def test_missing_and_bad_parameters(api, user):
    assert error_of(api("sendMessage", text="x"), 400) == "Bad Request: chat_id is empty"
    assert error_of(api("sendMessage", chat_id=user["id"]), 400) == "Bad Request: message text is empty"
    assert (
        error_of(api("sendMessage", chat_id=user["id"], text="  \n "), 400)
        == "Bad Request: message text is empty"
    )
    assert error_of(api("sendMessage", chat_id=424242, text="x"), 400) == "Bad Request: chat not found"
    assert error_of(api("sendMessage", chat_id="@nobody", text="x"), 400) == "Bad Request: chat not found"
    caption = api("sendPhoto", chat_id=user["id"], photo="https://example.com/a.png", caption="c" * 1025)
    assert error_of(caption, 400) == "Bad Request: message caption is too long"
    assert (
        error_of(api("sendPhoto", chat_id=user["id"]), 400) == "Bad Request: there is no photo in the request"
    )
    wrong_id = api("sendPhoto", chat_id=user["id"], photo="AgACAgIAAxkBAAnope")
    assert error_of(wrong_id, 400) == "Bad Request: wrong file identifier/HTTP URL specified"


@pytest.mark.parametrize(
    ("markup", "description"),
    [
        (
            {"inline_keyboard": [[{"text": "x", "url": "ftp://example.com"}]]},
            "Bad Request: BUTTON_URL_INVALID",
        ),
        ({"inline_keyboard": [[{"text": "x", "url": "example.com"}]]}, "Bad Request: BUTTON_URL_INVALID"),
        (
            {"inline_keyboard": [[{"text": "x", "callback_data": "d" * 65}]]},
            "Bad Request: BUTTON_DATA_INVALID",
        ),
        (
            {"inline_keyboard": [[{"text": str(n), "callback_data": "d"} for n in range(9)]]},
            "Bad Request: REPLY_MARKUP_TOO_LONG",
        ),
        (
            {"inline_keyboard": [[{"text": "x", "callback_data": "d"}]] * 101},
            "Bad Request: REPLY_MARKUP_TOO_LONG",
        ),
        (
            {"inline_keyboard": [[{"text": "x"}]]},
            "Bad Request: can't parse inline keyboard button: "
            "Text buttons are unallowed in the inline keyboard",
        ),
        (
            {"inline_keyboard": {"text": "x"}},
            'Bad Request: field "inline_keyboard" of the InlineKeyboardMarkup must be an Array',
        ),
    ],
)
def test_keyboard_validation(api, user, markup, description):
    response = api("sendMessage", chat_id=user["id"], text="x", reply_markup=json.dumps(markup))
    assert error_of(response, 400) == description


def test_reply_keyboards_are_accepted_and_kept_by_the_sandbox(api, sandbox, user):
    keyboard = {"keyboard": [["One", {"text": "Two"}]], "resize_keyboard": True}
    result = api("sendMessage", chat_id=user["id"], text="pick", reply_markup=json.dumps(keyboard)).json()[
        "result"
    ]
    assert "reply_markup" not in result  # the Bot API Message only carries inline keyboards
    removed = api("sendMessage", chat_id=user["id"], text="ok", reply_markup='{"remove_keyboard": true}')
    assert removed.json()["ok"]
    kept = [m.get("reply_keyboard") for m in sandbox.messages(user["id"])]
    assert kept == [
        {"keyboard": [[{"text": "One"}, {"text": "Two"}]], "resize_keyboard": True},
        {"remove_keyboard": True},
    ]


def test_blocked_deactivated_and_missing_users(api, sandbox, user):
    sandbox.set_status(user["id"], "blocked")
    assert (
        error_of(api("sendMessage", chat_id=user["id"], text="x"), 403)
        == "Forbidden: bot was blocked by the user"
    )
    sandbox.set_status(user["id"], "deactivated")
    assert error_of(api("sendMessage", chat_id=user["id"], text="x"), 403) == "Forbidden: user is deactivated"
    sandbox.set_status(user["id"], "missing")
    assert error_of(api("sendMessage", chat_id=user["id"], text="x"), 400) == "Bad Request: chat not found"
    sandbox.set_status(user["id"], "active")
    assert api("sendMessage", chat_id=user["id"], text="x").json()["ok"]
    assert sandbox.user(user["id"])["received"] == 1


def test_edit_and_delete_errors(api, user):
    sent = api("sendMessage", chat_id=user["id"], text="<b>same</b>", parse_mode="HTML").json()["result"]
    mid = sent["message_id"]
    assert error_of(api("editMessageText", chat_id=user["id"], message_id=99, text="x"), 400) == (
        "Bad Request: message to edit not found"
    )
    same = api("editMessageText", chat_id=user["id"], message_id=mid, text="<b>same</b>", parse_mode="HTML")
    assert error_of(same, 400) == (
        "Bad Request: message is not modified: specified new message content and reply markup are "
        "exactly the same as a current content and reply markup of the message"
    )
    edited = api("editMessageText", chat_id=user["id"], message_id=mid, text="new").json()["result"]
    assert edited["text"] == "new" and "entities" not in edited and edited["edit_date"] >= sent["date"]
    assert api("deleteMessage", chat_id=user["id"], message_id=mid).json() == {"ok": True, "result": True}
    assert error_of(api("deleteMessage", chat_id=user["id"], message_id=mid), 400) == (
        "Bad Request: message to delete not found"
    )
    assert error_of(api("editMessageText", chat_id=user["id"], message_id=mid, text="again"), 400) == (
        "Bad Request: message to edit not found"
    )


def test_updates_webhook_conflict_and_commands(api, sandbox, user, token):
    sandbox.send_text(user["id"], "one")
    sandbox.send_text(user["id"], "two")
    first = api("getUpdates").json()["result"]
    assert [u["message"]["text"] for u in first] == ["one", "two"]
    assert api("getUpdates", offset=first[-1]["update_id"] + 1).json()["result"] == []
    assert sandbox.pending_updates() == []
    assert api("setWebhook", url="https://example.com/hook").json()["description"] == "Webhook was set"
    conflict = api("getUpdates")
    assert error_of(conflict, 409).startswith("Conflict: can't use getUpdates method while webhook is active")
    api("deleteWebhook")
    commands = json.dumps(
        [{"command": "start", "description": "Start"}, {"command": "stop", "description": "Stop"}]
    )
    scope = json.dumps({"type": "all_private_chats"})
    assert api("setMyCommands", commands=commands, scope=scope, language_code="ru").json()["result"] is True
    assert api("getMyCommands").json()["result"] == []
    got = api("getMyCommands", scope=scope, language_code="ru").json()["result"]
    assert [c["command"] for c in got] == ["start", "stop"]
    assert sandbox.bot_commands()["scopes"][0]["scope"] == "all_private_chats"
    api("deleteMyCommands", scope=scope, language_code="ru")
    assert sandbox.bot_commands()["scopes"] == []
    bad = api("setMyCommands", commands=json.dumps([{"command": "Bad Command!", "description": "x"}]))
    assert error_of(bad, 400) == "Bad Request: BOT_COMMAND_INVALID"
