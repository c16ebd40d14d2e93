"""API down or slow: the user is told to try again, the draft is kept, and the bot carries on."""

import dataclasses
import http.server
import socket
import threading

import pytest
import requests

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
    # /start and the press left the name question; asked again, the answer is taken.
    admin.press(menu, "✏ Name")
    assert "Name: New name" in admin.say("New name")[-1]["text"]


def test_slow_api_is_the_same_as_down(admin_player, driver, silent_api):
    admin = admin_player
    point_bot_at(driver, silent_api, read_timeout=0.3)
    assert admin.say("/adminmenu")[-1]["text"] == TRY_AGAIN


def test_an_unexpected_failure_is_reported_without_a_trace(admin_player, driver, monkeypatch):
    admin = admin_player

    def broken(*args, **kwargs):
        raise RuntimeError("boom: secret internals")

    monkeypatch.setattr(driver.runtime.api, "list_mailings", broken)
    menu = admin.say("/adminmenu")[-1]
    assert admin.press(menu, "Scheduled mailings") == []
    assert admin.answer["text"] == "Something went wrong on our side. Please try again."
    assert "boom" not in str(admin.messages())
    # The bot goes on serving.
    assert "Admin menu" in admin.say("/adminmenu")[-1]["text"]


class LosingProxy:
    """The API behind a proxy that forwards creating a mailing but can lose its answer (a reset)."""

    def __init__(self, upstream: str) -> None:
        self.lose = 0
        self.creates = 0
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {
                    k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")
                }
                answer = requests.request(
                    self.command, upstream + self.path, data=body, headers=headers, timeout=30
                )
                if self.command == "POST" and self.path == "/api/v1/mailings":
                    proxy.creates += 1
                    if proxy.lose > 0:
                        proxy.lose -= 1
                        self.close_connection = True  # the mailing is made; its answer never comes
                        return
                self.send_response(answer.status_code)
                self.send_header("Content-Type", answer.headers.get("Content-Type", "application/json"))
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _forward

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def losing_proxy(live_api):
    proxy = LosingProxy(live_api)
    yield proxy
    proxy.server.shutdown()
    proxy.server.server_close()


def save(admin, menu: dict) -> None:
    """Menu → Save → Yes, save."""
    admin.press(menu, "Save")
    admin.press(admin.message(menu["message_id"]), "Yes, save")


def test_a_lost_answer_to_save_is_retried_without_a_second_mailing(
    admin_player, driver, losing_proxy, api_as
):
    admin = admin_player
    point_bot_at(driver, losing_proxy.url)
    menu = start_draft(admin, name="Said once")
    losing_proxy.lose = 1
    save(admin, menu)

    assert admin.message(menu["message_id"])["text"].startswith("✅ Saved: Said once (id ")
    assert losing_proxy.creates == 2  # the lost one and its repeat
    page = api_as(admin.id).get("/mailings").get_json()
    assert page["total"] == 1 and page["items"][0]["name"] == "Said once"


def test_a_save_lost_every_time_then_edited_changes_the_mailing_it_made(
    admin_player, driver, losing_proxy, api_as, redis
):
    admin = admin_player
    point_bot_at(driver, losing_proxy.url)
    menu = start_draft(admin, name="First name")
    losing_proxy.lose = 99
    admin.press(menu, "Save")
    assert admin.press(admin.message(menu["message_id"]), "Yes, save") == []
    assert admin.answer["text"] == TRY_AGAIN
    assert redis.get(f"rassylka:bot:draft:{admin.id}") is not None  # the draft is kept
    assert api_as(admin.id).get("/mailings").get_json()["total"] == 1  # though the mailing was made

    losing_proxy.lose = 0
    admin.press(admin.message(menu["message_id"]), "◀ Back")
    menu = admin.message(menu["message_id"])
    admin.press(menu, "✏ Name")
    menu = admin.say("Second name")[-1]
    save(admin, menu)
    assert admin.message(menu["message_id"])["text"].startswith("✅ Saved: Second name (id ")
    page = api_as(admin.id).get("/mailings").get_json()
    assert page["total"] == 1 and page["items"][0]["name"] == "Second name"
    assert redis.get(f"rassylka:bot:draft:{admin.id}") is None
