"""Random updates at the real bot in every conversation state: it answers or ignores, never fails.

A hypothesis state machine plays an admin, a moderator, a subscriber and users the bot never saw
through the Telegram sandbox, against the live API, Postgres and Redis. Between random inputs (texts,
commands with payloads, media the bot takes and media it does not, edits, group and channel posts,
presses of real buttons, of forged and of mutated callback_data) it walks the admin into each state of
the constructor, the role dialog and the mailing browser by the real flows. After every step:

- no handler raised (the bot's exception handler saw nothing but polite refusals, nothing logged an
  error) and every press through the sandbox was answered;
- every draft in Redis loads and keeps its shape (fields of the right types, buttons of {text, url},
  at most one media of a known kind) and the API still accepts its parts;
- every conversation state in Redis is one the bot knows, and a constructor state has its draft;
- nobody but an admin changed a role, and users the bot never saw got no state and no draft.
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import time
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from telebot import types
from telebot.types import InlineKeyboardButton, InlineKeyboardMarkup

from telebot_app.bot import STATE_PREFIX
from telebot_app.context import Refused
from telebot_app.handlers.media import ACCEPTED
from telebot_app.states import QUESTIONS, Browser, Constructor, InviteLinks, Repeat, RoleChange, Tagging
from tests.telebot_app.conftest import ADMIN_ID
from tests.telebot_app.test_constructor import send_time

MODERATOR_ID = 61_001
SUBSCRIBER_ID = 61_002
TARGET_ID = 61_003  # whose role the admin's role dialog changes; no actor, so nobody's rights move
STRANGER_IDS = itertools.count(62_000)
DRAFT_PREFIX = "rassylka:bot:draft:"
KNOWN_STATES = {
    state.name
    for group in (RoleChange, Browser, Constructor, InviteLinks, Tagging, Repeat)
    for state in group.state_list()
}
DRAFT_FIELDS = {
    "id",
    "mailing_id",
    "version",
    "original_send_at",
    "name",
    "text",
    "send_at",
    "send_now",
    "buttons",
    "media",
    "segment",
    "canary",
    "pending_button",
}
OPTIONAL_DRAFT_FIELDS = {
    "repeat",
    "repeat_pending",
    "series_key",
    "conflict_version",
    "save_key",
    "offer",
    "copy_of",
}
FAILURE_TEXTS = ("Something went wrong", "Traceback", "That did not work", "Exception")
SEED_MAILINGS = 3
TRIM = " \t\r\n\v\f"

# What the admin's walk can aim at: each is a state (or a question on screen) of a dialog.
DESTINATIONS = (
    "idle",
    "name",
    "text",
    "send_time",
    "menu",
    "menu_continued",
    "button_text",
    "button_url",
    "media",
    "manager",
    "confirm_exit",
    "confirm_save",
    "draft_offer",
    "role_target",
    "role_card",
    "role_confirm",
    "browser",
    "browser_goto",
    "browser_confirm",
    "edit_mailing",
    "repeat_until",
    "repeat_count",
    "series_list",
)
KNOWN_COMMANDS = ("start", "stop", "help", "adminmenu", "newmailing", "cancel")
_CALLBACK_WORDS = """
    p goto edit editf del delok now nowok pause resume cancel cancelok set ok no admin moderator
    subscriber up dn nop pg menu save saveok exit exitok media rmmedia addbtn btns name text time
    preview test overwrite reload asnew cont new roles list close rmmediaok capboth captext capno
    sent dup dupf ru ruok rf rfok csv
