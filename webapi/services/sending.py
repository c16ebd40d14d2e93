"""The delivery ledger as a state machine: start, fan-out, claim under a lease, fenced completion, finish.

Every transition is one conditional SQL statement, so racing schedulers, duplicate jobs and
several workers can run any of them at once and each row still moves exactly once.
Functions that take an `engine` are called from sender threads and open their own short
transactions; the others use the request/job session and leave the commit to the caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.engine import Engine

from webapi.extensions import db
from webapi.models import Mailing, utcnow
from webapi.services.mailings import delivery_counts

LEASE_EXPIRED = "lease expired: the worker stopped mid-send, so it may or may not have been delivered"
DONE_STATUSES = ("sent", "blocked", "failed", "unknown", "cancelled")


@dataclass(frozen=True)
class Claim:
    """A delivery claimed by one driver: its id, user and the chat to send to."""

    id: int
    user_id: int
    chat_id: int


def start(mailing_id: int, now: datetime | None = None, force: bool = False) -> bool:
    """Move a due (or, with `force`, any) scheduled mailing to sending and snapshot its audience.

    One conditional UPDATE decides who starts it; the fan-out runs in the same transaction,
    so a crash leaves either a scheduled mailing or a sending one with its full ledger.
    """
    started = db.session.execute(
        text(
            "UPDATE mailings SET status = 'sending', started_at = :now, updated_at = :now "
            "WHERE id = :id AND status = 'scheduled' AND (:force OR send_at <= :now) RETURNING id"
        ),
        {"id": mailing_id, "now": now or utcnow(), "force": force},
    ).scalar()
    if started is None:
        return False
    fan_out(mailing_id)
    return True


def fan_out(mailing_id: int) -> int:
    """One row per active user, in one statement; rows already there are left alone."""
    result = db.session.execute(
        text(
            "INSERT INTO deliveries (mailing_id, user_id, chat_id, status, attempts, updated_at) "
            "SELECT :id, u.tg_id, u.tg_id, 'pending', 0, now() FROM users u WHERE u.status = 'active' "
            "ON CONFLICT ON CONSTRAINT uq_deliveries_mailing_user DO NOTHING"
        ),
        {"id": mailing_id},
    )
    return result.rowcount


def due_mailing_ids(now: datetime | None = None) -> list[int]:
    """Scheduled mailings whose time has come."""
    rows = db.session.execute(
        text("SELECT id FROM mailings WHERE status = 'scheduled' AND send_at <= :now ORDER BY send_at"),
        {"now": now or utcnow()},
    )
    return [row[0] for row in rows]


def mailing_ids(status: str) -> list[int]:
    """Ids of the mailings in one status."""
    return [
        row[0] for row in db.session.execute(text("SELECT id FROM mailings WHERE status = :s"), {"s": status})
    ]


def unreported_ids() -> list[int]:
    """Finished mailings whose report has not gone out."""
    rows = db.session.execute(
        text("SELECT id FROM mailings WHERE status = 'finished' AND report_sent_at IS NULL")
    )
    return [row[0] for row in rows]


def mailing_status(engine: Engine, mailing_id: int) -> str | None:
    """The mailing's status right now, read outside any session."""
    with engine.connect() as conn:
        return conn.execute(text("SELECT status FROM mailings WHERE id = :id"), {"id": mailing_id}).scalar()


def claim_batch(engine: Engine, mailing_id: int, owner: str, size: int, lease_seconds: float) -> list[Claim]:
    """Lease up to `size` due pending deliveries to `owner`; rows other drivers hold are skipped."""
    with engine.begin() as conn:
        rows = conn.execute(
            text(
                "WITH picked AS ("
                "  SELECT d.id FROM deliveries d"
                "  WHERE d.mailing_id = :m AND d.status = 'pending'"
                "    AND (d.next_attempt_at IS NULL OR d.next_attempt_at <= now())"
                "    AND (d.lease_expires_at IS NULL OR d.lease_expires_at < now())"
                "  LIMIT :n FOR UPDATE SKIP LOCKED) "
                "UPDATE deliveries d SET lease_owner = :owner,"
                "  lease_expires_at = now() + make_interval(secs => :lease), updated_at = now() "
                "FROM picked WHERE d.id = picked.id"
                "  AND EXISTS (SELECT 1 FROM mailings WHERE id = :m AND status = 'sending') "
                "RETURNING d.id, d.user_id, d.chat_id"
            ),
            {"m": mailing_id, "n": size, "owner": owner, "lease": lease_seconds},
        ).all()
    return [Claim(row.id, row.user_id, row.chat_id or row.user_id) for row in rows]


def mark_sending(engine: Engine, delivery_id: int, owner: str, lease_seconds: float) -> int | None:
    """Just before the request: pending → sending if we still hold it and the mailing still runs.

    Returns the chat id to send to, or None when the row is no longer ours to send (paused,
    cancelled, or the claim expired and another driver took it).
    """
    with engine.begin() as conn:
        return conn.execute(
            text(
                "UPDATE deliveries d SET status = 'sending', attempts = d.attempts + 1,"
                "  lease_expires_at = now() + make_interval(secs => :lease), updated_at = now() "
                "FROM mailings m "
                "WHERE d.id = :id AND d.lease_owner = :owner AND d.status = 'pending'"
                "  AND m.id = d.mailing_id AND m.status = 'sending' "
                "RETURNING d.chat_id"
            ),
            {"id": delivery_id, "owner": owner, "lease": lease_seconds},
        ).scalar()


