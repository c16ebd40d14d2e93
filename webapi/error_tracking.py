"""Error tracking with Sentry when SENTRY_DSN is set: web, workers, the scheduler and the bot.

Events are scrubbed by the same rules as the logs (webapi/logs.py): every known secret value and
every secret-shaped string (bot tokens, bearer headers, JWTs) in any string of the event, at any
depth (messages, stack frames' local variables, request data, breadcrumbs), becomes "[redacted]".
Without SENTRY_DSN nothing is imported and nothing is sent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from webapi.logs import RedactingFilter, settings_secrets

log = logging.getLogger(__name__)

# Request headers that hold credentials: dropped from events whole, whatever their value looks like.
SECRET_HEADERS = frozenset({"authorization", "cookie", "x-telegram-bot-api-secret-token"})
MAX_DEPTH = 32


def _scrub(value: object, redactor: RedactingFilter, depth: int = 0) -> object:
    if depth > MAX_DEPTH:
        return value
    if isinstance(value, str):
        return redactor.redact(value)
    if isinstance(value, dict):
        return {
            key: "[redacted]"
            if isinstance(key, str) and key.lower() in SECRET_HEADERS
            else _scrub(item, redactor, depth + 1)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return type(value)(_scrub(item, redactor, depth + 1) for item in value)
    return value


def scrubber(secrets: list[str | None]) -> Callable[[dict, dict], dict]:
    """A before_send / before_breadcrumb hook that redacts `secrets` and secret-shaped strings."""
    redactor = RedactingFilter(secrets)

    def scrub(event: dict, hint: dict | None = None) -> dict:
        return _scrub(event, redactor)

    return scrub


def init_error_tracking(settings, process: str) -> bool:
    """Start sentry-sdk (Flask and RQ integrations) for `process` when SENTRY_DSN is set; True if so."""
    if not settings.sentry_dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.flask import FlaskIntegration
    from sentry_sdk.integrations.rq import RqIntegration

    scrub = scrubber(settings_secrets(settings))
    sentry_sdk.init(
        dsn=settings.sentry_dsn,
        environment=settings.sentry_environment,
        integrations=[FlaskIntegration(), RqIntegration()],
        # Sentry's defaults send no personal data (user IPs, cookies, request bodies); errors only, no
        # performance tracing.
        traces_sample_rate=None,
        before_send=scrub,
        before_breadcrumb=scrub,
    )
    sentry_sdk.set_tag("process", process)
    log.info("error tracking on (Sentry, process %s)", process)
    return True
