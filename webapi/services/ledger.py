"""The delivery ledger as a state machine: start, fan-out, claim under a lease, fenced completion, finish.

Every transition is one conditional SQL statement, so racing schedulers, duplicate jobs and
several workers can run any of them at once and each row still moves exactly once.
Functions that take an `engine` are called from sender threads and open their own short
transactions; the others use the request/job session and leave the commit to the caller.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from webapi import placeholders, segments
from webapi.extensions import db
from webapi.models import FINAL_DELIVERY_STATUSES, Mailing, utcnow
from webapi.services import canary, retention, start_journal
from webapi.services.mailings import delivery_counts

log = logging.getLogger(__name__)

# The fan-out: the audience goes in ahead of send_at (while the mailing is still scheduled: the
# fan-out job), in chunks; a mailing started without that begins with its first rows in the start
# itself, and the rest follow in chunks while those send.
# Users changed this long before the fan-out began are looked at again by the start (clock skew).
CHANGED_MARGIN = 5.0
FIRST_CHUNK = 1_000
CHUNK = 50_000
NOTHING_YET = -(2**63)  # the fan-out cursor before the first user id
FANOUT_LOCK = 0x52_46  # advisory lock class of one mailing's fan-out ("RF")
BUSY = -2  # another driver holds the mailing's fan-out lock

LEASE_EXPIRED = "lease expired: the worker stopped mid-send, so it may or may not have been delivered"


@dataclass(frozen=True)
class Claim:
    """A delivery claimed by one driver: its id, mailing, user, the chat to send to and attempts so far."""

    id: int
    mailing_id: int
    user_id: int
    chat_id: int
    attempts: int = 0
    # The user's names for a mailing with placeholders (placeholders.values_of), else None.
    names: dict | None = None


def start(
    mailing_id: int, now: datetime | None = None, force: bool = False, first_chunk: int = FIRST_CHUNK
) -> bool:
    """Move a due (or, with `force`, any) scheduled mailing to sending.

    One conditional UPDATE decides who starts it. A mailing whose audience went in ahead of time
    (`fan_out_ahead`) keeps its rows: the start adds whoever became active since that began and
    drops the pending rows of whoever left. Any other begins with its first `first_chunk` rows.
    Either way the rest follows in chunks by user id (`fan_out_chunk`, from the drivers) while the
    first rows already send; the mailing cannot finish before the last chunk is in
    (`finish_if_done` waits for the cursor to clear).
    """
    started = db.session.execute(
        text(
            "UPDATE mailings SET status = 'sending', started_at = :now, updated_at = :now,"
            " fanout_cursor = CASE WHEN fanout_from IS NULL THEN :c ELSE fanout_cursor END "
            "WHERE id = :id AND status = 'scheduled' AND (:force OR send_at <= :now) "
            # Not even forced while it waits for approval (webapi/services/approval.py).
            "  AND NOT (approval_required AND approved_at IS NULL) "
            "RETURNING id, fanout_from, fanout_cursor, segment"
        ),
        {"id": mailing_id, "now": now or utcnow(), "force": force, "c": NOTHING_YET},
    ).one_or_none()
    if started is None:
        return False
    if started.fanout_from is not None:
        _changed_since(
            db.session.connection(), mailing_id, started.fanout_from, started.fanout_cursor, started.segment
        )
    elif first_chunk:
        _fan_out_next(db.session.connection(), mailing_id, NOTHING_YET, first_chunk)
    return True


def _changed_since(conn, mailing_id: int, since: datetime, cursor: int | None, segment: dict | None) -> None:
    """The start of a mailing fanned out ahead of time: rows for users who joined its audience since
    the fan-out began (behind its cursor; chunks still to come read users as they are), and no
    pending row for users who left it (no longer active, or out of its segment: a tag removed)."""
    chosen, chosen_params = segments.condition(segment)
    params = {"m": mailing_id, "since": since, "c": cursor, "margin": CHANGED_MARGIN, **chosen_params}
    conn.execute(text(_JOINED_SINCE.format(chosen=chosen)), params)
    conn.execute(text(_LEFT_SINCE.format(chosen=chosen)), params)


# Statements with a segment's condition (`{chosen}`, fixed SQL from webapi/segments.py; its values
# are bound parameters).
_JOINED_SINCE = (
    "INSERT INTO deliveries (mailing_id, user_id, chat_id, status, attempts, updated_at) "
    "SELECT :m, tg_id, tg_id, 'pending', 0, now() FROM users "
    "WHERE updated_at >= CAST(:since AS timestamptz) - make_interval(secs => :margin)"
    "  AND status = 'active' AND {chosen} AND (CAST(:c AS bigint) IS NULL OR tg_id <= :c) "
    "ON CONFLICT ON CONSTRAINT uq_deliveries_mailing_user DO NOTHING"
)
_LEFT_SINCE = (
    "DELETE FROM deliveries WHERE mailing_id = :m AND status = 'pending' AND user_id IN ("
    "  SELECT tg_id FROM users"
    "  WHERE updated_at >= CAST(:since AS timestamptz) - make_interval(secs => :margin)"
    "    AND (status <> 'active' OR NOT {chosen}))"
)
_TO_COME = "SELECT count(*) FROM users WHERE status = 'active' AND {chosen} AND tg_id > :c"
_AUDIENCE = "SELECT count(*) FILTER (WHERE {chosen}), count(*) FROM users WHERE status = 'active'"


def fan_out_ahead(engine: Engine, mailing_id: int, seconds: float) -> bool:
    """Let a scheduled mailing due within `seconds` be fanned out ahead of its start (once); True
    if it now may be. Its rows cannot be claimed before the start: claims take sending mailings'."""
    with engine.begin() as conn:
        return (
            conn.execute(
                text(
                    "UPDATE mailings SET fanout_cursor = :c, fanout_from = now() "
                    "WHERE id = :m AND status = 'scheduled' AND fanout_from IS NULL "
                    "  AND NOT (approval_required AND approved_at IS NULL) "
                    "  AND send_at <= now() + make_interval(secs => :s) RETURNING id"
                ),
                {"m": mailing_id, "c": NOTHING_YET, "s": seconds},
            ).scalar()
            is not None
        )


