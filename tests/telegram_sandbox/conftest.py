"""Fixtures for the sandbox tests: one server per session, reset before every test."""

import time
from collections.abc import Callable

import pytest
import requests
from telebot import apihelper

from telegram_sandbox import SandboxServer
from telegram_sandbox.client import SandboxClient

TOKEN = "123456:TEST-token_1"


@pytest.fixture(scope="session")
def sandbox_server():
    """A running sandbox (limits on, as Telegram)."""
    server = SandboxServer(host="127.0.0.1", port=0, limits=True, tokens=[TOKEN]).start()
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
        deadline = time.monotonic() + timeout
        while True:
            value = condition()
            if value:
                return value
            if time.monotonic() >= deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {message}")
            time.sleep(interval)

    return wait


@pytest.fixture
def no_limits(sandbox) -> SandboxClient:
    """The sandbox with flood limits off (reset turns them back on)."""
    sandbox.set_limits(enabled=False)
    return sandbox
