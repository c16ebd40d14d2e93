"""RQ jobs: module-level functions that take ids, each run inside the app context.

Every job's timeout is set where it is enqueued (webapi/services/scheduling.py, workers/schedule.py)
and sits above its own longest run. A failing job raises, so RQ records why in its failed registry.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from flask import current_app
from redis.exceptions import RedisError
from rq import get_current_job
from sqlalchemy import text

from webapi import click_links
from webapi.extensions import db
from webapi.jobs import DRIVER_BUDGET_SECONDS, JUDGE_CANARY, PRUNE_BUDGET_SECONDS
from webapi.services import approval, canary, ledger, retention, scheduling
from webapi.services.audit import record
from webapi.telegram import telegram
from webapi.telegram.render import TelegramCall, mailing_content, render
from workers import approval as approval_messages
from workers import engine, pause_notice, progress, report, worker
from workers.context import in_app_context, redis

log = logging.getLogger(__name__)

# A start job that finds its mailing due further away than this (clocks differ, a moved
# send_at) puts itself back at the right time instead of waiting in a worker.
START_WAIT_MOST = 10.0
REPORT_JOIN_SECONDS = 300.0


def _meta(**values) -> None:
    """Show job progress in job.meta (rq-dashboard reads it)."""
    job = get_current_job()
    if job is not None:
        job.meta.update(values)
        job.save_meta()


def _seconds_until_due(mailing_id: int) -> float | None:
    """Seconds until a scheduled mailing is due by the database's clock (None if not scheduled)."""
    value = db.session.execute(
        text(
            "SELECT extract(epoch FROM send_at - now()) FROM mailings WHERE id = :m AND status = 'scheduled'"
        ),
        {"m": mailing_id},
    ).scalar()
    db.session.rollback()
    return None if value is None else float(value)


@in_app_context
def start_mailing(mailing_id: int) -> str:
    """Just before send_at: make sure drivers run (they start it on the dot), or start it now if due.

    rq-scheduler fires on whole seconds, so the job is due a little early; it never waits in a
    worker (that would hold the worker the drivers need). One that fires far too early (another
    host's clock) re-schedules itself rather than give up.
    """
    until = _seconds_until_due(mailing_id)
    if until is not None and until > START_WAIT_MOST:
        from webapi.models import Mailing

        scheduling.schedule_start(mailing_id, db.session.get(Mailing, mailing_id).send_at)
        db.session.rollback()
        _meta(rescheduled=True)
        return f"mailing {mailing_id}: due in {until:.1f} s, start re-scheduled"
    started = until is not None and until <= 0 and _start(mailing_id)
    status = ledger.mailing_status(db.engine, mailing_id)
    if status in ("scheduled", "sending"):
        scheduling.ensure_drivers()
    _meta(started=started, status=status)
    return f"mailing {mailing_id}: {'started' if started else 'not started'} ({status})"


@in_app_context
def fan_out_ahead(mailing_id: int) -> str:
    """AHEAD_SECONDS before send_at: put the scheduled mailing's audience in the ledger now, chunk by
    chunk, so its start finds it there (and adds or drops only whoever changed since).

    A job that fires far too early re-schedules the mailing's jobs; one for a mailing that is no
    longer scheduled helps with whatever fan-out is left, as the drivers do.
    """
    until = _seconds_until_due(mailing_id)
    if until is not None and until > scheduling.AHEAD_SECONDS + START_WAIT_MOST:
        from webapi.models import Mailing

        scheduling.schedule_start(mailing_id, db.session.get(Mailing, mailing_id).send_at)
        db.session.rollback()
        _meta(rescheduled=True)
        return f"mailing {mailing_id}: due in {until:.1f} s, fan-out re-scheduled"
    ahead = until is not None and ledger.fan_out_ahead(db.engine, mailing_id, scheduling.AHEAD_SECONDS + 1)
    added = 0
    # None: all in (or stopped); 0: a driver is adding this mailing's chunks right now.
    while chunk := ledger.fan_out_chunk(db.engine, mailing_id):
        added += chunk
        _meta(added=added)
    return f"mailing {mailing_id}: {added} rows added{' ahead of its start' if ahead else ''}"


def _start(mailing_id: int, by: str | None = None, announce: bool = True) -> bool:
    """Start one due mailing (once, whoever else tries) and, unless told not to, announce it."""
    started = ledger.start(mailing_id)
    if started:
        record(None, "mailing.started", "mailing", mailing_id, **({"by": by} if by else {}))
        db.session.commit()
        if announce:
            _announce(mailing_id)
    else:
        db.session.rollback()
    return started


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
    added = scheduling.ensure_drivers()
    return f"mailing {mailing_id}: {added} drivers added"