def fan_out(mailing_id: int) -> int:
    """The whole audience of a started mailing in this session's transaction (tests, tools)."""
    added = 0
    while True:
        cursor = db.session.execute(
            text("SELECT fanout_cursor FROM mailings WHERE id = :m"), {"m": mailing_id}
        ).scalar()
        if cursor is None:
            return added
        added += _fan_out_next(db.session.connection(), mailing_id, cursor, CHUNK)


def fan_out_chunk(engine: Engine, mailing_id: int, size: int = CHUNK) -> int | None:
    """Add the next `size` active users' rows to a mailing being fanned out, in one transaction.

    Returns how many users the chunk covered, 0 when another driver is fanning this mailing out
    right now, and None when there is nothing left to fan out (or the mailing stopped). The chunk
    that completes the fan-out has the ledger's statistics brought up to date (`ANALYZE`).
    """
    covered = _fan_out_locked(engine, mailing_id, size)
    if covered == BUSY:
        return 0
    if covered is not None and covered < size:
        # A large audience just went in: planned with statistics from before it, marking a batch
        # of rows `sending` by id scanned the whole mailing (200 ms a batch at 1,000,000 rows,
        # every slot missed) until autovacuum, if it runs at all, analyzed the table.
        with engine.connect() as conn:
            conn.execute(text("ANALYZE deliveries"))
            conn.commit()
    return covered


