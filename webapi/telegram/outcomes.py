"""What one Bot API call came to: the outcome kinds, and the mapping of every answer to one.

The rule that matters most: only an answer that proves nothing was delivered may be sent again
(TRANSIENT, RETRY_AFTER); anything that leaves delivery in doubt is AMBIGUOUS, never re-sent.
"""

from __future__ import annotations

from dataclasses import dataclass

SENT = "sent"
RETRY_AFTER = "retry_after"  # 429: wait, then send again; not a failure
BLOCKED = "blocked"  # 403: the user blocked the bot or is gone
MIGRATED = "migrated"  # 400 with migrate_to_chat_id: the group became a supergroup
REJECTED = "rejected"  # any other 4xx: Telegram said no, sending again will not help
TRANSIENT = "transient"  # provably never left us (connection refused, connect timeout): safe to send again
# May have been delivered: a 5xx (Telegram's front end answers 502/504 after delivering), a read
# timeout, a connection lost after the request left. Never re-sent automatically.
AMBIGUOUS = "ambiguous"
# Answers that say Telegram is in trouble; they feed the shared circuit breaker.
TROUBLED = (TRANSIENT, AMBIGUOUS)


@dataclass(frozen=True)
class Outcome:
    """What one Bot API call came to."""

    kind: str
    result: object = None
    description: str = ""
    retry_after: float = 0.0
    migrate_to: int | None = None

    @property
    def message_id(self) -> int | None:
        """The sent message's id, when the result is a message."""
        return self.result.get("message_id") if isinstance(self.result, dict) else None


def classify(status: int, payload: object) -> Outcome:
    """Map an HTTP status and a Bot API body to an outcome."""
    if not isinstance(payload, dict):
        if status >= 500:
            return Outcome(AMBIGUOUS, description=f"HTTP {status} from Telegram")
        return Outcome(REJECTED, description=f"HTTP {status} with a body that is not Bot API JSON")
    if payload.get("ok") is True:
        return Outcome(SENT, result=payload.get("result"))
    code = payload.get("error_code", status)
    description = str(payload.get("description") or f"HTTP {status}")[:500]
    parameters = payload.get("parameters") or {}
    if code == 429:
        return Outcome(
            RETRY_AFTER, description=description, retry_after=float(parameters.get("retry_after", 1))
        )
    if parameters.get("migrate_to_chat_id"):
        return Outcome(MIGRATED, description=description, migrate_to=int(parameters["migrate_to_chat_id"]))
    if code == 403:
        return Outcome(BLOCKED, description=description)
    if isinstance(code, int) and code >= 500 or status >= 500:
        return Outcome(AMBIGUOUS, description=f"HTTP {status} from Telegram: {description}")
    return Outcome(REJECTED, description=description)
