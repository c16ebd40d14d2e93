"""`python -m workers.health`: exit 0 when an RQ worker of this host has a fresh heartbeat in Redis.

docker-compose's health check for `worker` (a platform's liveness probe alike): a worker heartbeats
at least every `worker_ttl` seconds (rq's default 420: while it waits for jobs; every 30 s while one
runs), and rq itself counts it dead once its key outlives that by 60 s. A worker stuck in a job whose
horse stopped heartbeating, or a worker process gone without saying so, leaves a heartbeat older
than that: the check then fails (exit 1) and says why, so the platform restarts the container.
"""

from __future__ import annotations

import argparse
import socket
import sys
from datetime import UTC, datetime

from redis import Redis
from redis.exceptions import RedisError
from rq import Worker
from rq.defaults import DEFAULT_WORKER_TTL

from webapi.settings import exit_on_config_error, load_settings

# rq's own horizon: a worker's key is kept worker_ttl + 60 s after its last heartbeat.
MAX_AGE_SECONDS = DEFAULT_WORKER_TTL + 60


def heartbeat_ages(redis: Redis, hostname: str, now: datetime | None = None) -> dict[str, float]:
    """Seconds since the last heartbeat of each worker registered from `hostname`, by worker name."""
    now = now or datetime.now(UTC)
    ages = {}
    for worker in Worker.all(connection=redis):
        if worker.hostname != hostname:
            continue
        beat = worker.last_heartbeat or worker.birth_date
        if beat is None:
            continue
        if beat.tzinfo is None:  # rq parses its timestamps as naive UTC
            beat = beat.replace(tzinfo=UTC)
        ages[worker.name] = (now - beat).total_seconds()
    return ages


def check(redis: Redis, hostname: str, max_age: float = MAX_AGE_SECONDS) -> tuple[bool, str]:
    """(healthy, one line saying why): healthy when some worker of `hostname` beat within `max_age`."""
    try:
        ages = heartbeat_ages(redis, hostname)
    except RedisError as error:
        return False, f"Redis unreachable: {type(error).__name__}"
    if not ages:
        return False, f"no RQ worker registered from {hostname}"
    name, age = min(ages.items(), key=lambda item: item[1])
    if age > max_age:
        return False, f"worker {name}: last heartbeat {age:.0f} s ago (stale after {max_age:.0f} s)"
    return True, f"worker {name}: last heartbeat {age:.0f} s ago"


def main(argv: list[str] | None = None) -> None:
    """Check this host's worker; print one line; exit 0 (healthy) or 1."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    settings = exit_on_config_error(lambda: load_settings(require=("REDIS_URL",)))
    parser.add_argument("--hostname", default=socket.gethostname(), help="whose workers (default: this host)")
    parser.add_argument(
        "--max-age", type=float, default=MAX_AGE_SECONDS, help="seconds a heartbeat stays fresh"
    )
    args = parser.parse_args(argv)
    redis = Redis.from_url(settings.redis_url, socket_timeout=5, socket_connect_timeout=5)
    healthy, why = check(redis, args.hostname, args.max_age)
    print(why, file=sys.stdout if healthy else sys.stderr)
    raise SystemExit(0 if healthy else 1)


if __name__ == "__main__":
    main()