def mark_sending_many(engine: Engine, ids: list[int], owner: str, lease_seconds: float) -> dict[int, int]:
    """`mark_sending` for a few rows about to go out, in one statement; returns {id: chat id} of ours."""
    if not ids:
        return {}
    with engine.begin() as conn:
        rows = conn.execute(
            text(
                "UPDATE deliveries d SET status = 'sending', attempts = d.attempts + 1,"
                "  lease_expires_at = now() + make_interval(secs => :lease), updated_at = now() "
                "FROM mailings m "
                "WHERE d.id = ANY(:ids) AND d.lease_owner = :owner AND d.status = 'pending'"
                "  AND m.id = d.mailing_id AND m.status = 'sending' "
                "RETURNING d.id, d.chat_id"
            ),
            {"ids": list(ids), "owner": owner, "lease": lease_seconds},
        ).all()
    return {row.id: row.chat_id for row in rows}


def unmark_many(engine: Engine, ids: list[int], owner: str) -> int:
    """Give back rows marked `sending` whose request never started (they missed their slot): pending again.

    The attempt `mark_sending` counted is taken back; the rows may be claimed again at once.
    """
    if not ids:
        return 0
    with engine.begin() as conn:
        return conn.execute(
            text(
                "UPDATE deliveries SET status = 'pending', attempts = GREATEST(attempts - 1, 0),"
                "  lease_owner = NULL, lease_expires_at = NULL, updated_at = now() "
                "WHERE id = ANY(:ids) AND lease_owner = :owner AND status = 'sending'"
            ),
            {"ids": list(ids), "owner": owner},
        ).rowcount


@dataclass(frozen=True)
class Closing:
    """How one delivery being sent ends: its final status and what Telegram said."""

    id: int
    status: str
    chat_id: int | None = None
    message_id: int | None = None
    error: str | None = None
    block_user: bool = False


def complete_many(engine: Engine, owner: str, closings: list[Closing]) -> int:
    """`complete` for many rows in one transaction (each fenced on the lease owner); returns rows closed."""
    if not closings:
        return 0
    with engine.begin() as conn:
        rows = conn.execute(
            text(
                "UPDATE deliveries d SET status = v.status, message_id = v.message_id, last_error = v.error,"
                "  chat_id = COALESCE(v.chat_id, d.chat_id),"
                "  sent_at = CASE WHEN v.status = 'sent' THEN now() ELSE d.sent_at END,"
                "  lease_owner = NULL, lease_expires_at = NULL, updated_at = now() "
                "FROM unnest(CAST(:ids AS bigint[]), CAST(:statuses AS text[]), CAST(:chats AS bigint[]),"
                "  CAST(:messages AS bigint[]), CAST(:errors AS text[]))"
                "  AS v(id, status, chat_id, message_id, error) "
                "WHERE d.id = v.id AND d.lease_owner = :owner AND d.status = 'sending' "
                "RETURNING d.id, d.user_id"
            ),
            {
                "owner": owner,
                "ids": [c.id for c in closings],
                "statuses": [c.status for c in closings],
                "chats": [c.chat_id for c in closings],
                "messages": [c.message_id for c in closings],
                "errors": [c.error for c in closings],
            },
        ).all()
        blockers = {c.id for c in closings if c.block_user}
        users = [row.user_id for row in rows if row.id in blockers]
        if users:
            conn.execute(
                text(
                    "UPDATE users SET status = 'blocked', updated_at = now() "
                    "WHERE tg_id = ANY(:ids) AND status = 'active'"
                ),
                {"ids": users},
            )
    return len(rows)


def complete(
    engine: Engine,
    delivery_id: int,
    owner: str,
    status: str,
    *,
    chat_id: int | None = None,
    message_id: int | None = None,
    error: str | None = None,
    block_user: bool = False,
) -> bool:
    """Close a delivery we are sending (fenced on the lease owner); a 403 also marks the user blocked."""
    with engine.begin() as conn:
        user_id = conn.execute(
            text(
                "UPDATE deliveries SET status = :status, message_id = :message_id, last_error = :error,"
                "  chat_id = COALESCE(:chat_id, chat_id),"
                "  sent_at = CASE WHEN :status = 'sent' THEN now() ELSE sent_at END,"
                "  lease_owner = NULL, lease_expires_at = NULL, updated_at = now() "
                "WHERE id = :id AND lease_owner = :owner AND status = 'sending' RETURNING user_id"
            ),
            {
                "id": delivery_id,
                "owner": owner,
                "status": status,
                "message_id": message_id,
                "error": error,
                "chat_id": chat_id,
            },
        ).scalar()
        if user_id is not None and block_user:
            conn.execute(
                text(
                    "UPDATE users SET status = 'blocked', updated_at = now() "
                    "WHERE tg_id = :id AND status = 'active'"
                ),
                {"id": user_id},
            )
    return user_id is not None


