"""The real bot against the real API, Postgres, Redis and the Telegram sandbox, driven update by update."""

from __future__ import annotations

import dataclasses
import os

import pytest
from telebot import TeleBot, apihelper

from telebot_app.bot import build_runtime, create_bot
from telebot_app.notices import tell_role_changes
from telebot_app.webhook import UpdateLanes, set_or_delete_webhook
from telegram_sandbox import SandboxServer
from telegram_sandbox.client import SandboxClient
from tests.conftest import bot_headers
from tests.support import wait_for
from webapi.resources.telegram_webhook import UPDATE_SINK
from webapi.settings import WEBHOOK_PATH, load_settings

TOKEN = "777001:BOT-telebot_tests"
ADMIN_ID = 50_001
MAX_ROUNDS = 100
WEBHOOK_SECRET = "test-webhook-secret_42"


@pytest.fixture(scope="session")
def sandbox_server():
    """One Telegram sandbox for the session (flood limits off: these tests are about the conversation)."""
    server = SandboxServer(host="127.0.0.1", port=0, limits=False, tokens=[TOKEN]).start()
    yield server
    server.stop()


@pytest.fixture
def sandbox(sandbox_server) -> SandboxClient:
    """The sandbox's control API, reset for the test."""
    client = SandboxClient(sandbox_server.url, token=TOKEN)
    client.reset()
    client.set_limits(enabled=False)
    return client


@pytest.fixture
def sandbox_token() -> str:
    """The bot token these tests use in the sandbox (the root `telegram_app` fixture reads it)."""
    return TOKEN


@pytest.fixture
def bot_settings(services, live_api, sandbox_server, telegram_app):
    """The bot's settings: the live API, the test Redis, the sandbox as Telegram."""
    settings = load_settings(dict(os.environ))
    return dataclasses.replace(
        settings,
        bot_token=TOKEN,
        telegram_api_url=sandbox_server.url,
        api_url=live_api,
        redis_url=services["redis_url"],
        bot_language="en",
    )


class Driver:
    """Runs the bot with threaded=False: every pending update is handled before drive() returns."""

    def __init__(self, settings, sandbox: SandboxClient) -> None:
        self.settings = settings
        self.sandbox = sandbox
        self.offset: int | None = None
        self.bot: TeleBot = self._build()

    def _build(self) -> TeleBot:
        self.runtime = build_runtime(self.settings)
        return create_bot(self.settings, self.runtime, threaded=False)

    def restart(self) -> None:
        """A new bot process: a new TeleBot and runtime on the same Redis."""
        self.bot = self._build()

    def drive(self) -> None:
        """Fetch and handle updates until the sandbox has none left, then tell the queued role notices
        (what the bot's notice thread does as they come)."""
        self._handle_updates()
        if tell_role_changes(self.bot, self.runtime.redis, self.settings.bot_language):
            self._handle_updates()

    def _handle_updates(self) -> None:
        for _ in range(MAX_ROUNDS):
            # Ask the sandbox first: getUpdates would long-poll when nothing is waiting.
            waiting = [
                u
                for u in self.sandbox.pending_updates()
                if self.offset is None or u["update_id"] >= self.offset
            ]
            if not waiting:
                return
            updates = self.bot.get_updates(offset=self.offset, timeout=0, long_polling_timeout=10)
            self.offset = updates[-1].update_id + 1
            self.bot.process_new_updates(updates)
        raise AssertionError("the bot keeps receiving updates")