def _fan_out_locked(engine: Engine, mailing_id: int, size: int) -> int | None:
    with engine.connect() as conn, conn.begin() as transaction:
        if not conn.execute(
            text("SELECT pg_try_advisory_xact_lock(:k, (:m % 2147483647)::int)"),
            {"k": FANOUT_LOCK, "m": mailing_id},
        ).scalar():
            return BUSY
        cursor = conn.execute(
            text(
                "SELECT fanout_cursor FROM mailings "
                "WHERE id = :m AND status IN ('scheduled', 'sending', 'paused')"
            ),
            {"m": mailing_id},
        ).scalar()
        if cursor is None:
            return None
        covered = _fan_out_next(conn, mailing_id, cursor, size)
        if covered < 0:  # cancelled (or changed) meanwhile: its rows must not appear
            transaction.rollback()
            return None
        return covered


_FAN_OUT = (
    "WITH chunk AS ("
    "  SELECT tg_id FROM users WHERE status = 'active' AND {chosen} AND tg_id > :c ORDER BY tg_id LIMIT :n"
    "), added AS ("
    "  INSERT INTO deliveries (mailing_id, user_id, chat_id, status, attempts, updated_at)"
    "  SELECT :m, tg_id, tg_id, 'pending', 0, now() FROM chunk {conflict}"
    ") SELECT max(tg_id), count(*) FROM chunk"
)
_SKIP_EXISTING = "ON CONFLICT ON CONSTRAINT uq_deliveries_mailing_user DO NOTHING"


def _fan_out_next(conn, mailing_id: int, cursor: int, size: int) -> int:
    """Rows for the next `size` users of the audience after `cursor`, and the cursor moved past them
    (cleared after the last); the number of users covered, or -1 when the cursor was not where we
    read it."""
    segment = conn.execute(text("SELECT segment FROM mailings WHERE id = :m"), {"m": mailing_id}).scalar()
    chosen, chosen_params = segments.condition(segment)
    params = {"m": mailing_id, "c": cursor, "n": size, **chosen_params}
    try:
        # Nothing past the cursor is in the ledger yet (chunks move it under a lock), so the rows go
        # in without ON CONFLICT's per-row check (a third of the insert's time) ...
        with conn.begin_nested():
            statement = _FAN_OUT.format(chosen=chosen, conflict="")
            last, covered = conn.execute(text(statement), params).one()
    except IntegrityError:
        # ... and should one be there after all, the chunk is added around it.
        statement = _FAN_OUT.format(chosen=chosen, conflict=_SKIP_EXISTING)
        last, covered = conn.execute(text(statement), params).one()
    moved = conn.execute(
        text(
            "UPDATE mailings SET fanout_cursor = :next WHERE id = :m AND fanout_cursor = :c "
            "AND status IN ('scheduled', 'sending', 'paused') RETURNING id"
        ),
        {"m": mailing_id, "c": cursor, "next": last if covered == size else None},
    ).scalar()
    if moved is None:
        return -1
    if covered < size:
        # The audience is all in: a canary's sample is chosen from it, in the same transaction.
        canary.mark_sample(conn, mailing_id)
    return covered


def audience_to_come(mailing: Mailing) -> int:
    """Users of its audience a sending or paused mailing's fan-out has yet to add (0 once it is done)."""
    if mailing.fanout_cursor is None or mailing.status not in ("sending", "paused"):
        return 0
    chosen, params = segments.condition(mailing.segment)
    return db.session.execute(
        text(_TO_COME.format(chosen=chosen)),
        {"c": mailing.fanout_cursor, **params},
    ).scalar()


def audience_size(segment: dict | None) -> tuple[int, int]:
    """How many active subscribers a segment holds now, and how many there are in all."""
    chosen, params = segments.condition(segment)
    row = db.session.execute(
        text(_AUDIENCE.format(chosen=chosen)),
        params,
    ).one()
    return row[0], row[1]


