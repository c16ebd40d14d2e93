"""API down or slow: the user is told to try again, the draft is kept, and the bot carries on."""

import dataclasses
import socket

import pytest

from tests.telebot_app.test_constructor import start_draft

TRY_AGAIN = "The service is not answering right now. Please try again shortly — nothing you entered is lost."


@pytest.fixture
def dead_port():
    """A port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def silent_api():
    """A server that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    server.close()


def point_bot_at(driver, api_url: str, read_timeout: float | None = None) -> None:
    """Restart the bot against another API URL (same Redis)."""
    driver.settings = dataclasses.replace(driver.settings, api_url=api_url)
    driver.restart()
    if read_timeout is not None:
        driver.runtime.api.read_timeout = read_timeout


def test_api_down_then_back_keeps_the_draft(admin_player, driver, dead_port, live_api, redis):
    admin = admin_player
    menu = start_draft(admin, name="Survivor")
    admin.press(menu, "✏ Name")
    point_bot_at(driver, f"http://127.0.0.1:{dead_port}")

    assert admin.say("New name")[-1]["text"] == TRY_AGAIN
    assert admin.say("/start")[-1]["text"] == TRY_AGAIN
    assert admin.press(menu, "Save") == []
    assert admin.answer["text"] == TRY_AGAIN and admin.answer["show_alert"] is True
    assert redis.get(f"rassylka:bot:draft:{admin.id}") is not None

    point_bot_at(driver, live_api)
    assert "Name: New name" in admin.say("New name")[-1]["text"]


def test_slow_api_is_the_same_as_down(admin_player, driver, silent_api):
    admin = admin_player
    point_bot_at(driver, silent_api, read_timeout=0.3)
    assert admin.say("/adminmenu")[-1]["text"] == TRY_AGAIN


def test_an_unexpected_failure_is_reported_without_a_trace(admin_player, driver, monkeypatch):
    admin = admin_player

    def broken(*args, **kwargs):
        raise RuntimeError("boom: secret internals")

    monkeypatch.setattr(driver.runtime.api, "list_active", broken)
    menu = admin.say("/adminmenu")[-1]
    assert admin.press(menu, "Scheduled mailings") == []
    assert admin.answer["text"] == "Something went wrong on our side. Please try again."
    assert "boom" not in str(admin.messages())
    # The bot goes on serving.
    assert "Admin menu" in admin.say("/adminmenu")[-1]["text"]
