"""The RQ worker class of the Procfile: SIGTERM lets a running driver stop cleanly.

rq's warm shutdown waits for the job in hand, and a driver job may run for minutes; its work horse
would also die at once on a SIGTERM of its own (a platform's stop, honcho's Ctrl-C). Here the
worker passes SIGTERM on to its horse, where it only asks the running drivers to stop: they send
nothing new, let the requests in flight finish and be recorded, give their claimed rows back to
pending, and hand the mailing over to another worker. A clean stop leaves no `unknown` deliveries.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq import Worker as RQWorker

REDIS_AWAY = (RedisConnectionError, RedisTimeoutError)

_drivers: set[threading.Event] = set()
_stopping = threading.Event()


def watch(stop: threading.Event) -> None:
    """Set `stop` when this process is asked to shut down (and at once if it already was)."""
    _drivers.add(stop)
    if _stopping.is_set():
        stop.set()


def unwatch(stop: threading.Event) -> None:
    """Forget `stop` once its driver has returned."""
    _drivers.discard(stop)


def stopping() -> bool:
    """True once this process was asked to shut down."""
    return _stopping.is_set()


def _stop_drivers(signum, frame) -> None:
    _stopping.set()
    for stop in list(_drivers):
        stop.set()


class Worker(RQWorker):
    """An rq Worker whose SIGTERM reaches the running job as a request to stop, not as death."""

    def setup_work_horse_signals(self) -> None:
        """In the horse: Ctrl-C is ignored as rq does; SIGTERM asks the drivers to stop."""
        super().setup_work_horse_signals()
        signal.signal(signal.SIGTERM, _stop_drivers)

    def maintain_heartbeats(self, job) -> None:
        """rq's heartbeats while a job runs; a Redis that is briefly away is waited out, not fatal.

        rq's own loop retries only while it waits for jobs: a lost connection here would end the
        worker's main process in the middle of a driver's run.
        """
        try:
            super().maintain_heartbeats(job)
        except REDIS_AWAY as error:
            self.log.warning("Redis unreachable during a job (%s); heartbeat skipped", type(error).__name__)

    def set_current_job_working_time(self, current_job_working_time: float, pipeline=None) -> None:
        """rq's bookkeeping of the running job's time, skipped while Redis is away."""
        try:
            super().set_current_job_working_time(current_job_working_time, pipeline=pipeline)
        except REDIS_AWAY:
            self.current_job_working_time = current_job_working_time

    def request_stop(self, signum, frame) -> None:
        """Warm shutdown, after telling the horse to wind its job down."""
        horse = self.horse_pid
        if horse:
            with contextlib.suppress(ProcessLookupError):
                os.kill(horse, signal.SIGTERM)
        super().request_stop(signum, frame)