def fanning_ids(engine: Engine) -> list[int]:
    """Mailings whose audience is not all in the ledger yet: sending or paused ones by their start,
    then scheduled ones fanned out ahead of time by send_at."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT id FROM mailings WHERE fanout_cursor IS NOT NULL "
                "AND status IN ('scheduled', 'sending', 'paused') "
                "ORDER BY started_at NULLS LAST, send_at, id"
            )
        )
        return [row[0] for row in rows]


def due_mailing_ids(now: datetime | None = None) -> list[int]:
    """Scheduled mailings whose time has come (and that wait for no approval)."""
    rows = db.session.execute(
        text(
            "SELECT id FROM mailings WHERE status = 'scheduled' AND send_at <= :now "
            "AND NOT (approval_required AND approved_at IS NULL) ORDER BY send_at"
        ),
        {"now": now or utcnow()},
    )
    return [row[0] for row in rows]


def seconds_to_next_start() -> float | None:
    """Seconds until the next scheduled mailing is due (by this host's clock, as `start` reads it); one
    waiting for approval is not counted (it starts when approved)."""
    send_at = db.session.execute(
        text(
            "SELECT min(send_at) FROM mailings WHERE status = 'scheduled' "
            "AND NOT (approval_required AND approved_at IS NULL)"
        )
    ).scalar()
    db.session.rollback()
    return None if send_at is None else (send_at - utcnow()).total_seconds()


def mailing_ids(status: str) -> list[int]:
    """Ids of the mailings in one status."""
    return [
        row[0] for row in db.session.execute(text("SELECT id FROM mailings WHERE status = :s"), {"s": status})
    ]


def mailing_ids_of(engine: Engine, status: str) -> list[int]:
    """Ids of the mailings in one status, oldest start first, read outside any session."""
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id FROM mailings WHERE status = :s ORDER BY started_at NULLS LAST, id"),
            {"s": status},
        )
        return [row[0] for row in rows]


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


def sendable_ids(engine: Engine) -> list[tuple[int, bool]]:
    """Sending mailings the drivers send now, oldest start first, each with whether only its canary's
    sample may go (a mailing whose sample is done waits for its canary's verdict, not in a driver)."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT id, canary IS NOT NULL AND canary_passed_at IS NULL AS sample FROM mailings "
                "WHERE status = 'sending' AND (canary IS NULL OR canary_passed_at IS NOT NULL"
                "  OR canary_until IS NULL) ORDER BY started_at NULLS LAST, id"
            )
        )
        return [(row.id, row.sample) for row in rows]


def claim_batch(
    engine: Engine,
    mailing_id: int,
    owner: str,
    size: int,
    lease_seconds: float,
    names: bool = False,
    sample: bool = False,
) -> list[Claim]:
    """Lease up to `size` due pending deliveries to `owner`; rows other drivers hold are skipped.

    With `names`, each claim carries its user's names (for a mailing with placeholders). With
    `sample`, only rows of its canary's sample are taken; without, rows of the rest are taken only
    once its canary passed (so a driver that has not yet heard of the canary takes none of them).
    """
    claim = _CLAIM.format(sample="AND d.canary" if sample else "")
    with engine.begin() as conn:
        rows = conn.execute(
            text(_WITH_NAMES.format(claim=claim) if names else claim),
            {"m": mailing_id, "n": size, "owner": owner, "lease": lease_seconds},
        ).all()
    return [
        Claim(
            row.id,
            mailing_id,
            row.user_id,
            row.chat_id or row.user_id,
            row.attempts,
            placeholders.values_of(row._mapping) if names else None,
        )
        for row in rows
    ]


_CLAIM = (
    "WITH picked AS ("
    "  SELECT d.id FROM deliveries d"
    "  WHERE d.mailing_id = :m AND d.status = 'pending'"
    "    AND (d.next_attempt_at IS NULL OR d.next_attempt_at <= now())"
    "    AND (d.lease_expires_at IS NULL OR d.lease_expires_at < now()) {sample}"
    "  LIMIT :n FOR UPDATE SKIP LOCKED) "
    "UPDATE deliveries d SET lease_owner = :owner,"
    "  lease_expires_at = now() + make_interval(secs => :lease), updated_at = now() "
    "FROM picked WHERE d.id = picked.id"
    "  AND EXISTS (SELECT 1 FROM mailings WHERE id = :m AND status = 'sending') "
    # Both subqueries are evaluated once per claim, not per row.
    "  AND (d.canary OR NOT EXISTS (SELECT 1 FROM mailings"
    "    WHERE id = :m AND canary IS NOT NULL AND canary_passed_at IS NULL)) "
    "RETURNING d.id, d.user_id, d.chat_id, d.attempts"
)
# The claimed rows with their users' names (`{claim}` is _CLAIM with its `{sample}` filled in).
_WITH_NAMES = (
    "WITH claimed AS ({claim}) SELECT c.*, u.first_name, u.last_name, u.username "
    "FROM claimed c LEFT JOIN users u ON u.tg_id = c.user_id"
)


