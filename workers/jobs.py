"""RQ jobs: module-level functions that take ids, each run inside the app context.

Every job's timeout is set where it is enqueued (webapi/services/scheduling.py, workers/schedule.py)
and sits above its own longest run. A failing job raises, so RQ records why in its failed registry.
"""

from __future__ import annotations

import logging
import threading

from flask import current_app
from rq import get_current_job

from webapi.extensions import db
from webapi.services import scheduling, sending
from webapi.services.audit import record
from workers import engine, progress, report, worker
from workers.content import mailing_content, render
from workers.context import in_app_context, redis, telegram

log = logging.getLogger(__name__)


def _meta(**values) -> None:
    """Show job progress in job.meta (rq-dashboard reads it)."""
    job = get_current_job()
    if job is not None:
        job.meta.update(values)
        job.save_meta()


@in_app_context
def start_mailing(mailing_id: int) -> str:
    """At send_at: start the mailing if it is due and still scheduled, then announce it and start drivers."""
    started = sending.start(mailing_id)
    if started:
        record(None, "mailing.started", "mailing", mailing_id)
    db.session.commit()
    status = sending.mailing_status(db.engine, mailing_id)
    if started:
        _announce(mailing_id)
    if status == "sending":
        scheduling.ensure_drivers(mailing_id)
    _meta(started=started, status=status)
    return f"mailing {mailing_id}: {'started' if started else 'not started'} ({status})"


def _announce(mailing_id: int) -> None:
    try:
        progress.announce(mailing_id)
    except Exception:  # the progress message is a courtesy; sending must go on without it
        log.exception("mailing %s: progress message failed", mailing_id)
        db.session.rollback()


@in_app_context
def after_start(mailing_id: int) -> str:
    """After a send-now: the progress message and the drivers."""
    _announce(mailing_id)
    added = scheduling.ensure_drivers(mailing_id)
    return f"mailing {mailing_id}: {added} drivers added"


@in_app_context
def drive_mailing(mailing_id: int, slot: int) -> str:
    """Send a mailing until it is done, paused or cancelled, or this job's time budget runs out."""
    job = get_current_job()
    holder = job.id if job is not None else "direct"
    slot_key = scheduling.driver_slot_key(mailing_id, slot)
    why = "not sending"
    try:
        why = _drive(mailing_id, holder, slot_key)
    finally:
        if why == "stopped" and worker.stopping():
            why = "shutdown"
        if why in ("budget", "shutdown"):
            # Another worker carries on at once (this one is leaving, or its time is up).
            scheduling.enqueue_driver(mailing_id, slot, force=True)
        elif redis().get(slot_key) in (None, holder.encode()):
            # Free the slot at once, so a resume or reconcile need not wait for it to expire.
            redis().delete(slot_key)
    if why == "finished":
        scheduling.enqueue_report(mailing_id)
    if why != "not sending":
        _finish_progress(mailing_id)
    _meta(stopped=why)
    return f"mailing {mailing_id}: driver {slot} stopped ({why})"


def _drive(mailing_id: int, holder: str, slot_key: str) -> str:
    settings = current_app.config["SETTINGS"]
    content = sending_mailing(mailing_id)
    if content is None:
        return "not sending"
    client, limiter = telegram()
    delivery = engine.Delivery(
        engine=db.engine,
        client=client,
        limiter=limiter,
        calls=render(content),
        owner=engine.new_owner(holder),
        paid=settings.paid_broadcast,
        stop=threading.Event(),
    )
    db.session.rollback()

    def heartbeat() -> None:
        # Keep our slot (it may have vanished with a Redis flush) and show progress.
        redis().set(slot_key, holder, ex=scheduling.DRIVER_SLOT_TTL)
        try:
            progress.update(mailing_id)
        except Exception:
            log.exception("mailing %s: progress edit failed", mailing_id)
        finally:
            db.session.rollback()
        left = sending.work_left(db.engine, mailing_id)
        _meta(mailing_id=mailing_id, pending=left.pending, sending=left.sending)

    worker.watch(delivery.stop)
    try:
        return engine.drive(
            delivery,
            mailing_id,
            settings.broadcast_rate,
            scheduling.DRIVERS,
            scheduling.DRIVER_BUDGET_SECONDS,
            on_batch=heartbeat,
        )
    finally:
        worker.unwatch(delivery.stop)


def sending_mailing(mailing_id: int) -> dict | None:
    """The content of a mailing that is sending, or None."""
    from webapi.models import Mailing

    mailing = db.session.get(Mailing, mailing_id)
    if mailing is None or mailing.status != "sending":
        return None
    return mailing_content(mailing)


def _finish_progress(mailing_id: int) -> None:
    try:
        progress.update(mailing_id, force=True)
    except Exception:
        log.exception("mailing %s: progress edit failed", mailing_id)
    finally:
        db.session.rollback()


@in_app_context
def update_progress(mailing_id: int) -> bool:
    """Edit the progress message now (after a pause, resume or cancel)."""
    return progress.update(mailing_id, force=True)


@in_app_context
def send_report(mailing_id: int) -> int:
    """Send the finished mailing's report to the staff, once."""
    reached = report.send_report(mailing_id)
    _finish_progress(mailing_id)
    _meta(reached=reached)
    return reached


@in_app_context
def reconcile() -> dict:
    """Every 30 s: start what is due, expire dead leases, give sending mailings drivers, finish and report.

    Everything here reads Postgres, so it also rebuilds whatever a lost Redis forgot.
    """
    summary = {"started": [], "expired": [], "drivers": 0, "finished": [], "reports": []}
    for mailing_id in sending.due_mailing_ids():
        if sending.start(mailing_id):
            record(None, "mailing.started", "mailing", mailing_id, by="reconcile")
            db.session.commit()
            summary["started"].append(mailing_id)
            _announce(mailing_id)
        else:
            db.session.rollback()
    summary["expired"] = sending.expire_leases(db.engine)
    for mailing_id in sending.mailing_ids("sending"):
        if sending.finish_if_done(db.engine, mailing_id):
            summary["finished"].append(mailing_id)
        else:
            summary["drivers"] += scheduling.ensure_drivers(mailing_id)
    for mailing_id in sending.unreported_ids():
        scheduling.enqueue_report(mailing_id)
        summary["reports"].append(mailing_id)
    db.session.rollback()
    _meta(**summary)
    return summary
