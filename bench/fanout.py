"""Fan-out: how soon a mailing's first message leaves for N active subscribers, and how long the rest take.

Usage: DATABASE_URL=postgresql://… python bench/fanout.py [--subscribers 1000000] [--runs 3] [--workers 2]
       [--segment]

bench/stack.py gives a fresh migrated scratch database (embedded Postgres when DATABASE_URL is
unset); the subscribers are added first. Two scenarios, one JSON line per run:

- "fanout_inline": `ledger.start` then `ledger.fan_out` of the whole audience in one transaction
  (what a start cost before the fan-out went in chunks), with the peak RSS of this process (which
  only sends the statements) and of the Postgres backend that does the work.
- "first_message": the real path. W `rq worker` processes as the Procfile runs them and the sandbox
  in its own process; a mailing due at `send_at`, its fan-out job enqueued AHEAD_SECONDS and its
  start job 2 s early, as rq-scheduler does. `first_message_s` is from `send_at` to the first
  request reaching the sandbox (its own receive clock); `fanout_s` from `send_at` until the last
  chunk is in the ledger (polled every 20 ms; negative: before `send_at`), `fanout_took_s` how long
  the fan-out itself took. The mailing is cancelled once its audience is in and a first message
  has left; the first message is looked for in every chat the ledger shows a request to. The
  sandbox knows every subscriber.

With --segment every subscriber carries 10 of 50 tags and every mailing has a segment that takes
4 in 5 of them (`rows` says how many), to compare with the fan-out of everyone.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import broadcast
from sqlalchemy import text
from stack import free_port, stack

LEAD_SECONDS = 20  # the mailing is created this long before its send_at
# With --segment: everyone but those tagged t0 (4 in 5 of them: nearly the whole fan-out, each row's
# tags read).
SEGMENT = {"tags_none": ["t0"]}


def backend_peak_rss_mb(pid: int | None) -> float | None:
    """VmHWM of a Postgres backend on this machine, in MiB (None when it cannot be read)."""
    if pid is None:
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def own_peak_rss_mb() -> float:
    """This process's peak RSS in MiB."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subscribers", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--segment",
        action="store_true",
        help=f"every subscriber carries 10 of 50 tags, and each mailing has the segment {SEGMENT}",
    )
    args = parser.parse_args()
    port = free_port()
    sandbox = broadcast.start_sandbox(port)
    base = f"http://127.0.0.1:{port}"
    try:
        broadcast.prepare_sandbox(base, args.subscribers, 1000)
        extra = {
            "BOT_TOKEN": broadcast.ENGINE_TOKEN,
            "TELEGRAM_API_URL": base,
            "BROADCAST_RATE": "1000",
            "PAID_BROADCAST": "true",
            "BOT_LANGUAGE": "en",
            "LOG_LEVEL": "WARNING",
        }
        with stack(**extra) as env:
            _bench(env, base, args.subscribers, args.runs, args.workers, SEGMENT if args.segment else None)
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=30)


def _bench(
    env: dict[str, str], base: str, subscribers: int, runs: int, workers: int, segment: dict | None
) -> None:
    from webapi.app import create_app
    from webapi.extensions import db
    from webapi.models import Mailing
    from webapi.services import ledger
    from webapi.settings import load_settings

    app = create_app(load_settings(env))
    with app.app_context():
        started = time.perf_counter()
        db.session.execute(
            text(
                "INSERT INTO users (tg_id, first_name, role, status, tags) "
                "SELECT g, 'S', 'subscriber', 'active', CASE WHEN :tagged THEN "
                "  ARRAY(SELECT 't' || ((g * 7 + k * 13) % 50) FROM generate_series(0, 9) k) "
                "  ELSE '{}' END FROM generate_series(:a, :b) g"
            ),
            {
                "a": broadcast.FIRST_ID,
                "b": broadcast.FIRST_ID + subscribers - 1,
                "tagged": segment is not None,
            },
        )
        db.session.commit()
        db.session.execute(text("ANALYZE users"))
        db.session.commit()
        _print(
            scenario="fanout_subscribers",
            count=subscribers,
            seconds=round(time.perf_counter() - started, 2),
            segment=segment,
        )
        for run in range(runs):
            mailing = Mailing(
                name=f"bench {run}", text="hi", send_at=datetime.now(UTC) + timedelta(days=1), segment=segment
            )
            db.session.add(mailing)
            db.session.commit()
            mailing_id = mailing.id
            # A fresh connection per run, so the backend's high-water mark is this run's.
            db.session.remove()
            db.engine.dispose()
            backend = db.session.execute(text("SELECT pg_backend_pid()")).scalar()
            started = time.perf_counter()
            assert ledger.start(mailing_id, force=True)
            ledger.fan_out(mailing_id)
            db.session.commit()
            seconds = time.perf_counter() - started
            rows = db.session.scalar(
                text("SELECT count(*) FROM deliveries WHERE mailing_id = :m"), {"m": mailing_id}
            )
            _cancel(mailing_id)
            _print(
                scenario="fanout_inline",
                run=run + 1,
                rows=rows,
                seconds=round(seconds, 2),
                rows_per_s=round(rows / seconds),
                python_peak_rss_mb=own_peak_rss_mb(),
                backend_peak_rss_mb=backend_peak_rss_mb(backend),
            )

        log_dir = Path(env.get("BENCH_LOG_DIR") or broadcast.ROOT / "var" / "bench")
        log_dir.mkdir(parents=True, exist_ok=True)
        processes = broadcast.start_workers(env, workers, log_dir)
        try:
            broadcast.wait_workers(env["REDIS_URL"], workers)
            for run in range(runs):
                figures = _first_message(env, base, subscribers, run, segment)
                _print(scenario="first_message", run=run + 1, **figures)
        finally:
            broadcast.kill_workers(processes)