def mark_sending_many(engine: Engine, ids: list[int], owner: str, lease_seconds: float) -> dict[int, int]:
    """Rows about to go out: pending → sending where we still hold them and their mailing still sends.

    Returns {id: chat id} of the rows now ours to send; the others were paused, cancelled or
    taken over by another driver after our claim expired.
    """
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


@dataclass(frozen=True)
class Closing:
    """How one delivery being sent ends (or goes back to pending), and what Telegram said.

    `pending` puts it back, due in `delay` seconds: only for answers that prove nothing was
    delivered (429, a refused connection, a slot that was never used); `uncount` takes back the
    attempt `mark_sending_many` counted when no request left at all.
    """

    id: int
    mailing_id: int
    status: str
    chat_id: int | None = None
    message_id: int | None = None
    error: str | None = None
    block_user: bool = False
    delay: float = 0.0
    uncount: bool = False


_CLOSE = text(
    "UPDATE deliveries d SET"
    "  status = CASE WHEN v.status = 'pending' AND d.mailing_id = ANY(:cancelled) THEN 'cancelled'"
    "    ELSE v.status END,"
    "  message_id = COALESCE(v.message_id, d.message_id),"
    "  last_error = CASE WHEN v.status = 'pending' THEN COALESCE(v.error, d.last_error) ELSE v.error END,"
    "  chat_id = COALESCE(v.chat_id, d.chat_id),"
    "  attempts = GREATEST(d.attempts - v.uncount, 0),"
    "  next_attempt_at = CASE WHEN v.status = 'pending' THEN now() + make_interval(secs => v.delay)"
    "    ELSE d.next_attempt_at END,"
    "  sent_at = CASE WHEN v.status = 'sent' THEN now() ELSE d.sent_at END,"
    "  lease_owner = NULL, lease_expires_at = NULL, updated_at = now() "
    "FROM unnest(CAST(:ids AS bigint[]), CAST(:statuses AS text[]), CAST(:chats AS bigint[]),"
    "  CAST(:messages AS bigint[]), CAST(:errors AS text[]), CAST(:delays AS float8[]),"
    "  CAST(:uncounts AS int[])) AS v(id, status, chat_id, message_id, error, delay, uncount) "
    # A row the lease expirer turned `unknown` while its driver lived is put right by what it knew.
    "WHERE d.id = v.id AND d.lease_owner = :owner AND d.status IN ('sending', 'unknown') "
    "RETURNING d.id, d.user_id"
)