"""
CALLBACK_WORDS = (*_CALLBACK_WORDS.split(), "")
CALLBACK_PREFIXES = ("cm:", "cb:", "ml:", "mh:", "rl:", "am:", "mc:", "dr:", "x:close", "x:", "", "cm", "rl")
# Placeholders put in forged data: the admin's current draft id, a real mailing id, a real user id.
DRAFT_ID, MAILING_ID, USER_ID = "@D", "@M", "@U"


def _not_blank(text: str) -> bool:
    return bool(text.strip(TRIM))


def _long(char: str) -> str:
    # Telegram counts UTF-16 units: 4096 of them at most.
    return char * (4096 // (len(char.encode("utf-16-le")) // 2))


def _fit_callback(data: str) -> str:
    """callback_data as Telegram carries it: 1 to 64 bytes of UTF-8."""
    fitted = data.encode()[:64].decode(errors="ignore")
    return fitted or "x"


# Numbers as users and forged buttons carry them: edges, digits int() refuses, and far too many digits.
ODD_NUMBERS = st.sampled_from(
    ["²", "①", "9" * 20, "٣", "１", "9" * 40, "-1", "0", "-0", "00", "9" * 12, "1e3", "0x10", "+1", "1_0"]
)
NUMBERS = st.one_of(
    ODD_NUMBERS, ODD_NUMBERS, st.integers(-10, 30).map(str), st.from_regex(r"-?\d{1,30}", fullmatch=True)
)
TEXTS = st.one_of(
    NUMBERS,
    st.text(min_size=1, max_size=120),
    st.sampled_from(
        [
            "Chaos",
            "now",
            "сейчас",
            "12:00",
            "25:61",
            "31.02.2031 10:00",
            "01.01.0000 00:00",
            "31.12.9999 23:59",
            "https://example.org/x",
            "tg://resolve?domain=x",
            "javascript:alert(1)",
            "ftp://example.org",
            "<b>bold</b> <i>it</i>",
            "<b>unclosed",
            "<script>x</script>",
            "<a href='javascript:1'>x</a>",
            "&amp; &lt; &#0; &#x110000;",
            "'; DROP TABLE users; --",
            "{name} {0} %s %(x)s",
            str(ADMIN_ID),
            str(SUBSCRIBER_ID),
            str(TARGET_ID),
            str(2**63),
            "#7",
            "@nobody_here",
            "\u202eevil\u202c",
            "x" * 65,
        ]
    ),
    NUMBERS,
    st.sampled_from(["a", "я", "<", "😀"]).map(_long),
).filter(_not_blank)
COMMANDS = st.one_of(
    st.sampled_from(KNOWN_COMMANDS),
    st.sampled_from(["START", "NewMailing", "cancel@sandbox_bot", "start@OtherBot", "help@", "x"]),
    st.from_regex(r"[a-z0-9_]{1,32}", fullmatch=True),
)
PAYLOADS = st.one_of(st.just(""), st.text(min_size=1, max_size=64), NUMBERS).map(lambda p: p.strip(TRIM))
CALLBACK_TOKENS = st.one_of(
    st.sampled_from(CALLBACK_WORDS),
    st.sampled_from([DRAFT_ID, MAILING_ID, USER_ID]),
    NUMBERS,
    st.text(max_size=8),
)
STRUCTURED_DATA = st.builds(
    lambda prefix, parts: prefix + ":".join(parts),
    st.sampled_from(CALLBACK_PREFIXES),
    st.lists(CALLBACK_TOKENS, max_size=5),
)
RAW_DATA = st.one_of(
    st.text(min_size=1, max_size=64),
    st.binary(min_size=1, max_size=64).map(lambda raw: raw.decode("latin-1")),
)
FOREIGN_KINDS = ("sticker", "video_note", "location", "contact", "dice", "poll", "venue", "story", "game")
ACTORS = ("admin", "moderator", "subscriber", "stranger")
INPUTS = (
    "text",
    "command",
    "media",
    "other",
    "edit",
    "forward",
    "elsewhere",
    "real_press",
    "forged",
    "inaccessible",
    "restart",
    "old_button",
    "album",
)
# How each question begins to read on the admin's (English) screen.
QUESTION_TEXTS = {
    RoleChange.target.name: "Send the user's Telegram id",
    Browser.goto.name: "Which one? Send a number",
    Browser.goto_sent.name: "Which one? Send a number",
    Constructor.name.name: "Send the mailing's internal name",
    Constructor.text.name: "Send the text of the mailing",
    Constructor.send_time.name: "When to send it?",
    Constructor.button_text.name: "Send the label of button",
    Constructor.button_url.name: "Send the link for",
    Constructor.media.name: "Send one photo",
    InviteLinks.name.name: "Send the new link's name",
    Tagging.csv.name: "Send a CSV file with lines",
    Constructor.audience.name: "Send who gets it",
    Constructor.canary.name: "Send the sample, the wait in minutes",
    Repeat.until.name: "Send the last date it may run on",
    Repeat.count.name: "Send how many times it runs in all",
}
ALBUM_NOTE = ("one attachment", "одно вложение")
# In a state the admin mostly answers (text) or presses; the rest comes now and then.
STATE_INPUTS = ("text", "forged", "text", "real_press", *INPUTS, "text", "text", "forged")


class FailureLog(logging.Handler):
    """Collects what says a handler failed: the exception handler's reports and errors logged anywhere."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.failures: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name == "telebot_app.bot" and record.msg.startswith("update failed"):
            exception = record.args[0] if record.args else None
            if isinstance(exception, Refused):
                return
            self.failures.append(f"escaped the handler: {exception!r}")
        elif record.levelno >= logging.ERROR:
            detail = f" ({record.exc_info[1]!r})" if record.exc_info else ""
            self.failures.append(f"{record.name}: {record.getMessage()}{detail}")


