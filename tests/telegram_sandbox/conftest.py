"""Fixtures for the sandbox tests: one server per session, reset before every test."""

from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from telebot import apihelper

from telegram_sandbox import SandboxServer
from telegram_sandbox.client import SandboxClient
from tests.support import wait_for

TOKEN = "123456:TEST-token_1"
ADMIN_KEY = "sandbox-admin-key_1"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@pytest.fixture(scope="session")
def sandbox_server():
    """A running sandbox (limits on, as Telegram)."""
    server = SandboxServer(host="127.0.0.1", port=0, limits=True, tokens=[TOKEN], admin_key=ADMIN_KEY).start()
    yield server
    server.stop()


@pytest.fixture
def sandbox(sandbox_server) -> SandboxClient:
    """A control client over a freshly reset sandbox whose only bot is TOKEN."""
    client = SandboxClient(sandbox_server.url, token=TOKEN)
    client.reset()
    return client


@pytest.fixture
def token() -> str:
    """The bot token known to the sandbox."""
    return TOKEN


@pytest.fixture
def api(sandbox_server, sandbox) -> Callable[..., requests.Response]:
    """Call a Bot API method over raw HTTP: ``api("sendMessage", chat_id=1, text="x")``."""
    session = requests.Session()

    def call(method: str, token: str = TOKEN, style: str = "query", timeout: float = 10, **params):
        url = f"{sandbox_server.url}/bot{token}/{method}"
        if style == "query":
            return session.get(url, params=params, timeout=timeout)
        if style == "form":
            return session.post(url, data=params, timeout=timeout)
        if style == "json":
            return session.post(url, json=params, timeout=timeout)
        if style == "multipart":
            files = {key: (None, str(value)) for key, value in params.items()}
            return session.post(url, files=files, timeout=timeout)
        raise ValueError(style)

    yield call
    session.close()


@pytest.fixture
def user(sandbox) -> dict:
    """One active user."""
    return sandbox.create_user("Ann", last_name="Lee", username="ann_lee", language_code="en")


@pytest.fixture
def telebot_urls(sandbox_server):
    """Point pyTelegramBotAPI at the sandbox for one test, then restore its URLs."""
    saved = apihelper.API_URL, apihelper.FILE_URL
    apihelper.API_URL = sandbox_server.url + "/bot{0}/{1}"
    apihelper.FILE_URL = sandbox_server.url + "/file/bot{0}/{1}"
    yield sandbox_server.url
    apihelper.API_URL, apihelper.FILE_URL = saved


@pytest.fixture
def wait_until() -> Callable:
    """Wait for a condition with a deadline: ``wait_until(lambda: ..., timeout=5)`` returns its value."""

    def wait(condition: Callable, timeout: float = 5.0, interval: float = 0.01, message: str = "condition"):
        return wait_for(condition, timeout, message, interval)

    return wait


@pytest.fixture
def no_limits(sandbox) -> SandboxClient:
    """The sandbox with flood limits off (reset turns them back on)."""
    sandbox.set_limits(enabled=False)
    return sandbox


@pytest.fixture
def open_page(chromium, sandbox_server, sandbox):
    """Open the sandbox page in a fresh browser context: ``open_page(width=360, height=740)``."""
    from playwright.sync_api import expect

    expect.set_options(timeout=10_000)
    contexts = []
    errors: list[str] = []

    def open_(width: int = 1280, height: int = 800):
        context = chromium.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(sandbox_server.url + "/")
        return page

    yield open_
    for context in contexts:
        context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


@pytest.fixture
def screenshot(request) -> Callable:
    """Save a page's screenshot as test-artifacts/screenshots/<test name>-<label>.png."""

    def take(page, label: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{request.node.name}-{label}.png"
        page.screenshot(path=str(path), full_page=False)
        return path

    return take