class WebhookDriver(Driver):
    """The bot in webhook mode: the sandbox pushes each update to the live API's /telegram/webhook, and
    the web's update lanes (telebot_app/webhook.py) run the same bot on it, as wsgi.py wires them."""

    def __init__(self, settings, sandbox: SandboxClient, app) -> None:
        self.app = app
        self.lanes: UpdateLanes | None = None
        super().__init__(settings, sandbox)
        set_or_delete_webhook(self.bot, self.settings)

    def _build(self) -> TeleBot:
        if self.lanes is not None:
            self.lanes.close()
        self.lanes = UpdateLanes(self.settings)
        self.app.extensions[UPDATE_SINK] = self.lanes
        bot = self.lanes.bot
        self.runtime = self.lanes.runtime
        return bot

    def _handle_updates(self) -> None:
        # Telegram's queue empty means every update was answered 200, so taken by the lanes first.
        def handled() -> bool:
            return not self.sandbox.pending_updates() and self.lanes.pending() == 0

        wait_for(handled, 30, "the webhook's updates to be handled")

    def close(self) -> None:
        """Stop the lanes and take them off the app."""
        self.lanes.close()
        self.app.extensions.pop(UPDATE_SINK, None)


class Player:
    """A Telegram user played through the sandbox, talking to the driven bot."""

    def __init__(self, sandbox: SandboxClient, driver: Driver, user: dict) -> None:
        self.sandbox = sandbox
        self.driver = driver
        self.id = user["id"]
        self.user = user
        self.answer: dict | None = None

    def messages(self) -> list[dict]:
        """Everything the bot shows in this chat now (edits applied, deletions gone)."""
        return self.sandbox.messages(self.id)

    def _new_after(self, action) -> list[dict]:
        before = {m["message_id"] for m in self.messages()}
        action()
        self.driver.drive()
        return [m for m in self.messages() if m["message_id"] not in before]

    def say(self, text: str) -> list[dict]:
        """Send text (or a command); return the bot's new messages."""
        return self._new_after(lambda: self.sandbox.send_text(self.id, text))

    def forward(self, text: str, from_id: int) -> list[dict]:
        """Forward a message of another user to the bot."""
        return self._new_after(lambda: self.sandbox.send_text(self.id, text, forward_from=from_id))

    def send_media(self, kind: str, caption: str | None = None) -> list[dict]:
        """Send a generated file of `kind` (with a caption)."""
        return self._new_after(lambda: self.sandbox.send_media(self.id, kind, caption=caption))

    def send_file(self, content: bytes, file_name: str) -> list[dict]:
        """Send `content` as a document named `file_name`."""
        return self._new_after(
            lambda: self.sandbox.send_media(self.id, "document", content=content, file_name=file_name)
        )

    def send_album(
        self, kinds: list[str], group: str = "album-1", caption: str | None = None
    ) -> tuple[list[dict], list[dict]]:
        """Send an album (files sharing a media_group_id, the first one captioned when `caption` is given);
        return the messages sent and the bot's new ones."""
        sent = []

        def send() -> None:
            for number, kind in enumerate(kinds):
                extra = {"caption": caption} if caption and number == 0 else {}
                sent.append(self.sandbox.send_media(self.id, kind, media_group_id=group, **extra)["message"])

        new = self._new_after(send)
        return sent, new

    def press(self, message: dict, label: str) -> list[dict]:
        """Press the button whose text contains `label` under `message`; return new messages."""
        data = button_data(message, label)
        return self.press_data(message["message_id"], data)

    def press_data(self, message_id: int, data: str) -> list[dict]:
        """Press a button by its callback_data; the press must be answered (no spinning clock)."""
        pressed = {}

        def press() -> None:
            pressed.update(self.sandbox.press(self.id, message_id, data))

        new = self._new_after(press)
        query_id = pressed["callback_query"]["id"]
        answers = [a for a in self.sandbox.callback_answers() if a["callback_query_id"] == query_id]
        assert answers, f"the press of {data!r} was not answered"
        self.answer = answers[0]
        return new

    def message(self, message_id: int) -> dict | None:
        """One message as it is now (None when deleted)."""
        return next((m for m in self.messages() if m["message_id"] == message_id), None)

    def last(self) -> dict:
        """The bot's latest message here."""
        return self.messages()[-1]


def button_data(message: dict, label: str) -> str:
    """callback_data of the first button of `message` whose text contains `label`."""
    for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
        for button in row:
            if label in button["text"] and "callback_data" in button:
                return button["callback_data"]
    raise AssertionError(f"no button {label!r} in {message.get('text')!r}: {message.get('reply_markup')}")