def _first_message(env: dict[str, str], base: str, subscribers: int, run: int, segment: dict | None) -> dict:
    from redis import Redis
    from rq import Queue

    from telegram_sandbox.client import SandboxClient
    from webapi.extensions import db
    from webapi.models import Mailing
    from webapi.services.scheduling import AHEAD_SECONDS

    send_at = datetime.now(UTC) + timedelta(seconds=LEAD_SECONDS)
    mailing = Mailing(name=f"bench on time {run}", text=f"first {run}", send_at=send_at, segment=segment)
    db.session.add(mailing)
    db.session.commit()
    mailing_id = mailing.id
    queue = Queue("broadcast", connection=Redis.from_url(env["REDIS_URL"]))
    due = send_at.timestamp()
    # What rq-scheduler does: the fan-out job AHEAD_SECONDS early, the start job 2 s early.
    jobs = [(due - AHEAD_SECONDS, "workers.jobs.fan_out_ahead"), (due - 2, "workers.jobs.start_mailing")]
    deadline = time.monotonic() + LEAD_SECONDS + 120
    fanned = began = None
    while time.monotonic() < deadline:
        while jobs and time.time() >= jobs[0][0]:
            queue.enqueue(jobs.pop(0)[1], mailing_id, job_timeout=900)
        row = db.session.execute(
            text("SELECT status, fanout_cursor, fanout_from, started_at FROM mailings WHERE id = :m"),
            {"m": mailing_id},
        ).one()
        db.session.rollback()
        began = began or row.fanout_from or row.started_at
        if fanned is None and row.fanout_cursor is None and (row.fanout_from or row.status != "scheduled"):
            fanned = time.time() - due
        # Cancelled once the whole audience is in and the first message has left.
        if fanned is not None and row.status != "scheduled" and _one_sent(mailing_id):
            break
        time.sleep(0.02)
    rows = db.session.scalar(text("SELECT count(*) FROM deliveries WHERE mailing_id = :m"), {"m": mailing_id})
    # Every chat a request may have gone to (claims take rows in no particular order).
    reached = db.session.scalars(
        text("SELECT chat_id FROM deliveries WHERE mailing_id = :m AND status <> 'pending'"),
        {"m": mailing_id},
    ).all()
    db.session.rollback()
    _cancel(mailing_id)
    client = SandboxClient(base, broadcast.ENGINE_TOKEN)
    first = min(
        (
            message["received_at"]
            for chat in set(reached)
            for message in client.messages(chat)
            if message.get("text") == f"first {run}"
        ),
        default=None,
    )
    return {
        "subscribers": subscribers,
        "rows": rows,
        "first_message_s": None if first is None else round(first - due, 3),
        "fanout_s": None if fanned is None else round(fanned, 2),
        "fanout_took_s": None
        if fanned is None or began is None
        else round(fanned + due - began.timestamp(), 2),
    }


def _one_sent(mailing_id: int) -> bool:
    from webapi.extensions import db

    sent = db.session.scalar(
        text(
            "SELECT EXISTS (SELECT 1 FROM deliveries WHERE mailing_id = :m"
            " AND status IN ('sent', 'failed', 'blocked', 'unknown'))"
        ),
        {"m": mailing_id},
    )
    db.session.rollback()
    return bool(sent)


def _cancel(mailing_id: int) -> None:
    """Cancel the mailing as the API does (the workers may be sending it)."""
    from webapi.domain import Actor
    from webapi.services import sending_control

    sending_control.cancel(Actor("bench", None, "admin"), mailing_id)


def _print(**figures) -> None:
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
