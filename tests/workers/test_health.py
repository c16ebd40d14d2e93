"""`python -m workers.health` (the worker's health check in docker-compose.yml) against a real worker's
heartbeat in Redis, and against one gone stale."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from rq import Worker
from rq.utils import utcformat

from tests.support import ROOT, wait_for
from workers.health import MAX_AGE_SECONDS


def _health(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "workers.health", *args], cwd=ROOT, capture_output=True, text=True, timeout=60
    )


def test_healthy_with_a_live_worker_and_not_once_its_heartbeat_is_stale(processes, redis):
    nobody = _health()
    assert nobody.returncode == 1
    assert f"no RQ worker registered from {socket.gethostname()}" in nobody.stderr

    processes.worker()
    worker = wait_for(
        lambda: next((w for w in Worker.all(connection=redis) if w.get_state() == "idle"), None),
        60,
        "the worker to wait for jobs",
    )
    healthy = _health()
    assert healthy.returncode == 0, healthy.stderr
    assert f"worker {worker.name}: last heartbeat" in healthy.stdout
    # A worker of another host does not make this one healthy.
    assert _health("--hostname", "another-container").returncode == 1

    # The worker idles: its next heartbeat is minutes away. Its last one, as a stuck worker leaves it:
    stale = datetime.now(UTC) - timedelta(seconds=MAX_AGE_SECONDS + 60)
    redis.hset(worker.key, "last_heartbeat", utcformat(stale))
    unhealthy = _health()
    assert unhealthy.returncode == 1
    assert f"worker {worker.name}: last heartbeat" in unhealthy.stderr
    assert f"(stale after {MAX_AGE_SECONDS} s)" in unhealthy.stderr


def test_redis_away_is_unhealthy():
    result = subprocess.run(
        [sys.executable, "-m", "workers.health"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "REDIS_URL": "redis://127.0.0.1:1/0"},
    )
    assert result.returncode == 1
    assert "Redis unreachable" in result.stderr