@in_app_context
def drive(slot: int) -> str:
    """Send every sending mailing until none is left, the worker stops, or this job's budget runs out."""
    job = get_current_job()
    holder = job.id if job is not None else "direct"
    slot_key = scheduling.driver_slot_key(slot)
    chores: list[threading.Thread] = []
    why = "stopped"
    try:
        why = _drive(holder, slot_key, chores)
    finally:
        if why == "stopped" and worker.stopping():
            why = "shutdown"
        _hand_over(slot, slot_key, holder, why)
        for thread in chores:
            thread.join(timeout=REPORT_JOIN_SECONDS)
    _meta(stopped=why)
    return f"driver {slot} stopped ({why})"


def drive_mailing(mailing_id: int, slot: int) -> str:
    """A driver job queued before drivers served every mailing: it drives them all now."""
    return drive(slot)


def _hand_over(slot: int, slot_key: str, holder: str, why: str) -> None:
    try:
        if why in ("budget", "shutdown"):
            # Another worker carries on at once (this one is leaving, or its time is up).
            scheduling.enqueue_driver(slot, force=True)
            return
        if redis().get(slot_key) in (None, holder.encode()):
            # Free the slot at once, so a resume or reconcile need not wait for it to expire.
            redis().delete(slot_key)
    except RedisError as error:
        log.warning("driver %s: slot not handed over (%s); reconcile will", slot, type(error).__name__)
        return
    # A mailing that began sending as this driver left must not wait for the next reconcile.
    if ledger.sendable_ids(db.engine):
        scheduling.ensure_drivers()


def _drive(holder: str, slot_key: str, chores: list[threading.Thread]) -> str:
    settings = current_app.config["SETTINGS"]
    client, limiter = telegram()
    app = current_app._get_current_object()
    stop = threading.Event()

    def in_app(func):
        def run(*args):
            with app.app_context():
                try:
                    return func(*args)
                finally:
                    db.session.remove()

        return run

    def content(mailing_id: int) -> list[TelegramCall] | None:
        found = sending_mailing(mailing_id)
        # With PUBLIC_URL set, each recipient's URL buttons go through the click redirect.
        return None if found is None else render(found, click_links.for_mailing(settings, mailing_id))

    def in_background(func, *args) -> None:
        # Messages to staff wait for their chat (one a second there): never in the driver's loop.
        thread = threading.Thread(target=in_app(func), args=args, name=f"{func.__name__}-{args[0]}")
        thread.start()
        chores[:] = [chore for chore in chores if chore.is_alive()]
        chores.append(thread)

    def start_due() -> tuple[list[int], float | None]:
        started = [m for m in ledger.due_mailing_ids() if _start(m, by="driver", announce=False)]
        return started, ledger.seconds_to_next_start()

    def joined(mailing_id: int) -> None:
        in_background(_announce, mailing_id)

    def paused(mailing_id: int) -> None:
        in_background(tell_paused, mailing_id)

    def canary_waits(mailing_id: int) -> None:
        until = canary.waiting_until(db.engine, mailing_id)
        if until is not None:
            scheduling.schedule_canary(mailing_id, until)

    def left(mailing_id: int, finished: bool) -> None:
        if finished:
            scheduling.enqueue_report(mailing_id)  # in case this process dies before it is sent
            in_background(send_report, mailing_id)  # its progress message gets its final edit there
        else:
            in_background(_finish_progress, mailing_id)

    editing = threading.Event()  # set while a round of progress edits is under way

    def heartbeat(mailing_ids: list[int]) -> None:
        # Keep our slot (it may have vanished with a Redis flush) and show progress.
        try:
            redis().set(slot_key, holder, ex=scheduling.DRIVER_SLOT_TTL)
        except RedisError as error:
            log.warning("driver slot not refreshed (%s)", type(error).__name__)
        _meta(mailings=mailing_ids)
        # Edits wait for the shared rate and the author's chat (one message a second there, and
        # each sending mailing has its progress message in it): one round at a time, never in the
        # driver's loop, whose next slots would wait behind them.
        if mailing_ids and not editing.is_set():
            editing.set()
            in_background(_show_progress, mailing_ids, editing)

    driver = engine.Driver(
        engine=db.engine,
        client=client,
        limiter=limiter,
        owner=engine.new_owner(holder),
        paid=settings.paid_broadcast,
        stop=stop,
        hooks=engine.Hooks(
            content=in_app(content),
            start_due=in_app(start_due),
            joined=joined,
            left=left,
            heartbeat=in_app(heartbeat),
            paused=paused,
            canary_waits=in_app(canary_waits),
        ),
        drivers=scheduling.DRIVERS,
        auto_pause_window=settings.auto_pause_window,
        auto_pause_share=settings.auto_pause_failure_share,
    )
    db.session.rollback()
    worker.watch(stop)
    try:
        return driver.run(DRIVER_BUDGET_SECONDS)
    finally:
        worker.unwatch(stop)


