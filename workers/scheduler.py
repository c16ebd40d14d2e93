"""`python -m workers.scheduler`: rqscheduler's loop, plus the periodic jobs kept registered.

The periodic jobs are registered at start and checked again on every pass, so a Redis that
lost its data gets its reconcile job back within one interval. When Redis is unreachable (not up
yet, restarting) the process says so and tries again, with a short backoff, instead of exiting.
"""

from __future__ import annotations

import argparse
import logging
import time

from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq_scheduler import Scheduler
from rq_scheduler.utils import setup_loghandlers

from webapi.error_tracking import init_error_tracking
from webapi.jobs import periodic_jobs
from webapi.monitoring import record_scheduler_pass
from webapi.settings import exit_on_config_error, load_settings
from workers.schedule import register_periodic_jobs

log = logging.getLogger("workers.scheduler")
# Seconds between tries while Redis is away: doubling from the first to the last.
RETRY_FIRST, RETRY_MOST = 0.5, 5.0


class PeriodicScheduler(Scheduler):
    """rq-scheduler's Scheduler that keeps our periodic jobs in place."""

    periodic: tuple | None = None  # set by main() from the settings (None: read them)

    def enqueue_jobs(self):
        """Re-register missing periodic jobs, move due jobs to their queues, note the pass for /metrics."""
        register_periodic_jobs(self, self.periodic)
        moved = super().enqueue_jobs()
        record_scheduler_pass(self.connection)
        return moved


def main(argv: list[str] | None = None) -> None:
    """Run the scheduler loop (same options as rqscheduler's --url, --interval, --burst)."""
    parser = argparse.ArgumentParser(description=__doc__)
    settings = exit_on_config_error(load_settings)
    init_error_tracking(settings, "scheduler")
    parser.add_argument("--url", "-u", default=settings.redis_url)
    parser.add_argument("--interval", "-i", type=float, default=1.0)
    parser.add_argument("--burst", "-b", action="store_true")
    parser.add_argument("--verbose", "-v", action="store_true")
    args = parser.parse_args(argv)
    if not args.url:
        raise SystemExit("Configuration error: missing required setting REDIS_URL")
    setup_loghandlers("DEBUG" if args.verbose else "INFO")
    logging.getLogger("workers").setLevel(logging.INFO)
    connection = Redis.from_url(args.url)
    pause = RETRY_FIRST
    while True:
        scheduler = PeriodicScheduler(connection=connection, interval=args.interval)
        scheduler.periodic = periodic_jobs(settings.reconcile_interval)
        try:
            register_periodic_jobs(scheduler, scheduler.periodic)
            pause = RETRY_FIRST  # reached: a later outage starts its backoff afresh
            scheduler.run(burst=args.burst)
            return
        except (RedisConnectionError, RedisTimeoutError) as error:
            log.warning("Redis unreachable (%s); trying again in %.1f s", type(error).__name__, pause)
            time.sleep(pause)
            pause = min(pause * 2, RETRY_MOST)


if __name__ == "__main__":
    main()
