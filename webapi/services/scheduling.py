"""Putting mailing jobs into RQ and rq-scheduler: start just before send_at, drivers, progress, reports.

What each job runs, where and for how long is the table in `webapi/jobs.py`. Redis may be lost at
any time, so every function here is best-effort and idempotent: Postgres holds the truth and the
periodic reconcile job puts back whatever is missing.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta

from flask import current_app
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from rq_scheduler import Scheduler

from webapi import jobs
from webapi.jobs import JobKind

log = logging.getLogger(__name__)

# Drivers in all: each sends every sending mailing, so either one alone can finish them all.
DRIVERS = 2
# A driver slot is taken while its job waits or runs; the running driver refreshes it.
DRIVER_SLOT_TTL = 20
# The start job is due this long before `send_at` (rq-scheduler keeps whole seconds and looks
# once a second); the drivers start the mailing on the dot.
START_LEAD_SECONDS = 2
# The audience starts going into the ledger this long before `send_at` (the fan-out job).
AHEAD_SECONDS = 15


def _redis() -> Redis:
    return current_app.extensions["redis"]


def start_job_id(mailing_id: int) -> str:
    """The stable id of a mailing's start job."""
    return f"mailing-{mailing_id}-start"


def fan_out_job_id(mailing_id: int) -> str:
    """The stable id of a mailing's fan-out-ahead job."""
    return f"mailing-{mailing_id}-fan-out"


def driver_slot_key(slot: int) -> str:
    """The Redis key a driver slot is held under."""
    return f"rassylka:driver:{slot}"


def schedule_start(mailing_id: int, send_at: datetime) -> bool:
    """Put (or move) the mailing's start job just before `send_at`, and its fan-out job AHEAD_SECONDS
    before that; False when Redis is unreachable."""
    send_at = send_at.astimezone(UTC)
    try:
        # No cancel first: the same job id is saved over and its time in the schedule replaced (ZADD),
        # one round trip fewer and no moment in which the start is unscheduled.
        scheduler = Scheduler(queue_name=jobs.START_MAILING.queue, connection=_redis())
        for kind, job_id, lead in (
            (jobs.START_MAILING, start_job_id(mailing_id), START_LEAD_SECONDS),
            (jobs.FAN_OUT_AHEAD, fan_out_job_id(mailing_id), AHEAD_SECONDS),
        ):
            scheduler.enqueue_at(
                send_at - timedelta(seconds=lead),
                kind.func,
                mailing_id,
                job_id=job_id,
                timeout=kind.timeout,
                queue_name=kind.queue,
                job_description=kind.describe(mailing_id),
            )
    except RedisError as error:
        log.warning(
            "mailing %s: start not scheduled in Redis (%s); reconcile will start it", mailing_id, error
        )
        return False
    return True


def schedule_canary(mailing_id: int, at: datetime) -> bool:
    """Have the mailing's canary judged at `at` (the whole second after it: rq-scheduler keeps whole
    seconds, and a judge that comes early only re-schedules itself); False when Redis is unreachable."""
    due = at.astimezone(UTC).replace(microsecond=0) + timedelta(seconds=1)
    try:
        Scheduler(queue_name=jobs.JUDGE_CANARY.queue, connection=_redis()).enqueue_at(
            due,
            jobs.JUDGE_CANARY.func,
            mailing_id,
            job_id=f"mailing-{mailing_id}-canary",
            timeout=jobs.JUDGE_CANARY.timeout,
            queue_name=jobs.JUDGE_CANARY.queue,
            job_description=jobs.JUDGE_CANARY.describe(mailing_id),
        )
    except RedisError as error:
        log.warning(
            "mailing %s: canary not scheduled in Redis (%s); reconcile will judge it", mailing_id, error
        )
        return False
    return True


def unschedule_start(mailing_id: int) -> None:
    """Remove the mailing's start and fan-out jobs, if any."""
    try:
        scheduler = Scheduler(queue_name=jobs.START_MAILING.queue, connection=_redis())
        for job_id in (start_job_id(mailing_id), fan_out_job_id(mailing_id)):
            scheduler.cancel(job_id)
            _redis().delete(f"rq:job:{job_id}")
    except RedisError as error:
        log.warning(
            "mailing %s: start job not removed (%s); the start is conditional anyway", mailing_id, error
        )


def enqueue(kind: JobKind, *args: object, job_id: str | None = None) -> bool:
    """Put one job of `kind` on its queue; False (logged) when Redis is unreachable."""
    try:
        Queue(kind.queue, connection=_redis()).enqueue(
            kind.func,
            *args,
            job_id=job_id,
            job_timeout=kind.timeout,
            description=kind.describe(*args),
            result_ttl=3600,
        )
    except RedisError as error:
        log.warning("%s not enqueued (%s); reconcile will catch up", kind.describe(*args), error)
        return False
    return True


def enqueue_driver(slot: int, force: bool = False) -> bool:
    """Enqueue a driver for a free slot (or, with `force`, as the slot holder's successor)."""
    job_id = f"driver-{slot}-{uuid.uuid4().hex[:8]}"
    try:
        taken = _redis().set(driver_slot_key(slot), job_id, nx=not force, ex=DRIVER_SLOT_TTL)
    except RedisError as error:
        log.warning("driver slot %s not taken (%s)", slot, error)
        return False
    return bool(taken) and enqueue(jobs.DRIVE, slot, job_id=job_id)


def ensure_drivers() -> int:
    """Make sure every driver slot has a job (each sends every sending mailing): how many were added."""
    return sum(enqueue_driver(slot) for slot in range(DRIVERS))


def enqueue_after_start(mailing_id: int) -> bool:
    """Tell the author (progress message) and start the drivers, in a job."""
    return enqueue(jobs.AFTER_START, mailing_id)


def enqueue_progress(mailing_id: int) -> bool:
    """Refresh the author's progress message soon (after a pause, resume or cancel)."""
    return enqueue(jobs.UPDATE_PROGRESS, mailing_id)


def enqueue_approval_request(mailing_id: int) -> bool:
    """Ask the approvers of a mailing waiting for approval (reconcile does it if this is lost)."""
    return enqueue(jobs.ASK_APPROVAL, mailing_id)


def enqueue_approval_reminder(mailing_id: int) -> bool:
    """Remind everyone concerned that a due mailing waits for approval (the job claims its turn)."""
    return enqueue(jobs.REMIND_APPROVAL, mailing_id)


def enqueue_report(mailing_id: int) -> bool:
    """Send the finished mailing's report (the job claims it, so duplicates send nothing)."""
    return enqueue(jobs.SEND_REPORT, mailing_id, job_id=f"mailing-{mailing_id}-report")