@pytest.fixture
def failure_log():
    """Watch the bot's exception handler (debug) and every error the bot and pyTelegramBotAPI log."""
    handler = FailureLog()
    watched = [logging.getLogger("telebot_app"), logging.getLogger("TeleBot")]
    # Alembic's fileConfig (the migrations of the app fixture) disables every logger that existed then.
    names = [name for name in logging.root.manager.loggerDict if name.startswith(("telebot_app", "TeleBot"))]
    loggers = [logging.getLogger(name) for name in names]
    saved = [(logger, logger.level, logger.disabled) for logger in {*watched, *loggers}]
    for logger in loggers:
        logger.disabled = False
    watched[0].setLevel(logging.DEBUG)
    for logger in watched:
        logger.addHandler(handler)
    yield handler
    for logger in watched:
        logger.removeHandler(handler)
    for logger, level, disabled in saved:
        logger.setLevel(level)
        logger.disabled = disabled


def check_draft(owner: int, draft: object, api) -> None:
    """A draft as telebot_app.drafts writes it, whose parts the API still accepts."""
    assert isinstance(draft, dict), draft
    keys = set(draft)
    assert DRAFT_FIELDS <= keys <= DRAFT_FIELDS | OPTIONAL_DRAFT_FIELDS, (owner, sorted(keys))
    assert isinstance(draft["id"], str) and re.fullmatch(r"[0-9a-f]{6}", draft["id"]), draft["id"]
    for key in ("mailing_id", "version", "conflict_version"):
        value = draft.get(key)
        assert value is None or (isinstance(value, int) and not isinstance(value, bool)), (key, value)
    assert (draft["mailing_id"] is None) == (draft["version"] is None), draft
    if "save_key" in draft:  # the idempotency key of a new mailing's saves
        assert draft["mailing_id"] is None and re.fullmatch(r"[0-9a-f]{32}", draft["save_key"]), draft
    for key in ("name", "text", "pending_button"):
        assert draft[key] is None or isinstance(draft[key], str), (key, draft[key])
    for key in ("send_at", "original_send_at"):
        if draft[key] is not None:
            assert isinstance(draft[key], str), (key, draft[key])
            assert datetime.fromisoformat(draft[key]).tzinfo is not None, (key, draft[key])
    assert isinstance(draft["send_now"], bool), draft["send_now"]
    assert not (draft["send_now"] and draft["send_at"]), draft
    if "offer" in draft:  # a captioned file offered as the text and the attachment
        offer = draft["offer"]
        assert isinstance(offer, dict) and set(offer) == {"text", "text_format", "media"}, offer
        assert offer["text_format"] in ("html", "auto"), offer
        assert isinstance(offer["text"], str) and offer["media"]["type"] in ACCEPTED, offer
    assert isinstance(draft["buttons"], list), draft["buttons"]
    for button in draft["buttons"]:
        assert isinstance(button, dict) and set(button) == {"text", "url"}, button
        assert isinstance(button["text"], str) and isinstance(button["url"], str), button
    media = draft["media"]
    if media is not None:
        assert isinstance(media, dict) and set(media) == {"type", "file_id"}, media
        assert media["type"] in ACCEPTED and isinstance(media["file_id"], str) and media["file_id"], media
    parts = {key: draft[key] for key in ("name", "text", "buttons", "media") if draft[key] is not None}
    if "media" in parts:
        parts.setdefault("text", "")
    verdict = api(ADMIN_ID).post("/mailings/validate", json=parts)
    assert verdict.status_code == 200, verdict.get_json()
    assert verdict.get_json()["errors"] == {}, (owner, parts, verdict.get_json())


def callback_buttons(messages: list[dict]) -> list[tuple[int, str]]:
    """(message_id, callback_data) of every callback button in these messages."""
    return [
        (message["message_id"], button["callback_data"])
        for message in messages
        for row in (message.get("reply_markup") or {}).get("inline_keyboard", [])
        for button in row
        if "callback_data" in button
    ]


def find_data(message: dict, test) -> str | None:
    """The first callback_data of `message` that passes `test`."""
    return next((data for _, data in callback_buttons([message]) if test(data)), None)


def pick(draw, items: list):
    """One of `items`, which come from outside (the chat, the API): always drawn the same way, so that
    hypothesis sees the same kind of choices whatever the items are."""
    index = draw(st.integers(0, 2**16))
    return items[index % len(items)] if items else None


