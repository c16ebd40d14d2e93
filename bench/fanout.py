"""Fan-out time and memory: how long starting a mailing takes for N active subscribers (one INSERT … SELECT).

Usage: DATABASE_URL=postgresql://… python bench/fanout.py [--subscribers 1000000] [--runs 3]
bench/stack.py gives a fresh migrated scratch database (embedded Postgres when DATABASE_URL is
unset); the subscribers are added, then `ledger.start` (conditional UPDATE + fan-out, committed)
is timed for a fresh mailing per run. Prints one JSON line per step with the peak RSS of this
process (which only sends the statement) and of the Postgres backend that does the work (read
from /proc when the server runs on this machine, else null).
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text
from stack import stack


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
    args = parser.parse_args()
    with stack() as env:
        _bench(env, args.subscribers, args.runs)


def _bench(env: dict[str, str], subscribers: int, runs: int) -> None:
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
                "INSERT INTO users (tg_id, first_name, role, status) "
                "SELECT g, 'S', 'subscriber', 'active' FROM generate_series(1, :n) g"
            ),
            {"n": subscribers},
        )
        db.session.commit()
        db.session.execute(text("ANALYZE users"))
        db.session.commit()
        print(
            json.dumps(
                {
                    "scenario": "fanout_subscribers",
                    "count": subscribers,
                    "seconds": round(time.perf_counter() - started, 2),
                }
            ),
            flush=True,
        )
        for run in range(runs):
            mailing = Mailing(name=f"bench {run}", text="hi", send_at=datetime.now(UTC) + timedelta(days=1))
            db.session.add(mailing)
            db.session.commit()
            mailing_id = mailing.id
            # A fresh connection per run, so the backend's high-water mark is this run's.
            db.session.remove()
            db.engine.dispose()
            backend = db.session.execute(text("SELECT pg_backend_pid()")).scalar()
            started = time.perf_counter()
            assert ledger.start(mailing_id, force=True)
            db.session.commit()
            seconds = time.perf_counter() - started
            rows = db.session.scalar(
                text("SELECT count(*) FROM deliveries WHERE mailing_id = :m"), {"m": mailing_id}
            )
            print(
                json.dumps(
                    {
                        "scenario": "fanout",
                        "run": run + 1,
                        "rows": rows,
                        "seconds": round(seconds, 2),
                        "rows_per_s": round(rows / seconds),
                        "python_peak_rss_mb": own_peak_rss_mb(),
                        "backend_peak_rss_mb": backend_peak_rss_mb(backend),
                    }
                ),
                flush=True,
            )
            db.session.rollback()


if __name__ == "__main__":
    main()
