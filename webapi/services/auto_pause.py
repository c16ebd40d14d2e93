"""A sending mailing that pauses itself: on a broken file_id or a refused button every send fails,
and the mailing stops after a few dozen sends instead of failing its whole audience.

Each driver keeps the outcomes it wrote of each mailing in a window of the last AUTO_PAUSE_WINDOW
(`FailureWindow`); once it holds at least a quarter of that many and more than
AUTO_PAUSE_FAILURE_SHARE of them failed, the driver pauses the mailing (`pause`, the same
`sending → paused` as staff's pause, with the reason stored) and its author hears why.

Only `failed` counts as a failure: `blocked` is the audience's doing (a normal audience has a few
per cent who blocked the bot, an old one many more), and `unknown` is Telegram's trouble, which the
circuit breaker already holds everyone back from. A window starts empty when the mailing (re)joins
a driver, so a resumed mailing is judged on its new sends only.
"""

from __future__ import annotations

import collections
import json
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

# How many of the most common errors a pause reason names.
TOP_ERRORS = 3
# Reasons a mailing paused (`mailings.pause_reason.code`).
MANUAL, CANARY, AUTO_PAUSE = "manual", "canary", "auto_pause"
PAUSE_CODES = (MANUAL, CANARY, AUTO_PAUSE)
# The outcomes a window counts (a row back to pending or cancelled was no send).
SENDS = ("sent", "failed", "blocked", "unknown")


def least_judged(window: int) -> int:
    """Outcomes a window must hold before it is judged: a quarter of it (50 of 200)."""
    return max(1, -(-window // 4))


@dataclass
class FailureWindow:
    """The last `size` send outcomes of one mailing in one driver, with the errors of the failed ones."""

    size: int
    outcomes: collections.deque = field(default_factory=collections.deque)
    failures: int = 0

    def add(self, status: str, error: str | None) -> None:
        """Count one written outcome (anything but a send is ignored)."""
        if status not in SENDS:
            return
        failed = status == "failed"
        self.outcomes.append(error if failed else None)
        self.failures += failed
        while len(self.outcomes) > self.size:
            if self.outcomes.popleft() is not None:
                self.failures -= 1

    def tripped(self, share: float) -> bool:
        """True when enough outcomes are in and more than `share` of them failed."""
        judged = len(self.outcomes)
        return judged >= least_judged(self.size) and self.failures > share * judged

    def reason(self, share: float) -> dict:
        """The pause reason: how many of how many failed, and the most common errors."""
        errors = collections.Counter(error for error in self.outcomes if error is not None)
        return {
            "code": AUTO_PAUSE,
            "sends": len(self.outcomes),
            "failed": self.failures,
            "share": round(self.failures / max(1, len(self.outcomes)), 3),
            "max_failure_share": share,
            "errors": [{"error": error, "count": count} for error, count in errors.most_common(TOP_ERRORS)],
        }


def pause(conn: Connection, mailing_id: int, reason: dict) -> bool:
    """Pause a sending mailing for `reason` in the caller's transaction; True for the one that did."""
    paused = conn.execute(
        text(
            "UPDATE mailings SET status = 'paused', pause_reason = CAST(:reason AS jsonb),"
            " updated_at = now() WHERE id = :m AND status = 'sending' RETURNING id"
        ),
        {"m": mailing_id, "reason": json.dumps(reason, ensure_ascii=False)},
    ).scalar()
    if paused is None:
        return False
    conn.execute(
        text(
            "INSERT INTO audit_log (subject, action, object_type, object_id, details) "
            "VALUES ('system', 'mailing.paused', 'mailing', :id, CAST(:details AS jsonb))"
        ),
        {"id": str(mailing_id), "details": json.dumps({"reason": reason}, ensure_ascii=False)},
    )
    return True


def pause_now(engine: Engine, mailing_id: int, reason: dict) -> bool:
    """Pause a sending mailing for `reason` in a transaction of its own; True for the one that did."""
    with engine.begin() as conn:
        return pause(conn, mailing_id, reason)


def top_errors(conn: Connection, mailing_id: int, statuses: tuple[str, ...], sample: bool) -> list[dict]:
    """The most common errors of a mailing's rows in `statuses` (of its canary sample only, with `sample`)."""
    rows = conn.execute(
        text(_TOP_ERRORS.format(sample="AND canary" if sample else "")),
        {"m": mailing_id, "statuses": list(statuses), "n": TOP_ERRORS},
    ).all()
    return [{"error": row.error, "count": row.count} for row in rows]


_TOP_ERRORS = (
    "SELECT COALESCE(last_error, '') AS error, count(*) AS count FROM deliveries "
    "WHERE mailing_id = :m AND status = ANY(:statuses) {sample} "
    "GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT :n"
)
