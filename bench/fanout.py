"""Fan-out time: how long starting a mailing takes for N active subscribers (one INSERT … SELECT).

Usage: DATABASE_URL=postgresql://… python bench/fanout.py [--subscribers 1000000] [--runs 3]
Creates a scratch database on that server (embedded Postgres when DATABASE_URL is unset),
migrates it, adds the subscribers, then times `sending.start` (conditional UPDATE + fan-out,
committed) for a fresh mailing per run. Prints one JSON line per run; drops the database after.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg2
from sqlalchemy import text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _admin_url(url: str, database: str) -> str:
    return make_url(url).set(drivername="postgresql", database=database).render_as_string(hide_password=False)


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subscribers", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    from webapi.embedded import start_services

    scratch = Path(tempfile.mkdtemp(prefix="rsl-bench-"))
    services = start_services(scratch, keep=False, database_url=os.environ.get("DATABASE_URL") or None)
    name = f"rassylka_bench_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(_admin_url(services.database_url, "postgres"))
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    try:
        _bench(_admin_url(services.database_url, name), services.redis_url, args.subscribers, args.runs)
    finally:
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
        services.stop()
        shutil.rmtree(scratch, ignore_errors=True)


def _bench(database_url: str, redis_url: str, subscribers: int, runs: int) -> None:
    from flask_migrate import upgrade

    from webapi.app import create_app
    from webapi.extensions import db
    from webapi.models import Mailing
    from webapi.services import sending
    from webapi.settings import load_settings

    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "JWT_SECRET_KEY": secrets.token_urlsafe(32),
        "ADMIN_KEY": "bench",
    }
    app = create_app(load_settings(env))
    with app.app_context():
        upgrade()
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
                    "step": "subscribers",
                    "count": subscribers,
                    "seconds": round(time.perf_counter() - started, 2),
                }
            )
        )
        for run in range(runs):
            mailing = Mailing(name=f"bench {run}", text="hi", send_at=datetime.now(UTC) + timedelta(days=1))
            db.session.add(mailing)
            db.session.commit()
            started = time.perf_counter()
            assert sending.start(mailing.id, force=True)
            db.session.commit()
            seconds = time.perf_counter() - started
            rows = db.session.scalar(
                text("SELECT count(*) FROM deliveries WHERE mailing_id = :m"), {"m": mailing.id}
            )
            print(json.dumps({"step": "fan-out", "run": run + 1, "rows": rows, "seconds": round(seconds, 2)}))


if __name__ == "__main__":
    main()
