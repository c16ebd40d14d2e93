"""`python -m workers.scheduler`: rqscheduler's loop, plus the periodic jobs kept registered.

The periodic jobs are registered at start and checked again on every pass, so a Redis that
lost its data gets its reconcile job back within one interval.
"""

from __future__ import annotations

import argparse
import logging
import os

from redis import Redis
from rq_scheduler import Scheduler
from rq_scheduler.utils import setup_loghandlers

from workers.schedule import register_periodic_jobs


class PeriodicScheduler(Scheduler):
    """rq-scheduler's Scheduler that keeps our periodic jobs in place."""

    def enqueue_jobs(self):
        """Re-register missing periodic jobs, then move due jobs to their queues."""
        register_periodic_jobs(self)
        return super().enqueue_jobs()


def main(argv: list[str] | None = None) -> None:
    """Run the scheduler loop (same options as rqscheduler's --url, --interval, --burst)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", "-u", default=os.environ.get("REDIS_URL") or os.environ.get("RQ_REDIS_URL"))
    parser.add_argument("--interval", "-i", type=float, default=1.0)
    parser.add_argument("--burst", "-b", action="store_true")
    parser.add_argument("--verbose", "-v", action="store_true")
    args = parser.parse_args(argv)
    if not args.url:
        raise SystemExit("Configuration error: missing required setting REDIS_URL")
    setup_loghandlers("DEBUG" if args.verbose else "INFO")
    logging.getLogger("workers").setLevel(logging.INFO)
    scheduler = PeriodicScheduler(connection=Redis.from_url(args.url), interval=args.interval)
    register_periodic_jobs(scheduler)
    scheduler.run(burst=args.burst)


if __name__ == "__main__":
    main()
