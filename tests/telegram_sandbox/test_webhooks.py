"""Webhooks in the sandbox: Telegram's checks and answers, and updates pushed with the secret, retried
until a 2xx answer comes."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.support import wait_for


class Receiver:
    """A webhook on this machine that records each request and answers with the next scripted status."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = list(statuses)
        self.requests: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append(
                    {
                        "secret": self.headers.get("X-Telegram-Bot-Api-Secret-Token"),
                        "type": self.headers.get("Content-Type"),
                        "update": json.loads(body),
                    }
                )
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/telegram/webhook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = []

    def make(statuses: list[int] = ()) -> Receiver:
        made.append(Receiver(list(statuses)))
        return made[-1]

    yield make
    for each in made:
        each.close()


def _description(response) -> str:
    return response.json()["description"]


def test_set_webhook_refuses_what_telegram_refuses(api):
    refused = {
        "http://example.com/hook": "Bad Request: bad webhook: An HTTPS URL must be provided for webhook",
        "https://example.com:8080/hook": (
            "Bad Request: bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443"
        ),
    }
    for url, description in refused.items():
        response = api("setWebhook", url=url)
        assert (response.status_code, _description(response)) == (400, description), url
    bad_secret = api("setWebhook", url="https://example.com/hook", secret_token="has:colon")
    assert _description(bad_secret) == "Bad Request: secret token contains unallowed characters"
    assert api("getWebhookInfo").json()["result"] == {
        "url": "",
        "has_custom_certificate": False,
        "pending_update_count": 0,
    }


def test_a_webhook_elsewhere_is_kept_and_its_updates_wait(api, sandbox, user):
    set_ = api(
        "setWebhook", url="https://example.com:8443/hook", max_connections=5, allowed_updates='["message"]'
    )
    assert _description(set_) == "Webhook was set"
    assert _description(api("setWebhook", url="https://example.com:8443/hook")) == "Webhook is already set"
    sandbox.send_text(user["id"], "hello")
    info = api("getWebhookInfo").json()["result"]
    assert info == {
        "url": "https://example.com:8443/hook",
        "has_custom_certificate": False,
        "pending_update_count": 1,
        "max_connections": 40,
        "allowed_updates": ["message"],
    }
    conflict = api("getUpdates")
    assert conflict.status_code == 409
    assert sandbox.webhook()["deliveries"] == []
    assert _description(api("deleteWebhook")) == "Webhook was deleted"
    assert _description(api("deleteWebhook")) == "Webhook is already deleted"
    assert [u["message"]["text"] for u in api("getUpdates").json()["result"]] == ["hello"]


def test_updates_are_pushed_with_the_secret_and_retried_until_answered_2xx(api, sandbox, user, receiver):
    hook = receiver([401, 500])
    sandbox.configure_webhook(retry_first=0.05, retry_most=0.2)
    sandbox.send_text(user["id"], "first")
    assert api("setWebhook", url=hook.url, secret_token="s3cret_-X").json()["ok"] is True
    wait_for(lambda: not sandbox.pending_updates(), 20, "the update to be confirmed")
    assert [r["update"]["message"]["text"] for r in hook.requests] == ["first"] * 3
    assert {r["secret"] for r in hook.requests} == {"s3cret_-X"}
    assert {r["type"] for r in hook.requests} == {"application/json"}
    attempts = sandbox.webhook()["deliveries"]
    assert [(a["status"], a["error"]) for a in attempts] == [
        (401, "Wrong response from the webhook: 401 Unauthorized"),
        (500, "Wrong response from the webhook: 500 Internal Server Error"),
        (200, None),
    ]
    info = api("getWebhookInfo").json()["result"]
    assert info["pending_update_count"] == 0
    assert info["last_error_message"] == "Wrong response from the webhook: 500 Internal Server Error"
    assert isinstance(info["last_error_date"], int)

    sandbox.send_text(user["id"], "second")
    wait_for(lambda: len(hook.requests) == 4, 20, "the next update")
    assert hook.requests[-1]["update"]["update_id"] == hook.requests[0]["update"]["update_id"] + 1


def test_a_lost_answer_makes_the_sandbox_deliver_again(api, sandbox, user, receiver):
    hook = receiver()
    sandbox.configure_webhook(retry_first=0.05, retry_most=0.2, lose_answers=1)
    api("setWebhook", url=hook.url)
    sandbox.send_text(user["id"], "once")
    wait_for(lambda: not sandbox.pending_updates(), 20, "the update to be confirmed")
    assert len(hook.requests) == 2
    assert hook.requests[0]["update"] == hook.requests[1]["update"]
    assert hook.requests[0]["secret"] is None
    attempts = sandbox.webhook()["deliveries"]
    assert [(a["status"], a["error"]) for a in attempts] == [(200, "Read timeout expired"), (200, None)]


def test_an_unreachable_webhook_keeps_its_update(api, sandbox, user, receiver):
    hook = receiver()
    hook.close()  # nobody listens there any more
    sandbox.configure_webhook(retry_first=0.05, retry_most=0.1)
    api("setWebhook", url=hook.url)
    sandbox.send_text(user["id"], "hello?")
    wait_for(lambda: sandbox.webhook()["deliveries"], 20, "an attempt")
    info = api("getWebhookInfo").json()["result"]
    assert info["last_error_message"] == "Connection refused"
    assert info["pending_update_count"] == 1
    api("deleteWebhook")
    assert [u["message"]["text"] for u in api("getUpdates").json()["result"]] == ["hello?"]
