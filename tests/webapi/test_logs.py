"""Logs: one line per event, JSON on request, context fields kept, no secret in any line."""

from __future__ import annotations

import json
import logging

import pytest

from webapi.logs import JsonFormatter, RedactingFilter, TextFormatter

BOT_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
SECRETS = ["jwt-secret-value-123", "admin_key_42", BOT_TOKEN, "dash-pass"]


def _emit(formatter, message, *args, exc=None, **extra):
    record = logging.LogRecord("rassylka", logging.ERROR, __file__, 1, message, args, exc)
    for key, value in extra.items():
        setattr(record, key, value)
    RedactingFilter(SECRETS).filter(record)
    return formatter.format(record)


@pytest.mark.parametrize(
    "message",
    [
        f"POST https://api.telegram.org/bot{BOT_TOKEN}/sendMessage failed",
        "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ0ZWxlYm90In0.c2lnbmF0dXJl",
        "claim with key admin_key_42",
        "secret is jwt-secret-value-123",
        "token 987654321:ZZHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw seen",
    ],
)
def test_secrets_never_reach_a_line(message):
    for formatter in (TextFormatter(), JsonFormatter()):
        line = _emit(formatter, message)
        assert "[redacted]" in line
        for secret in [*SECRETS, "987654321:ZZHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw", "eyJhbGciOiJIUzI1NiJ9"]:
            assert secret not in line


def test_arguments_and_tracebacks_are_redacted_too():
    try:
        raise RuntimeError(f"connect to /bot{BOT_TOKEN}/getMe refused")
    except RuntimeError:
        import sys

        line = _emit(JsonFormatter(), "send failed for %s", "dash-pass", exc=sys.exc_info())
    entry = json.loads(line)
    assert BOT_TOKEN not in line and "dash-pass" not in line
    assert "RuntimeError" in entry["exception"]


def test_json_lines_carry_the_context():
    line = _emit(
        JsonFormatter(), "sent %d", 5, mailing_id=42, job_id="mailing-42-drive", method="sendMessage"
    )
    entry = json.loads(line)
    assert "\n" not in line
    assert entry["message"] == "sent 5"
    assert (entry["mailing_id"], entry["job_id"], entry["method"]) == (42, "mailing-42-drive", "sendMessage")
    assert entry["level"] == "ERROR"


def test_text_lines_carry_the_context():
    line = _emit(TextFormatter(), "sent", mailing_id=7, method="sendPhoto")
    assert line.endswith("sent mailing_id=7 method=sendPhoto")
