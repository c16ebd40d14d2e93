"""Error tracking: off without SENTRY_DSN; with it, every event is scrubbed by the logs' rules before it
leaves. No network: the Sentry client's transport is replaced by one that keeps the envelopes."""

from __future__ import annotations

import dataclasses
import json

import pytest
import sentry_sdk
from flask import Flask
from sentry_sdk.client import NonRecordingClient
from sentry_sdk.transport import Transport

from webapi.error_tracking import init_error_tracking, scrubber
from webapi.logs import REDACTED, settings_secrets

BOT_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ0ZWxlYm90In0.c2lnbmF0dXJl"
WEBHOOK_SECRET = "hook-secret_value_1"


class KeptEnvelopes(Transport):
    """A transport that sends nothing and keeps what it was given."""

    def __init__(self) -> None:
        super().__init__()
        self.envelopes = []

    def capture_envelope(self, envelope) -> None:
        self.envelopes.append(envelope)

    def events(self) -> list[dict]:
        return [
            item.payload.json
            for envelope in self.envelopes
            for item in envelope.items
            if item.type == "event"
        ]


@pytest.fixture
def tracked_settings(settings):
    """Settings with secrets of every kind and a DSN on this machine's discard port (never reached)."""
    return dataclasses.replace(
        settings,
        bot_token=BOT_TOKEN,
        webhook_secret=WEBHOOK_SECRET,
        sentry_dsn="http://publickey@127.0.0.1:9/1",
        sentry_environment="test",
    )


@pytest.fixture
def kept(tracked_settings):
    """Sentry started as a process starts it, with its transport swapped for KeptEnvelopes."""
    assert init_error_tracking(tracked_settings, "web") is True
    transport = KeptEnvelopes()
    sentry_sdk.get_client().transport = transport
    yield transport
    sentry_sdk.get_client().close()
    sentry_sdk.get_global_scope().set_client(NonRecordingClient())


def test_off_without_a_dsn(settings):
    assert settings.sentry_dsn is None
    assert init_error_tracking(settings, "web") is False
    assert not sentry_sdk.get_client().is_active()


def test_the_hook_scrubs_secrets_anywhere_in_an_event(tracked_settings):
    scrub = scrubber(settings_secrets(tracked_settings))
    event = {
        "message": f"call to /bot{BOT_TOKEN}/sendMessage failed",
        "exception": {
            "values": [
                {
                    "type": "ValueError",
                    "value": f"bad answer for Bearer {JWT}",
                    "stacktrace": {
                        "frames": [
                            {
                                "vars": {
                                    "key": repr(tracked_settings.jwt_secret_key),
                                    "admin_key": tracked_settings.admin_key,
                                    "urls": [f"https://api.telegram.org/bot{BOT_TOKEN}/getMe"],
                                    "count": 3,
                                }
                            }
                        ]
                    },
                }
            ]
        },
        "request": {
            "url": "https://bot.example.org/telegram/webhook",
            "headers": {
                "Authorization": "Basic d2F0Y2hlcjpwYXNz",
                "X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET,
                "User-Agent": "TelegramBot",
            },
        },
        "breadcrumbs": {"values": [{"message": f"webhook secret {WEBHOOK_SECRET} set"}]},
    }
    scrubbed = scrub(event, {})
    text = json.dumps(scrubbed)
    for secret in (
        BOT_TOKEN,
        JWT,
        WEBHOOK_SECRET,
        tracked_settings.jwt_secret_key,
        tracked_settings.admin_key,
        "d2F0Y2hlcjpwYXNz",
    ):
        assert secret not in text, secret
    frame = scrubbed["exception"]["values"][0]["stacktrace"]["frames"][0]["vars"]
    assert frame["count"] == 3 and frame["urls"] == [f"https://api.telegram.org/bot{REDACTED}/getMe"]
    assert scrubbed["request"]["headers"]["User-Agent"] == "TelegramBot"
    assert scrubbed["request"]["url"] == "https://bot.example.org/telegram/webhook"


def test_a_flask_error_reaches_sentry_scrubbed_and_tagged(kept):
    app = Flask("tracked")

    @app.get("/boom")
    def boom():
        token = BOT_TOKEN  # a local variable Sentry reports with the frame
        raise RuntimeError(f"Telegram refused /bot{token}/sendMessage")

    response = app.test_client().get("/boom", headers={"Authorization": f"Bearer {JWT}"})
    assert response.status_code == 500
    sentry_sdk.get_client().flush(timeout=5)
    events = kept.events()
    assert len(events) == 1
    event = events[0]
    text = json.dumps(event)
    assert BOT_TOKEN not in text and JWT not in text
    assert event["exception"]["values"][0]["value"] == f"Telegram refused /bot{REDACTED}/sendMessage"
    assert event["tags"]["process"] == "web"
    assert event["environment"] == "test"
    integrations = set(sentry_sdk.get_client().integrations)
    assert {"flask", "rq"} <= integrations


def test_an_rq_job_error_reaches_sentry_scrubbed(kept, redis):
    from rq import Queue, SimpleWorker

    queue = Queue("tracked", connection=redis)
    job = queue.enqueue("webapi.error_tracking.init_error_tracking", None, f"/bot{BOT_TOKEN}")
    SimpleWorker([queue], connection=redis).work(burst=True)
    assert job.get_status(refresh=True) == "failed"
    sentry_sdk.get_client().flush(timeout=5)
    events = kept.events()
    assert len(events) == 1
    assert BOT_TOKEN not in json.dumps(events[0])
    assert events[0]["extra"]["rq-job"]["func"] == "webapi.error_tracking.init_error_tracking"
