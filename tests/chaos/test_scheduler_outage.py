"""The scheduler outlives Redis going away: it waits, reconnects and registers the periodic jobs again."""

from __future__ import annotations

import os
import subprocess
import sys

import redis
from rq_scheduler import Scheduler

from tests.chaos.chaos import ROOT, RedisServer
from tests.support import stop_process, wait_for
from webapi.jobs import periodic_jobs
from webapi.settings import load_settings


def test_the_scheduler_waits_out_redis_outages(tmp_path):
    server = RedisServer(tmp_path, dict(os.environ))
    log_path = tmp_path / "scheduler.log"

    reconcile = periodic_jobs(load_settings().reconcile_interval)[0]

    def complaints() -> int:
        return log_path.read_text().count("Redis unreachable")

    with open(log_path, "w") as log:
        scheduler = subprocess.Popen(
            [sys.executable, "-m", "workers.scheduler", "--url", server.url, "-i", "0.2"],
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        # Started before Redis (a compose or Procfile start has no order): it waits.
        wait_for(complaints, 30, "the scheduler to find Redis away")
        server.start()
        client = redis.Redis(unix_socket_path=str(server.socket))
        scheduled = Scheduler.scheduled_jobs_key
        wait_for(lambda: client.zscore(scheduled, reconcile.id), 30, "the periodic jobs")

        # Redis restarts in mid-run and comes back empty: the same process carries on.
        before = complaints()
        server.stop()
        wait_for(lambda: complaints() > before, 30, "the scheduler to notice the outage")
        server.start()
        client.flushall()
        wait_for(lambda: client.zscore(scheduled, reconcile.id), 30, "the periodic jobs again")
        assert scheduler.poll() is None, log_path.read_text()
    finally:
        stop_process(scheduler)
        server.stop()
