"""A bounded ledger: each mailing keeps its counts, its per-recipient rows go after the retention period.

Daily mailings to a million subscribers add 365 M ledger rows a year. When a mailing finishes,
`finish_if_done` writes the ledger's counts per status onto it (`mailings.delivery_counts`; a retry
clears them and the next finish writes them again). DELIVERY_RETENTION_DAYS after a mailing ended
(finished or cancelled, its report sent) the periodic prune job counts its ledger once more under
the mailing's lock, marks it `deliveries_pruned_at`, and deletes its rows by id range in batches of
`BATCH` rows, each its own short transaction, so no lock is held for long and a prune cut short is
carried on by the next run. A pruned mailing's stats answer from the stored counts and its
`/deliveries` page is empty with `pruned_at` set; it can no longer be retried. Its click rows go
the same way, each button's total kept on the button (`webapi/services/clicks.py`).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.engine import Engine

from webapi.models import DELIVERY_STATUSES, Mailing, utcnow
from webapi.services import clicks
from webapi.services.mailings import delivery_counts

log = logging.getLogger(__name__)

# The ledger's counts per status of mailing :m, as one JSON object (a SQL expression).
COUNTS = (
    "(SELECT COALESCE(jsonb_object_agg(c.status, c.n), '{}'::jsonb) FROM ("
    "SELECT status, count(*) AS n FROM deliveries WHERE mailing_id = :m GROUP BY status) AS c)"
)
BATCH = 10_000  # ledger ids per delete: one short transaction (tens of milliseconds)
# Mailings whose rows may go: ended before :cutoff, nothing left in flight, the report sent.
_ENDED = (
    "status IN ('finished', 'cancelled') AND finished_at < :cutoff "
    "AND (status = 'cancelled' OR report_sent_at IS NOT NULL)"
)


def mailing_counts(mailing: Mailing) -> dict[str, int]:
    """Deliveries per status, every status present: from the ledger while its rows are kept, else stored."""
    if mailing.deliveries_pruned_at is None or mailing.delivery_counts is None:
        return delivery_counts(mailing.id)
    counts = dict.fromkeys(DELIVERY_STATUSES, 0)
    counts.update(mailing.delivery_counts)
    return counts


@dataclass
class Pruned:
    """What one prune run did: mailings touched, rows deleted, and how long its transactions took."""

    mailings: list[int] = field(default_factory=list)
    rows: int = 0
    transactions: int = 0
    longest_transaction: float = 0.0  # seconds
    seconds: float = 0.0
    complete: bool = True  # False when the budget ran out first (the next run carries on)

    def _timed(self, started: float) -> None:
        self.transactions += 1
        self.longest_transaction = max(self.longest_transaction, time.perf_counter() - started)


def prunable_ids(engine: Engine, retention_days: int, now: datetime | None = None) -> list[int]:
    """Mailings that ended more than `retention_days` ago and still have ledger rows (or no counts yet)."""
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                f"SELECT id FROM mailings WHERE {_ENDED} AND (deliveries_pruned_at IS NULL "  # noqa: S608 - fixed
                "  OR EXISTS (SELECT 1 FROM deliveries WHERE mailing_id = mailings.id)"
                "  OR EXISTS (SELECT 1 FROM button_clicks WHERE mailing_id = mailings.id)) "
                "ORDER BY finished_at, id"
            ),
            {"cutoff": cutoff},
        )
        return [row[0] for row in rows]


def _mark(engine: Engine, mailing_id: int, cutoff: datetime) -> bool:
    """Count the ledger onto the mailing and mark it pruned, under its row lock; False if it may not go.

    A retry locks the same row and refuses a pruned mailing, so none is ever sending again with
    part of its ledger gone; the counts written here include whatever closed after the finish.
    """
    with engine.begin() as conn:
        row = conn.execute(
            text(
                f"SELECT deliveries_pruned_at FROM mailings WHERE id = :m AND {_ENDED} FOR UPDATE"  # noqa: S608
            ),
            {"m": mailing_id, "cutoff": cutoff},
        ).one_or_none()
        if row is None:
            return False
        if row.deliveries_pruned_at is not None:
            return True
        in_flight = conn.execute(
            text(
                "SELECT EXISTS (SELECT 1 FROM deliveries"
                "  WHERE mailing_id = :m AND status IN ('pending', 'sending'))"
            ),
            {"m": mailing_id},
        ).scalar()
        if in_flight:  # a cancelled mailing whose last sends are not settled yet: next time
            return False
        conn.execute(
            text(
                f"UPDATE mailings SET delivery_counts = {COUNTS}, deliveries_pruned_at = now() "  # noqa: S608
                "WHERE id = :m"
            ),
            {"m": mailing_id},
        )
        clicks.keep_totals(conn, mailing_id)
    return True


def _delete_clicks(engine: Engine, mailing_id: int, batch: int, deadline: float, pruned: Pruned) -> bool:
    """Delete a marked mailing's click rows `batch` at a time (their totals are on its buttons)."""
    while True:
        if time.monotonic() > deadline:
            return False
        began = time.perf_counter()
        deleted = clicks.delete_rows(engine, mailing_id, batch)
        pruned._timed(began)
        if deleted < batch:
            return True


