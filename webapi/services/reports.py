"""The report's own small ledger: one copy per staff member, sent at most once, resumable.

A finished mailing's report goes to the staff snapshotted when it starts: every moderator and admin
who wants reports and has not blocked the bot, subscribed to the mailings or not. Each copy is claimed
(`sending`, under a lease) before its request and closed after it, in the manner of deliveries:
a report job that dies half-way is resumed by the next one (the reconcile job enqueues it), which
sends the copies still pending and never a second one. A copy whose lease ran out may or may not
have arrived, so it ends `unknown`, as does a copy of which Telegram left a part in doubt (a
5xx or a lost answer). `mailings.report_sent_at` is set once no copy is left to send.
Every transition is one short transaction of its own, so report jobs may overlap safely.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Engine

from webapi.extensions import db

# Long enough for a copy's tries through 429 waits; after it, a copy still `sending` is `unknown`.
COPY_LEASE_SECONDS = 300
LEASE_EXPIRED = "the report job stopped during this request: it may or may not have arrived"


def start(engine: Engine, mailing_id: int) -> bool:
    """Make the report ready to send (snapshot the staff once, expire dead claims); False if not due."""
    with engine.begin() as conn:
        due = conn.execute(
            text(
                "SELECT id FROM mailings WHERE id = :m AND status = 'finished' AND report_sent_at IS NULL "
                "FOR UPDATE"
            ),
            {"m": mailing_id},
        ).scalar()
        if due is None:
            return False
        # The row lock above makes the snapshot once-only even when two report jobs start together.
        # Staff who sent /stop still get it (leaving the mailings is not leaving the job); those who
        # turned reports off in /adminmenu do not, nor do those who blocked the bot.
        conn.execute(
            text(
                "INSERT INTO report_recipients (mailing_id, tg_id) "
                "SELECT :m, tg_id FROM users WHERE status <> 'blocked' AND wants_reports "
                "AND role IN ('moderator', 'admin') "
                "AND NOT EXISTS (SELECT 1 FROM report_recipients WHERE mailing_id = :m) "
                "ON CONFLICT DO NOTHING"
            ),
            {"m": mailing_id},
        )
        conn.execute(
            text(
                "UPDATE report_recipients SET status = 'unknown', last_error = :why, lease_expires_at = NULL,"
                " updated_at = now() "
                "WHERE mailing_id = :m AND status = 'sending' AND lease_expires_at < now()"
            ),
            {"m": mailing_id, "why": LEASE_EXPIRED},
        )
    return True


def claim(engine: Engine, mailing_id: int, lease_seconds: float = COPY_LEASE_SECONDS) -> int | None:
    """Take the next pending copy (its chat id), or None when none is left."""
    with engine.begin() as conn:
        return conn.execute(
            text(
                "UPDATE report_recipients SET status = 'sending', updated_at = now(),"
                " lease_expires_at = now() + make_interval(secs => :lease) "
                "WHERE mailing_id = :m AND tg_id = ("
                "  SELECT tg_id FROM report_recipients WHERE mailing_id = :m AND status = 'pending'"
                "  ORDER BY tg_id LIMIT 1 FOR UPDATE SKIP LOCKED) "
                "RETURNING tg_id"
            ),
            {"m": mailing_id, "lease": lease_seconds},
        ).scalar()


def close(
    engine: Engine, mailing_id: int, tg_id: int, sent: bool, error: str | None = None, ambiguous: bool = False
) -> bool:
    """Record a claimed copy's outcome; False if its lease had already run out (it stays `unknown`).

    A copy not sent is `failed` when Telegram refused it (or it never left us), `unknown` when
    `ambiguous`: some part of it may have arrived, so it is never sent again either way.
    """
    status = "sent" if sent else "unknown" if ambiguous else "failed"
    with engine.begin() as conn:
        return (
            conn.execute(
                text(
                    "UPDATE report_recipients SET status = :status, last_error = :error,"
                    " lease_expires_at = NULL, updated_at = now() "
                    "WHERE mailing_id = :m AND tg_id = :t AND status = 'sending' RETURNING tg_id"
                ),
                {"m": mailing_id, "t": tg_id, "status": status, "error": error},
            ).scalar()
            is not None
        )


def finish(engine: Engine, mailing_id: int) -> bool:
    """Mark the report sent once no copy is pending or in flight; True for the one caller that did."""
    with engine.begin() as conn:
        return (
            conn.execute(
                text(
                    "UPDATE mailings SET report_sent_at = now() "
                    "WHERE id = :m AND status = 'finished' AND report_sent_at IS NULL AND NOT EXISTS ("
                    "  SELECT 1 FROM report_recipients"
                    "  WHERE mailing_id = :m AND status IN ('pending', 'sending')) "
                    "RETURNING id"
                ),
                {"m": mailing_id},
            ).scalar()
            is not None
        )


def forget(mailing_id: int) -> None:
    """Drop the copies of an earlier round (a retried mailing reports again); the caller commits."""
    db.session.execute(text("DELETE FROM report_recipients WHERE mailing_id = :m"), {"m": mailing_id})
