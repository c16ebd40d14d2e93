"""What staff can do to a mailing in flight: send now, pause, resume, cancel, retry; each audited."""

from __future__ import annotations

from sqlalchemy import text

from webapi.domain import Actor, ApprovalRequired, DeliveriesPruned, WrongStatus
from webapi.extensions import db
from webapi.models import Mailing, utcnow
from webapi.services import ledger, reports, scheduling
from webapi.services.audit import record
from webapi.services.mailings import get_mailing

RETRYABLE = ("unknown", "failed")


def _transition(
    mailing_id: int, allowed: tuple[str, ...], target: str, verb: str, extra: str = ""
) -> Mailing:
    """One conditional UPDATE; a mailing in another state raises `WrongStatus`."""
    moved = db.session.execute(
        text(
            f"UPDATE mailings SET status = :target, updated_at = now() {extra} "  # noqa: S608 - fixed fragments
            "WHERE id = :id AND status = ANY(:allowed) RETURNING id"
        ),
        {"id": mailing_id, "target": target, "allowed": list(allowed)},
    ).scalar()
    if moved is None:
        mailing = get_mailing(mailing_id)
        status = mailing.status
        db.session.rollback()
        raise WrongStatus(status, " or ".join(allowed), verb)
    return get_mailing(mailing_id)


def _refreshed(mailing_id: int) -> Mailing:
    db.session.expire_all()
    return get_mailing(mailing_id)


def send_now(actor: Actor, mailing_id: int) -> Mailing:
    """Start a scheduled mailing at once; its audience is fanned out by the drivers, not here, so the
    answer never waits for it however large the audience is."""
    get_mailing(mailing_id)
    if not ledger.start(mailing_id, force=True, first_chunk=0):
        _refuse_start(mailing_id)
    record(actor, "mailing.send_now", "mailing", mailing_id)
    db.session.commit()
    scheduling.unschedule_start(mailing_id)
    scheduling.enqueue_after_start(mailing_id)
    return _refreshed(mailing_id)


def _refuse_start(mailing_id: int) -> None:
    """Why the start refused a mailing: it is not scheduled (`WrongStatus`), or it waits for approval."""
    db.session.expire_all()
    status = get_mailing(mailing_id).status
    db.session.rollback()
    if status == "scheduled":
        raise ApprovalRequired()
    raise WrongStatus(status, "scheduled", "sent now")


def pause(actor: Actor, mailing_id: int) -> Mailing:
    """Stop starting new sends; requests in flight finish."""
    _transition(mailing_id, ("sending",), "paused", "paused", """, pause_reason = '{"code": "manual"}'""")
    record(actor, "mailing.paused", "mailing", mailing_id)
    db.session.commit()
    ledger.release_claims(db.engine, mailing_id)
    scheduling.enqueue_progress(mailing_id)
    return _refreshed(mailing_id)


def resume(actor: Actor, mailing_id: int) -> Mailing:
    """Carry on sending a paused mailing (one its canary paused goes on with the rest: staff saw why)."""
    _transition(mailing_id, ("paused",), "sending", "resumed", _RESUMED)
    record(actor, "mailing.resumed", "mailing", mailing_id)
    db.session.commit()
    scheduling.ensure_drivers()
    scheduling.enqueue_progress(mailing_id)
    mailing = _refreshed(mailing_id)
    if mailing.canary_until is not None and mailing.canary_passed_at is None:
        # Paused while its canary waited: judged at the end of the wait (or at once, if that is over).
        scheduling.schedule_canary(mailing_id, mailing.canary_until)
    return mailing


_RESUMED = (
    ", canary_passed_at = CASE WHEN pause_reason->>'code' = 'canary' THEN now() ELSE canary_passed_at END"
    ", pause_reason = NULL"
)


def cancel(actor: Actor, mailing_id: int) -> Mailing:
    """Stop for good: pending deliveries become cancelled, what was sent stays sent."""
    _transition(
        mailing_id,
        ("scheduled", "sending", "paused"),
        "cancelled",
        "cancelled",
        ", finished_at = now(), pause_reason = NULL",
    )
    cancelled = db.session.execute(
        text(
            # Rows are locked in id order, as the drivers' marks lock them: a cancel while they send
            # waits for them instead of deadlocking.
            "UPDATE deliveries SET status = 'cancelled', lease_owner = NULL, lease_expires_at = NULL,"
            " updated_at = now() WHERE id IN (SELECT id FROM deliveries"
            "  WHERE mailing_id = :id AND status = 'pending' ORDER BY id FOR UPDATE)"
        ),
        {"id": mailing_id},
    ).rowcount
    record(actor, "mailing.cancelled", "mailing", mailing_id, cancelled_deliveries=cancelled)
    db.session.commit()
    scheduling.unschedule_start(mailing_id)
    scheduling.enqueue_progress(mailing_id)
    return _refreshed(mailing_id)


def retry(actor: Actor, mailing_id: int, statuses: list[str]) -> tuple[int, Mailing]:
    """Put `unknown` and/or `failed` deliveries back to pending and send them again."""
    mailing = get_mailing(mailing_id, lock=True)
    if mailing.status not in ("finished", "sending", "paused"):
        status = mailing.status
        db.session.rollback()
        raise WrongStatus(status, "finished, sending or paused", "retried")
    if mailing.deliveries_pruned_at is not None:
        # Under the mailing's lock, which the prune takes to mark it: a mailing is never sending
        # again with part of its ledger gone.
        pruned_at = mailing.deliveries_pruned_at.isoformat()
        db.session.rollback()
        raise DeliveriesPruned(pruned_at)
    requeued = db.session.execute(
        text(
            "UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = NULL,"
            " lease_owner = NULL, lease_expires_at = NULL, updated_at = now() "
            "WHERE mailing_id = :id AND status = ANY(:statuses)"
        ),
        {"id": mailing_id, "statuses": sorted(set(statuses))},
    ).rowcount
    if requeued and mailing.status == "finished":
        # A new round: it sends again and reports again when done.
        mailing.status = "sending"
        mailing.finished_at = None
        mailing.report_sent_at = None
        mailing.delivery_counts = None  # counted again when this round finishes
        reports.forget(mailing_id)
        mailing.updated_at = utcnow()
    record(actor, "mailing.retried", "mailing", mailing_id, statuses=sorted(set(statuses)), requeued=requeued)
    db.session.commit()
    if requeued and mailing.status == "sending":
        scheduling.ensure_drivers()
        scheduling.enqueue_progress(mailing_id)
    return requeued, _refreshed(mailing_id)
