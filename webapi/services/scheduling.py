"""Putting mailing jobs into RQ and rq-scheduler: start at send_at, drivers, progress and reports.

Redis may be lost at any time, so every function here is best-effort and idempotent: Postgres
holds the truth and the periodic reconcile job puts back whatever is missing.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

from flask import current_app
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from rq_scheduler import Scheduler

log = logging.getLogger(__name__)

BROADCAST_QUEUE = "broadcast"
DEFAULT_QUEUE = "default"
# Drivers per sending mailing: two share the work, and either one alone can finish it.
DRIVERS = 2
DRIVER_BUDGET_SECONDS = 300.0
DRIVER_JOB_TIMEOUT = int(DRIVER_BUDGET_SECONDS) + 180
# A driver slot is taken while its job waits or runs; the running driver refreshes it.
DRIVER_SLOT_TTL = 20
START_JOB_TIMEOUT = 900  # covers fanning out a million subscribers many times over
SMALL_JOB_TIMEOUT = 120
REPORT_JOB_TIMEOUT = 600


def _redis() -> Redis:
    return current_app.extensions["redis"]


def start_job_id(mailing_id: int) -> str:
    """The stable id of a mailing's start job."""
    return f"mailing-{mailing_id}-start"


def driver_slot_key(mailing_id: int, slot: int) -> str:
    """The Redis key a driver slot is held under."""
    return f"rassylka:driver:{mailing_id}:{slot}"


def schedule_start(mailing_id: int, send_at: datetime) -> bool:
    """Put (or move) the mailing's start job at `send_at`; False when Redis is unreachable."""
    when = send_at.astimezone(UTC)
    try:
        scheduler = Scheduler(queue_name=BROADCAST_QUEUE, connection=_redis())
        scheduler.cancel(start_job_id(mailing_id))
        scheduler.enqueue_at(
            when,
            "workers.jobs.start_mailing",
            mailing_id,
            job_id=start_job_id(mailing_id),
            timeout=START_JOB_TIMEOUT,
            queue_name=BROADCAST_QUEUE,
            job_description=f"start mailing {mailing_id}",
        )
    except RedisError as error:
        log.warning(
            "mailing %s: start not scheduled in Redis (%s); reconcile will start it", mailing_id, error
        )
        return False
    return True


def unschedule_start(mailing_id: int) -> None:
    """Remove the mailing's start job, if any."""
    try:
        Scheduler(queue_name=BROADCAST_QUEUE, connection=_redis()).cancel(start_job_id(mailing_id))
        _redis().delete(f"rq:job:{start_job_id(mailing_id)}")
    except RedisError as error:
        log.warning(
            "mailing %s: start job not removed (%s); the start is conditional anyway", mailing_id, error
        )


def _enqueue(queue: str, func: str, *args, job_id: str | None = None, timeout: int, description: str) -> bool:
    try:
        Queue(queue, connection=_redis()).enqueue(
            func, *args, job_id=job_id, job_timeout=timeout, description=description, result_ttl=3600
        )
    except RedisError as error:
        log.warning("%s not enqueued (%s); reconcile will catch up", description, error)
        return False
    return True


def enqueue_driver(mailing_id: int, slot: int, force: bool = False) -> bool:
    """Enqueue a driver for a free slot (or, with `force`, as the slot holder's successor)."""
    job_id = f"mailing-{mailing_id}-driver-{slot}-{uuid.uuid4().hex[:8]}"
    try:
        taken = _redis().set(driver_slot_key(mailing_id, slot), job_id, nx=not force, ex=DRIVER_SLOT_TTL)
    except RedisError as error:
        log.warning("mailing %s: driver slot not taken (%s)", mailing_id, error)
        return False
    if not taken:
        return False
    return _enqueue(
        BROADCAST_QUEUE,
        "workers.jobs.drive_mailing",
        mailing_id,
        slot,
        job_id=job_id,
        timeout=DRIVER_JOB_TIMEOUT,
        description=f"send mailing {mailing_id} (driver {slot})",
    )


def ensure_drivers(mailing_id: int) -> int:
    """Make sure every driver slot of a sending mailing has a job; return how many were added."""
    return sum(enqueue_driver(mailing_id, slot) for slot in range(DRIVERS))


def enqueue_after_start(mailing_id: int) -> bool:
    """Tell the author (progress message) and start the drivers, in a job."""
    return _enqueue(
        BROADCAST_QUEUE,
        "workers.jobs.after_start",
        mailing_id,
        timeout=SMALL_JOB_TIMEOUT,
        description=f"announce mailing {mailing_id}",
    )


def enqueue_progress(mailing_id: int) -> bool:
    """Refresh the author's progress message soon (after a pause, resume or cancel)."""
    return _enqueue(
        DEFAULT_QUEUE,
        "workers.jobs.update_progress",
        mailing_id,
        timeout=SMALL_JOB_TIMEOUT,
        description=f"progress of mailing {mailing_id}",
    )


def enqueue_report(mailing_id: int) -> bool:
    """Send the finished mailing's report (the job claims it, so duplicates send nothing)."""
    return _enqueue(
        DEFAULT_QUEUE,
        "workers.jobs.send_report",
        mailing_id,
        job_id=f"mailing-{mailing_id}-report",
        timeout=REPORT_JOB_TIMEOUT,
        description=f"report of mailing {mailing_id}",
    )