def mutate(data: str, draw) -> str:
    """One random change to real callback_data: a part swapped, cut, doubled, or a byte flipped."""
    parts = data.split(":")
    how = draw(
        st.sampled_from(["part", "drop", "append", "number", "number", "cut", "char", "colons", "prefix"])
    )
    index = draw(st.integers(0, 2**16)) % len(parts)
    if how == "part":
        parts[index] = draw(CALLBACK_TOKENS)
    elif how == "drop" and len(parts) > 1:
        parts.pop(index)
    elif how == "append":
        parts.append(draw(CALLBACK_TOKENS))
    elif how == "number":
        numbered = [i for i, part in enumerate(parts) if part.lstrip("-").isdigit()] or [index]
        parts[pick(draw, numbered)] = draw(NUMBERS)
    elif how == "cut":
        return _fit_callback(data[: draw(st.integers(0, 2**16)) % (len(data) + 1)])
    elif how == "char":
        position = draw(st.integers(0, 2**16)) % len(data)
        char = draw(st.characters())
        return _fit_callback(data[:position] + char + data[position + 1 :])
    elif how == "colons":
        return _fit_callback(data.replace(":", draw(st.sampled_from(["::", "", ";", ": "])), 1))
    else:
        parts[0] = draw(st.sampled_from(["cm", "cb", "ml", "rl", "am", "mc", "dr", "x", "CM", ""]))
    return _fit_callback(":".join(parts))


