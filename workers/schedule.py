"""Periodic jobs, declared as data and registered idempotently under stable ids."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime

from rq_scheduler import Scheduler

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    """A job rq-scheduler runs every `interval` seconds."""

    id: str
    func: str
    interval: int
    timeout: int
    queue: str = "default"
    description: str = ""


PERIODIC_JOBS = (
    PeriodicJob(
        id="periodic-reconcile",
        func="workers.jobs.reconcile",
        # RECONCILE_INTERVAL lets tests and small installs check more often.
        interval=int(os.environ.get("RECONCILE_INTERVAL", "30")),
        timeout=900,  # may start a due mailing and fan out its audience
        description="start due mailings, expire leases, keep drivers running, finish and report",
    ),
)


def register_periodic_jobs(scheduler: Scheduler, jobs: tuple[PeriodicJob, ...] = PERIODIC_JOBS) -> list[str]:
    """Schedule each periodic job unless it is already there; return the ids added.

    The stable id makes this safe to call at every start and after Redis lost everything.
    """
    added = []
    for job in jobs:
        if job.id in scheduler:
            continue
        scheduler.schedule(
            scheduled_time=datetime.now(UTC),
            func=job.func,
            interval=job.interval,
            timeout=job.timeout,
            id=job.id,
            queue_name=job.queue,
            description=job.description,
            result_ttl=600,
        )
        added.append(job.id)
        log.info("periodic job %s registered (every %ss)", job.id, job.interval)
    return added