def _show_progress(mailing_ids: list[int], editing: threading.Event) -> None:
    """Bring the progress messages of these mailings up to date (a heartbeat's round of edits)."""
    try:
        for mailing_id in mailing_ids:
            try:
                progress.update(mailing_id)
            except Exception:
                log.exception("mailing %s: progress edit failed", mailing_id)
            finally:
                db.session.rollback()
    finally:
        editing.clear()


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


def tell_paused(mailing_id: int) -> int:
    """A mailing paused itself: its people hear why (with Resume and Cancel), its progress shows it."""
    told = 0
    try:
        told = pause_notice.tell(mailing_id)
    except Exception:
        log.exception("mailing %s: pause message failed", mailing_id)
    finally:
        db.session.rollback()
    _finish_progress(mailing_id)
    return told


@in_app_context
def judge_canary(mailing_id: int) -> str:
    """At the end of a canary's wait: let the rest go (drivers start) or pause and tell the staff.

    A job that comes early (rq-scheduler keeps whole seconds) puts itself back at the right time.
    """
    verdict = canary.judge(db.engine, mailing_id)
    if verdict == canary.PASSED:
        scheduling.ensure_drivers()
        scheduling.enqueue_progress(mailing_id)
    elif verdict == canary.PAUSED:
        ledger.release_claims(db.engine, mailing_id)
        _meta(told=tell_paused(mailing_id))
    else:
        until = canary.waiting_until(db.engine, mailing_id)
        if until is not None and ledger.mailing_status(db.engine, mailing_id) == "sending":
            scheduling.schedule_canary(mailing_id, until)
    _meta(verdict=verdict)
    return f"mailing {mailing_id}: canary {verdict or 'not due'}"


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
    """Every 30 s: start what is due, settle dead leases, keep drivers running, finish and report.

    Everything here reads Postgres, so it also rebuilds whatever a lost Redis forgot.
    """
    summary = {"started": [], "expired": [], "drivers": 0, "finished": [], "reports": []}
    for mailing_id in ledger.due_mailing_ids():
        if _start(mailing_id, by="reconcile"):
            summary["started"].append(mailing_id)
    # Mailings that wait for approval instead: their approvers asked (if a save's job was lost) and
    # reminded (the jobs claim their turn, so one enqueued twice sends once).
    for mailing_id in approval.unasked_ids():
        scheduling.enqueue_approval_request(mailing_id)
    for mailing_id in approval.reminder_due_ids():
        scheduling.enqueue_approval_reminder(mailing_id)
    summary["expired"] = ledger.expire_leases(db.engine, redis())
    # Canaries whose wait is over (their scheduled judge may have been lost with Redis).
    for mailing_id in canary.due_ids(db.engine):
        scheduling.enqueue(JUDGE_CANARY, mailing_id)
    still_sending = False
    # A mailing waiting for its canary's verdict needs no driver meanwhile.
    sendable = {mailing_id for mailing_id, _ in ledger.sendable_ids(db.engine)}
    for mailing_id in ledger.mailing_ids("sending"):
        if ledger.finish_if_done(db.engine, mailing_id):
            summary["finished"].append(mailing_id)
        else:
            still_sending = still_sending or mailing_id in sendable
    if still_sending:
        summary["drivers"] = scheduling.ensure_drivers()
    for mailing_id in ledger.unreported_ids():
        scheduling.enqueue_report(mailing_id)
        summary["reports"].append(mailing_id)
    db.session.rollback()
    _meta(**summary)
    return summary


@in_app_context
def ask_approval(mailing_id: int) -> int:
    """After a save: ask the approvers of a mailing that waits for approval; how many were told."""
    told = approval_messages.ask(mailing_id)
    _meta(told=told)
    return told


@in_app_context
def remind_approval(mailing_id: int) -> int:
    """A due mailing waits for approval: remind its approvers and tell its author; how many were told."""
    told = approval_messages.remind(mailing_id)
    _meta(told=told)
    return told


@in_app_context
def prune_deliveries() -> dict:
    """Every 15 min: drop the ledger rows of mailings that ended DELIVERY_RETENTION_DAYS ago, counts kept."""
    days = current_app.config["SETTINGS"].delivery_retention_days
    pruned = retention.prune(db.engine, days, budget=PRUNE_BUDGET_SECONDS)
    summary = {
        "mailings": pruned.mailings,
        "rows": pruned.rows,
        "seconds": round(pruned.seconds, 2),
        "longest_transaction": round(pruned.longest_transaction, 3),
        "complete": pruned.complete,
    }
    _meta(**summary)
    return summary


@in_app_context
def make_series_runs(now: str | None = None) -> dict:
    """Every minute: each active recurring series makes its runs due within a day (each occurrence once).

    `now` (ISO 8601) stands in for the clock, for tests and for catching up by hand.
    """
    from webapi.services import series

    made = series.make_runs(datetime.fromisoformat(now) if now else None)
    summary = {"made": {str(series_id): ids for series_id, ids in made.items()}}
    _meta(**summary)
    return summary