def test_random_updates_in_every_state_never_break_the_bot(
    driver, sandbox, player, admin_player, make_user, api_as, redis, failure_log
):
    make_user(MODERATOR_ID, role="moderator", first_name="Mo", language_code="en")
    make_user(SUBSCRIBER_ID, first_name="Sub", language_code="ru")
    make_user(TARGET_ID, first_name="Target", language_code="en")
    actors = {
        "admin": admin_player,
        "moderator": player(MODERATOR_ID, first_name="Mo"),
        "subscriber": player(SUBSCRIBER_ID, first_name="Sub", language_code="ru"),
    }
    player(TARGET_ID, first_name="Target")
    admin = actors["admin"]
    names = itertools.count(1)
    bot_user = driver.bot.get_me()
    update_ids = itertools.count(10**9)
    injected_ids = itertools.count(10**6)

    def role_of(tg_id: int) -> str | None:
        response = api_as(ADMIN_ID).get(f"/users/{tg_id}")
        return response.get_json()["role"] if response.status_code == 200 else None

    def seed_mailings() -> None:
        page = api_as(ADMIN_ID).get("/mailings?status=scheduled").get_json()
        for number in range(page["total"], SEED_MAILINGS):
            send_at = datetime.now(UTC) + timedelta(days=3, hours=number)
            body = {"name": f"Seed {number}", "text": f"Seed <i>{number}</i>", "send_at": send_at.isoformat()}
            assert api_as(ADMIN_ID).post("/mailings", json=body).status_code == 201

    def deliver(update: dict) -> None:
        """Hand the bot an update Telegram could send but the sandbox cannot play, as getUpdates would."""
        driver.drive()
        driver.bot.process_new_updates([types.Update.de_json({"update_id": next(update_ids), **update})])

    def user_json(actor) -> dict:
        return {"is_bot": False, **actor.user}

    def private_chat(actor) -> dict:
        return {"id": actor.id, "type": "private", "first_name": actor.user["first_name"]}

    def message_json(actor, chat: dict | None = None, **content) -> dict:
        return {
            "message_id": next(injected_ids),
            "from": user_json(actor),
            "chat": chat or private_chat(actor),
            "date": int(time.time()),
            **content,
        }

    class BotUnderChaos(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.strangers: list = []
            self.acted: list = []

        @initialize()
        def fresh_start(self) -> None:
            """Each example starts clean: no drafts or dialogs, the sandbox's chats emptied, roles as set."""
            for key in redis.scan_iter(match="rassylka:bot:*"):
                redis.delete(key)
            sandbox.reset(keep_users=True)
            driver.offset = None  # the sandbox numbers updates from 1 again
            for tg_id, role in (
                (MODERATOR_ID, "moderator"),
                (SUBSCRIBER_ID, "subscriber"),
                (TARGET_ID, "subscriber"),
            ):
                if role_of(tg_id) != role:
                    api_as(ADMIN_ID).patch(f"/users/{tg_id}", json={"role": role})
            seed_mailings()
            failure_log.failures.clear()

        # Who acts
        def actor(self, who: str):
            if who != "stranger":
                return actors[who]
            stranger = player(
                next(STRANGER_IDS),
                first_name="Stranger",
                language_code=("en", "ru", "de", "zz")[len(self.strangers) % 4],
            )
            self.strangers.append(stranger)
            return stranger

        def act(self, who: str, action) -> None:
            """Let `who` do something; nobody but the admin may move a role by it."""
            actor = self.actor(who)
            before = role_of(actor.id)
            action(actor)
            driver.drive()
            if who != "admin":
                # Only /start of someone new makes a role appear: subscriber.
                allowed = {before, "subscriber"} if before is None else {before}
                assert role_of(actor.id) in allowed, f"{who} {actor.id} changed role by random input"
            self.acted.append(actor)

        def state(self, actor) -> str | None:
            return driver.bot.get_state(actor.id, actor.id)

        # Random input: input_<kind>(actor, draw) does one thing as `actor`
        def input_text(self, actor, draw) -> None:
            actor.say(draw(TEXTS))

        def input_command(self, actor, draw) -> None:
            actor.say(f"/{draw(COMMANDS)} {draw(PAYLOADS)}".strip(TRIM))

        def input_media(self, actor, draw) -> None:
            caption = draw(st.none() | TEXTS)
            sandbox.send_media(
                actor.id, draw(st.sampled_from(ACCEPTED)), caption=caption[:200] if caption else None
            )

        def input_other(self, actor, draw) -> None:
            """What the sandbox does not play: stickers, locations, polls…, media with forged file ids."""
            kind, caption = draw(st.sampled_from(FOREIGN_KINDS + ACCEPTED)), draw(TEXTS)
            file = {"file_id": f"forged-{kind}-{caption[:8]}", "file_unique_id": "u1"}
            content = {
                "sticker": {
                    "sticker": {
                        **file,
                        "type": "regular",
                        "width": 512,
                        "height": 512,
                        "is_animated": False,
                        "is_video": False,
                    }
                },
                "video_note": {"video_note": {**file, "length": 240, "duration": 3}},
                "location": {"location": {"latitude": 55.75, "longitude": 37.62}},
                "contact": {"contact": {"phone_number": "+70000000000", "first_name": caption[:30]}},
                "dice": {"dice": {"emoji": "🎲", "value": 3}},
                "poll": {
                    "poll": {
                        "id": "1",
                        "question": caption[:255],
                        "options": [{"persistent_id": "0", "text": "a", "voter_count": 0}],
                        "total_voter_count": 0,
                        "is_closed": False,
                        "is_anonymous": True,
                        "type": "regular",
                        "allows_multiple_answers": False,
                    }
                },
                "venue": {
                    "venue": {"location": {"latitude": 1.0, "longitude": 2.0}, "title": "T", "address": "A"}
                },
                "story": {"story": {"chat": {"id": 1, "type": "private"}, "id": 1}},
                "game": {"game": {"title": "G", "description": "D", "photo": []}},
                "photo": {"photo": [{**file, "width": 90, "height": 90}], "caption": caption[:1024]},
                "animation": {
                    "animation": {**file, "width": 1, "height": 1, "duration": 1},
                    "document": file,
                },
                "video": {"video": {**file, "width": 1, "height": 1, "duration": 1}},
                "document": {"document": file, "caption": caption[:1024]},
                "audio": {"audio": {**file, "duration": 1}},
                "voice": {"voice": {**file, "duration": 1}},
            }[kind]
            deliver({"message": message_json(actor, **content)})

        def input_edit(self, actor, draw) -> None:
            deliver({"edited_message": message_json(actor, text=draw(TEXTS), edit_date=int(time.time()))})

        def input_forward(self, actor, draw) -> None:
            actor.forward(draw(TEXTS), from_id=draw(st.sampled_from([SUBSCRIBER_ID, TARGET_ID, ADMIN_ID])))

        def input_elsewhere(self, actor, draw) -> None:
            """Groups, channels, anonymous admins, a blocked bot, a forward whose sender is hidden."""
            text = draw(TEXTS | COMMANDS.map(lambda c: f"/{c}"))
            kind = draw(st.sampled_from(["group", "supergroup", "channel", "anonymous", "member", "hidden"]))
            now = int(time.time())
            group = {"id": -1_001_234, "type": kind, "title": "Chaos group"}
            channel = {"id": -1_009_999, "type": "channel", "title": "Chaos channel"}
            if kind in ("group", "supergroup"):
                deliver({"message": message_json(actor, chat=group, text=text)})
            elif kind == "channel":
                post = {"message_id": next(injected_ids), "sender_chat": channel, "chat": channel}
                deliver({"channel_post": {**post, "date": now, "text": text}})
            elif kind == "anonymous":
                anonymous = {"id": 1_087_968_824, "is_bot": True, "first_name": "Group"}
                message = message_json(actor, chat={**group, "type": "supergroup"}, text=text)
                deliver({"message": {**message, "from": anonymous, "sender_chat": group}})
            elif kind == "member":
                me = {"is_bot": True, "id": bot_user.id, "first_name": bot_user.first_name}
                member = {"chat": private_chat(actor), "from": user_json(actor), "date": now}
                member["old_chat_member"] = {"user": me, "status": "member"}
                member["new_chat_member"] = {"user": me, "status": "kicked", "until_date": 0}
                deliver({"my_chat_member": member})
            else:
                origin = {"type": "hidden_user", "sender_user_name": "Ghost", "date": now}
                hidden = {"forward_origin": origin, "forward_sender_name": "Ghost", "forward_date": now}
                deliver({"message": message_json(actor, text=text, **hidden)})

        def input_real_press(self, actor, draw) -> None:
            """Any callback button the bot ever showed this user, stale ones included."""
            chosen = pick(draw, callback_buttons(actor.messages()))
            if chosen is not None:
                actor.press_data(*chosen)

        def input_old_button(self, actor, draw) -> None:
            """A button of an older message (an earlier menu): it leaves whatever the bot was asking.

            Only a question the press itself asked may be open afterwards; with none open, a number
            typed next is nobody's answer: no state appears and the draft stays as it was.
            """
            shown = actor.messages()
            chosen = pick(draw, callback_buttons(shown[: max(len(shown) // 2, 1)]))
            if chosen is None:
                return
            new = actor.press_data(*chosen)
            after = self.state(actor)
            if actor is admin and after in QUESTIONS:
                asked = [m.get("text") or "" for m in new]
                assert any(QUESTION_TEXTS[after] in text for text in asked), (chosen, after, asked)
            if after is None:
                draft = redis.get(f"{DRAFT_PREFIX}{actor.id}")
                actor.say(draw(NUMBERS))
                assert self.state(actor) is None, f"a number typed after {chosen} was taken as an answer"
                assert redis.get(f"{DRAFT_PREFIX}{actor.id}") == draft

        def input_album(self, actor, draw) -> None:
            """Two to four files sharing a media_group_id: the first is handled, the album noted once."""
            kinds = draw(st.lists(st.sampled_from(ACCEPTED), min_size=2, max_size=4))
            group = f"album-{next(injected_ids)}"
            before = {m["message_id"] for m in actor.messages()}
            media_before = redis.get(f"{DRAFT_PREFIX}{actor.id}")
            first = sandbox.send_media(actor.id, kinds[0], media_group_id=group)["message"]
            for kind in kinds[1:]:
                sandbox.send_media(actor.id, kind, media_group_id=group)
            driver.drive()
            new = [m for m in actor.messages() if m["message_id"] not in before]
            notes = [m for m in new if any(note in (m.get("text") or "") for note in ALBUM_NOTE)]
            assert len(notes) <= 1, [m.get("text") for m in new]
            raw = redis.get(f"{DRAFT_PREFIX}{actor.id}")
            if raw is not None and raw != media_before and json.loads(raw).get("media"):
                media = json.loads(raw)["media"]
                before_media = json.loads(media_before).get("media") if media_before else None
                if media != before_media:
                    value = first[media["type"]]
                    file_id = value[-1]["file_id"] if isinstance(value, list) else value["file_id"]
                    assert media["file_id"] == file_id, "an album item other than the first was kept"

        def forged_data(self, draw) -> str:
            """Random bytes, forged structures and mutated real data, as a modified client sends them."""
            real = [callback_data for _, callback_data in callback_buttons(admin.messages())]
            source = draw(st.sampled_from(["raw", "structured", "mutated", "mutated", "real"]))
            if source == "raw":
                forged = draw(RAW_DATA)
            elif source == "structured":
                forged = draw(STRUCTURED_DATA)
            else:
                forged = pick(draw, real) or "cm:abc123:save"
                if source == "mutated":
                    forged = mutate(forged, draw)
            draft = redis.get(f"{DRAFT_PREFIX}{ADMIN_ID}")
            mailings = api_as(ADMIN_ID).get("/mailings?limit=5").get_json()["items"]
            values = {
                DRAFT_ID: json.loads(draft)["id"] if draft else "abc123",
                MAILING_ID: str(pick(draw, [m["id"] for m in mailings]) or 1),
                USER_ID: str(draw(st.sampled_from([TARGET_ID, 1, 2**63 - 1, 2**63, 99_999_999]))),
            }
            for placeholder, value in values.items():
                forged = forged.replace(placeholder, value)
            return _fit_callback(forged)

        def input_forged(self, actor, draw) -> None:
            forged = self.forged_data(draw)
            markup = InlineKeyboardMarkup().row(InlineKeyboardButton("forged", callback_data=forged))
            carrier = driver.bot.send_message(actor.id, "A message with a forged button", reply_markup=markup)
            actor.press_data(carrier.message_id, forged)  # asserts the press was answered

        def input_inaccessible(self, actor, draw) -> None:
            """A press on a message too old for the bot to see (Telegram sends it with date 0)."""
            query = {
                "id": str(next(injected_ids)),
                "from": user_json(actor),
                "message": {"chat": private_chat(actor), "message_id": next(injected_ids), "date": 0},
                "chat_instance": "1",
                "data": self.forged_data(draw),
            }
            deliver({"callback_query": query})

        @rule(who=st.sampled_from(ACTORS), kind=st.sampled_from(INPUTS), data=st.data())
        def random_input(self, who: str, kind: str, data) -> None:
            self.act(who, lambda actor: getattr(self, f"input_{kind}")(actor, data.draw))

        @rule(
            destination=st.sampled_from(DESTINATIONS),
            kinds=st.lists(st.sampled_from(STATE_INPUTS), min_size=1, max_size=3),
            data=st.data(),
        )
        def admin_in_a_state_gets_random_input(self, destination: str, kinds: list[str], data) -> None:
            """Walk the admin into a state by the real flow, then throw a few random inputs at it there."""
            self.admin_goes_to(destination)
            for kind in kinds:
                self.check_everything()
                self.act("admin", lambda actor, kind=kind: getattr(self, f"input_{kind}")(actor, data.draw))

        def input_restart(self, actor, draw) -> None:
            """A new bot process (same Redis) between two updates."""
            driver.restart()

        # Walking the admin into every state by the real flows
        def admin_goes_to(self, destination: str) -> None:
            self.acted.append(admin)
            getattr(self, f"go_{destination}")()
            driver.drive()

        def press(self, message: dict, test) -> None:
            data = find_data(message, test)
            assert data is not None, (
                f"no such button under {message.get('text')!r}: {message.get('reply_markup')}"
            )
            admin.press_data(message["message_id"], data)

        def last_with(self, test) -> dict:
            """The admin's latest message with a button passing `test`."""
            for message in reversed(admin.messages()):
                if find_data(message, test) is not None:
                    return message
            raise AssertionError("no such message in the admin's chat")

        def go_idle(self) -> None:
            admin.say("/cancel")
            assert self.state(admin) is None

        def go_draft_offer(self) -> dict:
            self.go_idle()
            if redis.get(f"{DRAFT_PREFIX}{ADMIN_ID}") is None:
                admin.say("/newmailing")
                admin.say(f"Offered {next(names)}")
                self.go_idle()
            offer = admin.say("/newmailing")[-1]
            assert "unfinished draft" in offer["text"], offer["text"]
            return offer

        def go_menu(self, keep: bool = False) -> dict:
            self.go_idle()
            admin.say("/newmailing")
            if self.state(admin) is None:  # a kept draft is offered first
                offer = self.last_with(lambda d: d.startswith("dr:"))
                self.press(offer, lambda d: d == ("dr:cont" if keep else "dr:new"))
            typed, _ = send_time()
            for _ in range(4):
                state = self.state(admin)
                if state == Constructor.menu.name:
                    break
                answers = {
                    Constructor.name.name: f"Walk {next(names)}",
                    Constructor.text.name: "Walked <b>here</b>",
                    Constructor.send_time.name: typed,
                }
                assert state in answers, f"on the way to the menu the admin is in {state}"
                admin.say(answers[state])
            assert self.state(admin) == Constructor.menu.name
            return self.last_with(lambda d: d.startswith("cm:") and d.endswith(":save"))

        def go_menu_continued(self) -> None:
            self.go_menu(keep=True)

        def menu_action(self, action: str, keep: bool = True) -> dict:
            menu = self.go_menu(keep)
            self.press(menu, lambda d: d.startswith("cm:") and d.endswith(f":{action}"))
            return menu

        def go_name(self) -> None:
            self.menu_action("name")
            assert self.state(admin) == Constructor.name.name

        def go_text(self) -> None:
            self.menu_action("text")
            assert self.state(admin) == Constructor.text.name

        def go_send_time(self) -> None:
            self.menu_action("time")
            assert self.state(admin) == Constructor.send_time.name

        def go_button_text(self) -> None:
            self.menu_action("addbtn")
            assert self.state(admin) == Constructor.button_text.name

        def go_button_url(self) -> None:
            self.go_button_text()
            admin.say(f"Label {next(names)}")
            # A draft filled with buttons by earlier steps may take no more: then the label is asked again.
            assert self.state(admin) in (Constructor.button_url.name, Constructor.button_text.name)

        def go_media(self) -> None:
            self.menu_action("media")
            assert self.state(admin) == Constructor.media.name

        def go_manager(self) -> None:
            menu = self.go_menu(keep=True)
            if find_data(menu, lambda d: d.endswith(":btns")) is None:
                self.press(menu, lambda d: d.endswith(":addbtn"))
                admin.say(f"Label {next(names)}")
                admin.say("https://example.org/walk")
                menu = self.last_with(lambda d: d.startswith("cm:") and d.endswith(":save"))
            self.press(menu, lambda d: d.endswith(":btns"))
            assert find_data(admin.message(menu["message_id"]), lambda d: d.startswith("cb:")) is not None

        def go_confirm_exit(self) -> None:
            menu = self.menu_action("exit")
            assert "Discard this draft?" in admin.message(menu["message_id"])["text"]

        def go_confirm_save(self) -> None:
            menu = self.menu_action("save")
            assert find_data(admin.message(menu["message_id"]), lambda d: d.endswith(":saveok")) is not None

        def go_role_target(self) -> None:
            self.go_idle()
            menu = admin.say("/adminmenu")[-1]
            self.press(menu, lambda d: d == "am:roles")
            assert self.state(admin) == RoleChange.target.name

        def go_role_card(self) -> dict:
            self.go_role_target()
            card = admin.say(str(TARGET_ID))[-1]
            assert find_data(card, lambda d: d.startswith("rl:set:")) is not None, card["text"]
            return card

        def go_role_confirm(self) -> None:
            card = self.go_role_card()
            self.press(card, lambda d: d == f"rl:set:{TARGET_ID}:moderator")
            assert find_data(admin.message(card["message_id"]), lambda d: d.startswith("rl:ok:")) is not None

        def go_browser(self) -> dict:
            self.go_idle()
            seed_mailings()
            menu = admin.say("/adminmenu")[-1]
            self.press(menu, lambda d: d == "am:list")
            return self.last_with(lambda d: d == "ml:goto")

        def go_browser_goto(self) -> None:
            page = self.go_browser()
            self.press(page, lambda d: d == "ml:goto")
            assert self.state(admin) == Browser.goto.name

        def go_browser_confirm(self) -> None:
            page = self.go_browser()
            self.press(page, lambda d: d.startswith(("ml:del:", "ml:now:", "ml:cancel:")))
            confirm = admin.message(page["message_id"])
            assert find_data(confirm, lambda d: d.startswith(("ml:delok:", "ml:nowok:", "ml:cancelok:")))

        def go_edit_mailing(self) -> None:
            page = self.go_browser()
            self.press(page, lambda d: d.startswith("ml:edit:"))
            if self.state(admin) != Constructor.menu.name:  # a kept draft: "discard it and edit this one?"
                question = self.last_with(lambda d: d.startswith("ml:editf:"))
                self.press(question, lambda d: d.startswith("ml:editf:"))
            assert self.state(admin) == Constructor.menu.name

        def go_repeat(self, end: str) -> None:
            menu = self.go_menu()  # a new draft: only a new mailing may repeat
            self.press(menu, lambda d: d.endswith(":rep"))
            self.press(admin.message(menu["message_id"]), lambda d: d.endswith(":rpd"))
            self.press(admin.message(menu["message_id"]), lambda d: d.endswith(f":{end}"))

        def go_repeat_until(self) -> None:
            self.go_repeat("rpu")
            assert self.state(admin) == Repeat.until.name

        def go_repeat_count(self) -> None:
            self.go_repeat("rpc")
            assert self.state(admin) == Repeat.count.name

        def go_series_list(self) -> None:
            self.go_idle()
            menu = admin.say("/adminmenu")[-1]
            self.press(menu, lambda d: d == "sr:list")

        # After every step
        def check_everything(self) -> None:
            self.nothing_failed()
            self.drafts_are_whole()
            self.states_are_known()
            self.strangers_stay_strangers()
            self.no_trace_is_shown()

        @invariant()
        def nothing_failed(self) -> None:
            failures, failure_log.failures[:] = list(failure_log.failures), []
            assert not failures, failures

        @invariant()
        def drafts_are_whole(self) -> None:
            for key in redis.scan_iter(match=f"{DRAFT_PREFIX}*"):
                owner = int(key.decode().rsplit(":", 1)[1])
                raw = redis.get(key)
                if raw is not None:
                    check_draft(owner, json.loads(raw), api_as)

        @invariant()
        def states_are_known(self) -> None:
            for key in redis.scan_iter(match=f"{STATE_PREFIX}*"):
                state = redis.hget(key, "state")
                if state is not None:
                    assert state.decode() in KNOWN_STATES, (key, state)
            for actor in (admin, actors["moderator"]):
                state = self.state(actor)
                if state is not None and state.startswith(("Constructor:", "Repeat:")):
                    assert redis.get(f"{DRAFT_PREFIX}{actor.id}") is not None, f"{state} without a draft"

        @invariant()
        def strangers_stay_strangers(self) -> None:
            for stranger in self.strangers:
                assert self.state(stranger) is None
                assert redis.get(f"{DRAFT_PREFIX}{stranger.id}") is None

        @invariant()
        def no_trace_is_shown(self) -> None:
            seen, self.acted = self.acted, []
            for actor in {actor.id: actor for actor in seen}.values():
                for message in actor.messages():
                    shown = message.get("text") or message.get("caption") or ""
                    assert not any(bad in shown for bad in FAILURE_TEXTS), shown

    run_state_machine_as_test(
        BotUnderChaos,
        settings=settings(
            max_examples=20,
            stateful_step_count=20,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