def _delete_rows(engine: Engine, mailing_id: int, batch: int, deadline: float, pruned: Pruned) -> bool:
    """Delete a marked mailing's ledger rows `batch` ids at a time; False if the deadline came first."""
    with engine.connect() as conn:
        # OFFSET 0 keeps min/max off the primary key (which would walk every newer mailing's rows).
        low, high = conn.execute(
            text(
                "SELECT min(id), max(id) FROM (SELECT id FROM deliveries WHERE mailing_id = :m OFFSET 0) AS d"
            ),
            {"m": mailing_id},
        ).one()
    if low is None:
        return True
    for start in range(low, high + 1, batch):
        if time.monotonic() > deadline:
            return False
        began = time.perf_counter()
        with engine.begin() as conn:
            pruned.rows += conn.execute(
                text(
                    "DELETE FROM deliveries WHERE id >= :a AND id < :b AND mailing_id = :m AND EXISTS ("
                    "  SELECT 1 FROM mailings WHERE id = :m AND deliveries_pruned_at IS NOT NULL"
                    "  AND status IN ('finished', 'cancelled'))"
                ),
                {"m": mailing_id, "a": start, "b": start + batch},
            ).rowcount
        pruned._timed(began)
    return True


def prune(
    engine: Engine,
    retention_days: int,
    now: datetime | None = None,
    batch: int = BATCH,
    budget: float | None = None,
) -> Pruned:
    """Drop the ledger rows of mailings that ended more than `retention_days` ago, keeping their counts.

    Stops between batches once `budget` seconds have passed; the next run carries on where it left.
    """
    started = time.perf_counter()
    deadline = time.monotonic() + budget if budget is not None else float("inf")
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    pruned = Pruned()
    for mailing_id in prunable_ids(engine, retention_days, now):
        if time.monotonic() > deadline:
            pruned.complete = False
            break
        began = time.perf_counter()
        marked = _mark(engine, mailing_id, cutoff)
        pruned._timed(began)
        if not marked:
            continue
        pruned.mailings.append(mailing_id)
        if not (
            _delete_rows(engine, mailing_id, batch, deadline, pruned)
            and _delete_clicks(engine, mailing_id, batch, deadline, pruned)
        ):
            pruned.complete = False
            break
    pruned.seconds = time.perf_counter() - started
    if pruned.rows:
        log.info(
            "pruned %d ledger rows of %d mailings in %.1f s (longest transaction %.3f s)%s",
            pruned.rows,
            len(pruned.mailings),
            pruned.seconds,
            pruned.longest_transaction,
            "" if pruned.complete else "; the rest next run",
        )
    return pruned
