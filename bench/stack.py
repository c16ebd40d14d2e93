"""What every benchmark needs: Postgres and Redis (embedded unless named), a fresh migrated database."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import requests
from redis import Redis
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from webapi.local.embedded import start_services  # noqa: E402

BENCH_SECRET = "bench-secret-" + "b" * 40
BENCH_ADMIN_KEY = "bench_admin_key"


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_healthy(url: str, timeout: float = 60) -> None:
    """Wait until `url` answers 200."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(requests.RequestException):
            if requests.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not become healthy")


def _admin_dsn(url: str, database: str) -> str:
    return make_url(url).set(drivername="postgresql", database=database).render_as_string(hide_password=False)


@contextlib.contextmanager
def stack(**extra_env: str) -> Iterator[dict[str, str]]:
    """Yield an environment with DATABASE_URL (a fresh migrated database), REDIS_URL and secrets."""
    root = Path(tempfile.mkdtemp(prefix="rsl-bench-"))
    services = start_services(
        root,
        keep=False,
        database_url=os.environ.get("DATABASE_URL") or None,
        redis_url=os.environ.get("REDIS_URL") or None,
    )
    name = f"rassylka_bench_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(_admin_dsn(services.database_url, "postgres"))
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    redis_url = _empty_redis_database(services.redis_url)
    env = {
        **os.environ,
        "DATABASE_URL": _admin_dsn(services.database_url, name),
        "REDIS_URL": redis_url,
        "JWT_SECRET_KEY": BENCH_SECRET,
        "ADMIN_KEY": BENCH_ADMIN_KEY,
        "PYTHONPATH": str(ROOT),
        **extra_env,
    }
    bin_dir = os.path.dirname(sys.executable)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    try:
        subprocess.run(
            [os.path.join(bin_dir, "flask"), "--app", "wsgi", "db", "upgrade"],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        yield env
    finally:
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
        Redis.from_url(redis_url).flushdb()
        services.stop()


def _empty_redis_database(url: str) -> str:
    """`url` moved to an empty logical database of its server, so no run sees another's queues.

    (A benchmark's leftovers, such as the jobs bench/api.py's *Send now* calls enqueue with no
    worker to run them, would otherwise be run by the next benchmark's workers, on its clock.)
    """
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme == "unix":  # an embedded server of this run's own
        return url
    for number in range(1, 16):
        candidate = parsed._replace(path=f"/{number}").geturl()
        if Redis.from_url(candidate).dbsize() == 0:
            return candidate
    raise RuntimeError(f"no empty logical database on the Redis server of {parsed.hostname}")


def peak_rss_mb(pid: int) -> float:
    """Peak resident memory of a running process (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0