def postpone(
    engine: Engine,
    delivery_id: int,
    owner: str,
    seconds: float,
    error: str | None,
    count_attempt: bool = True,
    chat_id: int | None = None,
) -> bool:
    """Put a delivery we are sending back to pending, due in `seconds` (a 429 is not an attempt)."""
    with engine.begin() as conn:
        return (
            conn.execute(
                text(
                    "UPDATE deliveries SET status = 'pending', last_error = :error,"
                    "  attempts = attempts - :uncount, chat_id = COALESCE(:chat_id, chat_id),"
                    "  next_attempt_at = now() + make_interval(secs => :seconds),"
                    "  lease_owner = NULL, lease_expires_at = NULL, updated_at = now() "
                    "WHERE id = :id AND lease_owner = :owner AND status = 'sending' RETURNING id"
                ),
                {
                    "id": delivery_id,
                    "owner": owner,
                    "seconds": seconds,
                    "error": error,
                    "uncount": 0 if count_attempt else 1,
                    "chat_id": chat_id,
                },
            ).scalar()
            is not None
        )


def release_claims(engine: Engine, mailing_id: int, owner: str | None = None) -> int:
    """Hand back pending rows claimed but not started (by one owner, or by all)."""
    owner_clause = "AND lease_owner = :owner" if owner else "AND lease_owner IS NOT NULL"
    with engine.begin() as conn:
        return conn.execute(
            text(
                "UPDATE deliveries SET lease_owner = NULL, lease_expires_at = NULL "  # noqa: S608 - fixed
                f"WHERE mailing_id = :m AND status = 'pending' {owner_clause}"
            ),
            {"m": mailing_id, "owner": owner},
        ).rowcount


def expire_leases(engine: Engine, mailing_id: int | None = None) -> list[int]:
    """Turn `sending` rows whose lease ran out into `unknown`; return the mailings touched."""
    scope = "AND mailing_id = :m" if mailing_id is not None else ""
    with engine.begin() as conn:
        rows = conn.execute(
            text(
                "UPDATE deliveries SET status = 'unknown', last_error = :error,"  # noqa: S608 - fixed
                "  lease_owner = NULL, lease_expires_at = NULL, updated_at = now() "
                f"WHERE status = 'sending' AND lease_expires_at < now() {scope} RETURNING mailing_id"
            ),
            {"m": mailing_id, "error": LEASE_EXPIRED},
        ).all()
    return sorted({row[0] for row in rows})


@dataclass(frozen=True)
class WorkLeft:
    """What still stands between a mailing and its end."""

    pending: int
    sending: int
    next_due_in: float | None


def work_left(engine: Engine, mailing_id: int) -> WorkLeft:
    """Pending and sending counts, and seconds until the earliest pending row may be claimed."""
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT count(*) FILTER (WHERE status = 'pending') AS pending,"
                "  count(*) FILTER (WHERE status = 'sending') AS sending,"
                "  extract(epoch FROM min(GREATEST(COALESCE(next_attempt_at, now()),"
                "    COALESCE(lease_expires_at, now()))) FILTER (WHERE status = 'pending') - now()) AS due "
                "FROM deliveries WHERE mailing_id = :m AND status IN ('pending', 'sending')"
            ),
            {"m": mailing_id},
        ).one()
    due = None if row.due is None else max(0.0, float(row.due))
    return WorkLeft(row.pending, row.sending, due)


def finish_if_done(engine: Engine, mailing_id: int) -> bool:
    """Finish a sending mailing with nothing pending or sending; True for the one caller that did it."""
    with engine.begin() as conn:
        return (
            conn.execute(
                text(
                    "UPDATE mailings SET status = 'finished', finished_at = now(), updated_at = now() "
                    "WHERE id = :m AND status = 'sending' AND NOT EXISTS ("
                    "  SELECT 1 FROM deliveries WHERE mailing_id = :m AND status IN ('pending', 'sending')) "
                    "RETURNING id"
                ),
                {"m": mailing_id},
            ).scalar()
            is not None
        )


def progress(mailing: Mailing, counts: dict[str, int] | None = None) -> dict:
    """Done and pending counts, rate (messages/s), elapsed and ETA (seconds; None when unknown)."""
    counts = counts or delivery_counts(mailing.id)
    done = sum(counts[s] for s in DONE_STATUSES)
    pending = counts["pending"] + counts["sending"]
    if mailing.started_at is None:
        return {"done": done, "pending": pending, "rate": 0.0, "elapsed": 0.0, "eta": None}
    end = mailing.finished_at or utcnow()
    elapsed = max((end - mailing.started_at).total_seconds(), 0.0)
    attempted = done - counts["cancelled"]
    rate = attempted / elapsed if elapsed > 0 else 0.0
    if pending == 0:
        eta = 0.0
    elif rate > 0 and mailing.status == "sending":
        eta = round(pending / rate, 1)
    else:
        eta = None
    return {
        "done": done,
        "pending": pending,
        "rate": round(rate, 2),
        "elapsed": round(elapsed, 1),
        "eta": eta,
    }
