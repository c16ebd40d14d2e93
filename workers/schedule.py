"""Periodic jobs (the table in webapi/jobs.py) registered idempotently, stale ones cancelled."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from rq_scheduler import Scheduler

from webapi.jobs import PERIODIC_PREFIX, Periodic, periodic_jobs
from webapi.settings import load_settings

log = logging.getLogger(__name__)


def current_periodic_jobs() -> tuple[Periodic, ...]:
    """The periodic jobs as this process's settings define them."""
    return periodic_jobs(load_settings().reconcile_interval)


def register_periodic_jobs(scheduler: Scheduler, jobs: tuple[Periodic, ...] | None = None) -> list[str]:
    """Schedule each periodic job unless it is already there, cancel stale ones; return the ids added.

    An id carries a hash of its job's definition, so this is safe to call at every start and after
    Redis lost everything, and a changed interval replaces the old job instead of adding one.
    """
    jobs = current_periodic_jobs() if jobs is None else jobs
    wanted = {job.id for job in jobs}
    for job in scheduler.get_jobs():
        if job.id.startswith(PERIODIC_PREFIX) and job.id not in wanted:
            scheduler.cancel(job)
            log.info("periodic job %s cancelled (its definition changed)", job.id)
    added = []
    for job in jobs:
        if job.id in scheduler:
            continue
        scheduler.schedule(
            scheduled_time=datetime.now(UTC),
            func=job.kind.func,
            interval=job.interval,
            timeout=job.kind.timeout,
            id=job.id,
            queue_name=job.kind.queue,
            description=job.kind.description,
            result_ttl=600,
        )
        added.append(job.id)
        log.info("periodic job %s registered (every %ss)", job.id, job.interval)
    return added
