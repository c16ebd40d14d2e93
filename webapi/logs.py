"""Logging for every process: one line per event, JSON when LOG_FORMAT=json, secrets redacted."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from datetime import UTC, datetime

# Context fields a log call may carry with `extra=`; they appear in both formats.
CONTEXT_FIELDS = ("mailing_id", "job_id", "method", "chat_id", "status")
# Shapes of secrets that may reach a message even when their values are unknown here.
SECRET_PATTERNS = (
    re.compile(r"(?<=/bot)\d+:[A-Za-z0-9_-]+"),  # a bot token inside a Bot API URL
    re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{30,}\b"),  # a bare bot token
    re.compile(r"(?i)(?<=bearer )[A-Za-z0-9._~+/=-]+"),  # an Authorization header
    re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"),  # a JWT
)
REDACTED = "[redacted]"


class RedactingFilter(logging.Filter):
    """Replace known secret values and secret-shaped strings in every record."""

    def __init__(self, secrets: Iterable[str | None] = ()):
        super().__init__()
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        """The text with every secret replaced."""
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        for pattern in SECRET_PATTERNS:
            text = pattern.sub(REDACTED, text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        """Render the message now (args included) and redact it, tracebacks too."""
        record.msg = self.redact(record.getMessage())
        record.args = None
        if record.exc_info:
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        """Serialise the record with its context fields."""
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({f: getattr(record, f) for f in CONTEXT_FIELDS if getattr(record, f, None) is not None})
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """Plain lines with the context fields appended as key=value."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        """The classic line plus context."""
        line = super().format(record)
        context = " ".join(
            f"{f}={getattr(record, f)}" for f in CONTEXT_FIELDS if getattr(record, f, None) is not None
        )
        return f"{line} {context}" if context else line


def configure_logging(
    log_format: str = "text", secrets: Iterable[str | None] = (), level: int = logging.INFO
) -> None:
    """Route every logger through one redacting handler in the chosen format."""
    handler = logging.StreamHandler()
    handler.addFilter(RedactingFilter(secrets))
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # pyTelegramBotAPI installs its own unfiltered handler and logs request URLs, which carry the bot
    # token: its records must go through ours. Chatty HTTP libraries stay below WARNING.
    for name in ("TeleBot", "urllib3", "requests"):
        library = logging.getLogger(name)
        library.handlers[:] = []
        library.propagate = True
        library.setLevel(logging.WARNING)


def settings_secrets(settings) -> list[str | None]:
    """Every secret value in the settings, for the redacting filter."""
    return [
        settings.jwt_secret_key,
        settings.admin_key,
        settings.bot_token,
        settings.dashboard_password,
        settings.webhook_secret,
        settings.sentry_dsn,
    ]