def close_many(engine: Engine, owner: str, closings: list[Closing]) -> int:
    """Write outcomes of rows we are sending, in one transaction, fenced on our lease; returns rows closed.

    The mailings are share-locked first, so a cancel either happens before (rows due back to
    pending end `cancelled` instead) or waits and finds them pending (and cancels them itself).
    """
    if not closings:
        return 0
    with engine.begin() as conn:
        # Ids in order, so two closers never deadlock on the mailings' rows.
        locked = conn.execute(
            text("SELECT id, status FROM mailings WHERE id = ANY(:ids) ORDER BY id FOR SHARE"),
            {"ids": sorted({c.mailing_id for c in closings})},
        ).all()
        cancelled = [row.id for row in locked if row.status == "cancelled"]
        rows = conn.execute(
            _CLOSE,
            {
                "owner": owner,
                "cancelled": cancelled,
                "ids": [c.id for c in closings],
                "statuses": [c.status for c in closings],
                "chats": [c.chat_id for c in closings],
                "messages": [c.message_id for c in closings],
                "errors": [c.error for c in closings],
                "delays": [float(c.delay) for c in closings],
                "uncounts": [int(c.uncount) for c in closings],
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


def renew_leases(engine: Engine, owner: str, ids: list[int], lease_seconds: float) -> int:
    """Extend our leases on rows we still hold (claimed or in flight): a live driver's rows never expire."""
    if not ids:
        return 0
    with engine.begin() as conn:
        return conn.execute(
            text(
                "UPDATE deliveries SET lease_expires_at = now() + make_interval(secs => :lease) "
                "WHERE id = ANY(:ids) AND lease_owner = :owner AND status IN ('pending', 'sending')"
            ),
            {"ids": list(ids), "owner": owner, "lease": lease_seconds},
        ).rowcount


def release(engine: Engine, owner: str, ids: list[int]) -> int:
    """Hand back some of our claimed rows not yet started (pending again, free for any driver)."""
    if not ids:
        return 0
    with engine.begin() as conn:
        return conn.execute(
            text(
                "UPDATE deliveries SET lease_owner = NULL, lease_expires_at = NULL "
                "WHERE id = ANY(:ids) AND lease_owner = :owner AND status = 'pending'"
            ),
            {"ids": list(ids), "owner": owner},
        ).rowcount


def release_claims(engine: Engine, mailing_id: int | None, owner: str | None = None) -> int:
    """Hand back pending rows claimed but not started: of one mailing or all, of one owner or all."""
    clauses = ["status = 'pending'", "lease_owner = :owner" if owner else "lease_owner IS NOT NULL"]
    if mailing_id is not None:
        clauses.append("mailing_id = :m")
    with engine.begin() as conn:
        return conn.execute(
            text(
                "UPDATE deliveries SET lease_owner = NULL, lease_expires_at = NULL "  # noqa: S608 - fixed
                f"WHERE {' AND '.join(clauses)}"
            ),
            {"m": mailing_id, "owner": owner},
        ).rowcount


def expire_leases(engine: Engine, redis: Redis | None, mailing_id: int | None = None) -> list[int]:
    """Settle `sending` rows whose lease ran out (their driver died or stalled); return the mailings touched.

    A row its driver's start journal proves was never requested goes back to pending (or to
    `cancelled` in a cancelled mailing); any other may have been delivered, so it is `unknown`
    (its lease owner is kept, so a driver that is alive after all can still write what it knew).
    """
    scope = "AND mailing_id = :m" if mailing_id is not None else ""
    with engine.begin() as conn:
        rows = conn.execute(
            text(
                "SELECT id, lease_owner FROM deliveries "  # noqa: S608 - fixed fragments
                f"WHERE status = 'sending' AND lease_expires_at < now() {scope} "
                "ORDER BY id FOR UPDATE SKIP LOCKED"
            ),
            {"m": mailing_id},
        ).all()
        if not rows:
            return []
        by_owner: dict[str, list[int]] = {}
        for row in rows:
            by_owner.setdefault(row.lease_owner or "", []).append(row.id)
        try:
            unsent = start_journal.unstarted(redis, by_owner) if redis is not None else set()
        except RedisError as error:
            log.warning("start journals unreadable (%s): expired rows become unknown", type(error).__name__)
            unsent = set()
        ids = [row.id for row in rows]
        touched = conn.execute(
            text(
                "UPDATE deliveries d SET"
                "  status = CASE WHEN NOT d.id = ANY(:unsent) THEN 'unknown'"
                "    WHEN m.status = 'cancelled' THEN 'cancelled' ELSE 'pending' END,"
                "  last_error = CASE WHEN d.id = ANY(:unsent) THEN d.last_error ELSE :error END,"
                "  attempts = CASE WHEN d.id = ANY(:unsent) THEN GREATEST(d.attempts - 1, 0)"
                "    ELSE d.attempts END,"
                "  lease_owner = CASE WHEN d.id = ANY(:unsent) THEN NULL ELSE d.lease_owner END,"
                "  lease_expires_at = NULL, updated_at = now() "
                "FROM mailings m WHERE d.id = ANY(:ids) AND m.id = d.mailing_id RETURNING d.mailing_id"
            ),
            {"ids": ids, "unsent": sorted(unsent), "error": LEASE_EXPIRED},
        ).all()
    if unsent:
        log.info("%d expired deliveries were never requested and went back to pending", len(unsent))
    return sorted({row[0] for row in touched})


@dataclass(frozen=True)
class WorkLeft:
    """What still stands between a mailing and its end (`fanning`: rows are still being added)."""

    pending: int
    sending: int
    next_due_in: float | None
    fanning: bool = False


def work_left(engine: Engine, mailing_id: int) -> WorkLeft:
    """Pending and sending counts, and seconds until the earliest pending row may be claimed."""
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT count(*) FILTER (WHERE status = 'pending') AS pending,"
                "  count(*) FILTER (WHERE status = 'sending') AS sending,"
                "  extract(epoch FROM min(GREATEST(COALESCE(next_attempt_at, now()),"
                "    COALESCE(lease_expires_at, now()))) FILTER (WHERE status = 'pending') - now()) AS due,"
                "  (SELECT fanout_cursor IS NOT NULL FROM mailings WHERE id = :m) AS fanning "
                "FROM deliveries WHERE mailing_id = :m AND status IN ('pending', 'sending')"
            ),
            {"m": mailing_id},
        ).one()
    due = None if row.due is None else max(0.0, float(row.due))
    return WorkLeft(row.pending, row.sending, due, bool(row.fanning))