def button_texts(message: dict) -> list[str]:
    """Every button label of a message."""
    return [b["text"] for row in (message.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


@pytest.fixture
def telebot_urls():
    """The bot factory points pyTelegramBotAPI at the sandbox; put the URLs back afterwards."""
    saved = apihelper.API_URL, apihelper.FILE_URL, apihelper.RETRY_ON_ERROR
    yield
    apihelper.API_URL, apihelper.FILE_URL, apihelper.RETRY_ON_ERROR = saved


@pytest.fixture
def bot_mode() -> str:
    """How the bot gets its updates: polling (the default) or webhook (BOTH_MODES tests run in both)."""
    return "polling"


@pytest.fixture
def webhook_settings(bot_settings, live_api, telegram_app):
    """Webhook mode: the bot's settings and the API's with WEBHOOK_URL (the live API) and a secret."""
    webhook = {"webhook_url": live_api + WEBHOOK_PATH, "webhook_secret": WEBHOOK_SECRET}
    original = telegram_app.config["SETTINGS"]
    telegram_app.config["SETTINGS"] = dataclasses.replace(original, **webhook)
    yield dataclasses.replace(bot_settings, **webhook)
    telegram_app.config["SETTINGS"] = original


@pytest.fixture
def driver(request, bot_mode, bot_settings, sandbox, telebot_urls) -> Driver:
    """The bot under test, in `bot_mode`."""
    if bot_mode == "polling":
        yield Driver(bot_settings, sandbox)
        return
    sandbox.configure_webhook(retry_first=0.05, retry_most=0.5)
    webhook = WebhookDriver(
        request.getfixturevalue("webhook_settings"), sandbox, request.getfixturevalue("telegram_app")
    )
    yield webhook
    webhook.close()


# Conversation tests that run in both modes, polling and webhook (test module: test names).
BOTH_MODES = {
    "test_subscription": {
        "test_start_subscribes_and_greets",
        "test_stop_unsubscribes_and_start_subscribes_again",
        "test_admin_key_in_start_makes_an_admin_with_admin_commands",
    },
    "test_constructor": {
        "test_full_constructor_with_buttons_reordered_media_replaced_preview_test_and_save",
        "test_restart_in_the_middle_of_the_constructor_keeps_the_draft",
    },
    "test_browser": {"test_delete_asks_first"},
    "test_roles": {"test_role_change_by_id_with_confirmation"},
    "test_role_notice_and_reports": {"test_the_target_is_told_in_their_own_language_with_their_menu"},
    "test_validation": {"test_name_text_and_time_errors_repeat_the_question"},
}


def pytest_generate_tests(metafunc):
    """Run the BOTH_MODES tests with the bot polling and on the webhook."""
    module = metafunc.module.__name__.rpartition(".")[2]
    if metafunc.function.__name__ in BOTH_MODES.get(module, ()):
        metafunc.parametrize("bot_mode", ["polling", "webhook"])


@pytest.fixture
def player(sandbox, driver):
    """Create a sandbox user and play them: player(tg_id, first_name=…, language_code=…)."""

    def make(tg_id: int, first_name: str = "Ann", language_code: str = "en", **fields) -> Player:
        user = sandbox.create_user(first_name, id=tg_id, language_code=language_code, **fields)
        return Player(sandbox, driver, user)

    return make


@pytest.fixture
def admin_player(player, make_user):
    """An admin (in the database) played through the sandbox."""
    make_user(ADMIN_ID, role="admin", first_name="Boss", language_code="en")
    return player(ADMIN_ID, first_name="Boss")


@pytest.fixture
def api_as(client):
    """Call the API in-process as a Telegram user: api_as(tg_id).get(path) etc. (checks, setup)."""

    class As:
        def __init__(self, tg_id: int) -> None:
            self.headers = bot_headers(tg_id)

        def __getattr__(self, method: str):
            def call(path: str, **kwargs):
                return getattr(client, method)(f"/api/v1{path}", headers=self.headers, **kwargs)

            return call

    return As
