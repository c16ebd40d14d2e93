"""A canary: a random sample of a mailing's audience first, the rest only once the sample went well.

A mailing's `canary` is `{"percent": p}` or `{"count": n}`, with `wait_minutes` and
`max_failure_share`. Its life, every step one conditional statement:

1. The fan-out chunk that completes the audience marks the sample (`deliveries.canary`, in the
   same transaction): the `count` rows (or `percent` of them) with the lowest hash of the user id
   seeded with the mailing id: random, different for every mailing, the same however often asked.
2. Until the canary has passed (`canary_passed_at`), drivers claim sample rows only
   (`ledger.claim_batch`); before the sample is marked there is nothing to claim.
3. A driver that finds none of the sample pending or sending ends the sample (`end_sample`): a
   failure share (failed + blocked + unknown of the sample's sends) above `max_failure_share`
   pauses the mailing at once; otherwise the rest waits until `canary_until` = now + the wait, and
   the mailing leaves the drivers meanwhile (nothing holds a worker while it waits).
4. At `canary_until` a scheduled job (and the reconcile job, should Redis have lost it) judges it
   again (`judge`: a retry may have changed the figures) and lets the rest go or pauses it.

A mailing paused by its canary goes on with the rest when staff resume it (they have seen why);
cancelled, nobody else gets it.
"""

from __future__ import annotations

import math
from datetime import timedelta

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from webapi.services import auto_pause

DEFAULT_WAIT_MINUTES = 10.0
DEFAULT_MAX_FAILURE_SHARE = 0.2
MAX_WAIT_MINUTES = 1440.0
MAX_PERCENT = 50.0
MAX_COUNT = 10_000_000
# Sample statuses that count as failures, and those that were sends at all.
FAILURES = ("failed", "blocked", "unknown")

# Outcomes of `end_sample` and `judge`.
PAUSED, WAITING, PASSED = "paused", "waiting", "passed"


def normalized(canary: dict | None) -> dict | None:
    """A validated canary as stored: its size (percent or count), the wait and the threshold."""
    if not canary:
        return None
    size = {"percent": float(canary["percent"])} if "percent" in canary else {"count": int(canary["count"])}
    return {
        **size,
        "wait_minutes": float(canary.get("wait_minutes", DEFAULT_WAIT_MINUTES)),
        "max_failure_share": float(canary.get("max_failure_share", DEFAULT_MAX_FAILURE_SHARE)),
    }


def sample_size(canary: dict, audience: int) -> int:
    """How many of an audience of `audience` the sample takes (at least one of a non-empty audience)."""
    if "count" in canary:
        return min(audience, int(canary["count"]))
    return min(audience, max(1, math.ceil(audience * float(canary["percent"]) / 100))) if audience else 0


def mark_sample(conn: Connection, mailing_id: int) -> int:
    """Mark the sample of a mailing whose audience is all in (the caller's transaction); rows marked."""
    canary = conn.execute(text("SELECT canary FROM mailings WHERE id = :m"), {"m": mailing_id}).scalar()
    if not canary:
        return 0
    audience = conn.execute(
        text("SELECT count(*) FROM deliveries WHERE mailing_id = :m AND status = 'pending'"),
        {"m": mailing_id},
    ).scalar()
    return conn.execute(
        text(
            "UPDATE deliveries SET canary = true WHERE id IN ("
            "  SELECT id FROM deliveries WHERE mailing_id = :m AND status = 'pending'"
            "  ORDER BY hashint8extended(user_id, :m), id LIMIT :n)"
        ),
        {"m": mailing_id, "n": sample_size(canary, audience)},
    ).rowcount


def tally(conn: Connection, mailing_id: int) -> dict[str, int]:
    """The sample's rows counted by status."""
    rows = conn.execute(
        text("SELECT status, count(*) FROM deliveries WHERE mailing_id = :m AND canary GROUP BY status"),
        {"m": mailing_id},
    ).all()
    return {status: count for status, count in rows}


def verdict(conn: Connection, mailing_id: int, canary: dict) -> dict | None:
    """The pause reason when the sample's failure share is above the threshold, else None."""
    counts = tally(conn, mailing_id)
    failures = sum(counts.get(status, 0) for status in FAILURES)
    sends = failures + counts.get("sent", 0)
    share = failures / sends if sends else 0.0
    if share <= canary["max_failure_share"]:
        return None
    return {
        "code": auto_pause.CANARY,
        "sends": sends,
        **{status: counts.get(status, 0) for status in FAILURES},
        "share": round(share, 3),
        "max_failure_share": canary["max_failure_share"],
        "errors": auto_pause.top_errors(conn, mailing_id, FAILURES, sample=True),
    }


def end_sample(engine: Engine, mailing_id: int) -> str | None:
    """The sample of a sending mailing is done: pause it, let the rest go, or start the wait.

    Returns PAUSED, PASSED or WAITING for the one caller that moved it on; None while the sample
    is still sending (or the audience is still coming, or someone else moved it on).
    """
    with engine.begin() as conn:
        canary = conn.execute(
            text(
                "SELECT canary FROM mailings WHERE id = :m AND status = 'sending' AND canary IS NOT NULL"
                "  AND canary_passed_at IS NULL AND canary_until IS NULL AND fanout_cursor IS NULL "
                "FOR UPDATE"
            ),
            {"m": mailing_id},
        ).scalar()
        if canary is None:
            return None
        if conn.execute(
            text(
                "SELECT EXISTS (SELECT 1 FROM deliveries"
                "  WHERE mailing_id = :m AND canary AND status IN ('pending', 'sending'))"
            ),
            {"m": mailing_id},
        ).scalar():
            return None
        reason = verdict(conn, mailing_id, canary)
        if reason is not None:
            auto_pause.pause(conn, mailing_id, reason)
            return PAUSED
        if canary["wait_minutes"] <= 0:
            _pass(conn, mailing_id)
            return PASSED
        conn.execute(
            text("UPDATE mailings SET canary_until = now() + :wait WHERE id = :m"),
            {"m": mailing_id, "wait": timedelta(minutes=canary["wait_minutes"])},
        )
        return WAITING


def judge(engine: Engine, mailing_id: int) -> str | None:
    """At `canary_until`: pause the mailing (PAUSED) or let the rest go (PASSED); None if not due."""
    with engine.begin() as conn:
        canary = conn.execute(
            text(
                "SELECT canary FROM mailings WHERE id = :m AND status = 'sending' AND canary IS NOT NULL"
                "  AND canary_passed_at IS NULL AND canary_until <= now() FOR UPDATE"
            ),
            {"m": mailing_id},
        ).scalar()
        if canary is None:
            return None
        reason = verdict(conn, mailing_id, canary)
        if reason is not None:
            auto_pause.pause(conn, mailing_id, reason)
            return PAUSED
        _pass(conn, mailing_id)
        return PASSED


def _pass(conn: Connection, mailing_id: int) -> None:
    conn.execute(text("UPDATE mailings SET canary_passed_at = now() WHERE id = :m"), {"m": mailing_id})


def waiting_until(engine: Engine, mailing_id: int):
    """When a mailing's canary is judged (its `canary_until`), or None."""
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT canary_until FROM mailings WHERE id = :m AND canary_passed_at IS NULL"),
            {"m": mailing_id},
        ).scalar()


def due_ids(engine: Engine) -> list[int]:
    """Sending mailings whose canary wait is over and not yet judged."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT id FROM mailings WHERE status = 'sending' AND canary IS NOT NULL"
                "  AND canary_passed_at IS NULL AND canary_until <= now() ORDER BY canary_until"
            )
        )
        return [row[0] for row in rows]