def finish_if_done(engine: Engine, mailing_id: int) -> bool:
    """Finish a sending mailing with nothing pending or sending; True for the one caller that did it.

    The mailing's row is locked before the ledger is read, so a retry that puts rows back to
    pending (under the same lock) is either seen here or comes after the finish.
    """
    with engine.begin() as conn:
        locked = conn.execute(
            text(
                "SELECT id FROM mailings WHERE id = :m AND status = 'sending' AND fanout_cursor IS NULL "
                "FOR UPDATE"
            ),
            {"m": mailing_id},
        ).scalar()
        if locked is None:
            return False
        busy = conn.execute(
            text(
                "SELECT EXISTS (SELECT 1 FROM deliveries"
                "  WHERE mailing_id = :m AND status IN ('pending', 'sending'))"
            ),
            {"m": mailing_id},
        ).scalar()
        if busy:
            return False
        # The ledger's counts stay on the mailing, for when its rows are pruned (services/retention.py).
        conn.execute(
            text(
                "UPDATE mailings SET status = 'finished', finished_at = now(), updated_at = now(),"  # noqa: S608
                f" delivery_counts = {retention.COUNTS} WHERE id = :m"
            ),
            {"m": mailing_id},
        )
    return True


def progress(mailing: Mailing, counts: dict[str, int] | None = None) -> dict:
    """Done and pending counts, rate (messages/s), elapsed and ETA (seconds; None when unknown).

    While the audience is still being fanned out, `to_come` counts the active users not in the
    ledger yet; they are part of `pending` (and the ETA), so the figures are right from the start.
    """
    counts = counts or delivery_counts(mailing.id)
    done = sum(counts[s] for s in FINAL_DELIVERY_STATUSES)
    to_come = audience_to_come(mailing)
    pending = counts["pending"] + counts["sending"] + to_come
    if mailing.started_at is None:
        return {
            "done": done,
            "pending": pending,
            "to_come": to_come,
            "rate": 0.0,
            "elapsed": 0.0,
            "eta": None,
        }
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
        "to_come": to_come,
        "rate": round(rate, 2),
        "elapsed": round(elapsed, 1),
        "eta": eta,
    }
