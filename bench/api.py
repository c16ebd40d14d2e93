"""API speed under gunicorn: GET /mailings with 10,000 mailings in the table, POST /mailings,
*Send now* with 1,000,000 active subscribers, and the click redirect of URL buttons.

Usage: python bench/api.py [--seconds 10] [--clients 8] [--mailings 10000] [--subscribers 1000000]
Prints one JSON line per scenario: requests, seconds, rps, p50_ms, p99_ms, errors. The send-now
scenario adds the subscribers after the other two and sends a different scheduled mailing each
call (no workers run: what is measured is the request, which fans out nothing). The redirect
scenario follows a random subscriber's click link of a finished mailing's button each call (the
first click of each is counted, an insert; a repeat is a conflict that counts nothing).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

import psycopg2
import requests
from stack import BENCH_SECRET, ROOT, free_port, stack, wait_until_healthy

sys.path.insert(0, str(ROOT))
from webapi.click_links import PATH, ClickKeys  # noqa: E402
from webapi.tokens import mint_token  # noqa: E402

ADMIN_ID = 1


def seed(database_url: str, mailings: int) -> None:
    """One admin and `mailings` scheduled mailings, inserted in one statement."""
    connection = psycopg2.connect(database_url.replace("postgresql+psycopg2", "postgresql"))
    with connection, connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO users (tg_id, first_name, role, status) VALUES (%s, 'Bench', 'admin', 'active')",
            (ADMIN_ID,),
        )
        cursor.execute(
            "INSERT INTO mailings (name, text, send_at, status, created_by, version) "
            "SELECT 'bench ' || n, '<b>Bench</b> mailing ' || n, now() + n * interval '1 minute', "
            "'scheduled', "
            "'bench', 1 FROM generate_series(1, %s) AS n",
            (mailings,),
        )
        # As autovacuum would have by the time a table holds 10,000 mailings: the planner needs the
        # table's statistics to page through its (send_at, id) index instead of sorting every row.
        cursor.execute("ANALYZE mailings")
    connection.close()


def add_subscribers(database_url: str, count: int) -> None:
    """`count` active subscribers, in one statement."""
    connection = psycopg2.connect(database_url.replace("postgresql+psycopg2", "postgresql"))
    with connection, connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO users (tg_id, first_name, role, status) "
            "SELECT 10000000 + n, 'S', 'subscriber', 'active' FROM generate_series(1, %s) AS n",
            (count,),
        )
        cursor.execute("ANALYZE users")
    connection.close()


def add_clicked_mailing(database_url: str) -> int:
    """A finished mailing with one URL button, as clicks find it; returns its id."""
    connection = psycopg2.connect(database_url.replace("postgresql+psycopg2", "postgresql"))
    with connection, connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO mailings (name, text, send_at, status, created_by, version, started_at,"
            " finished_at) VALUES ('bench clicks', 'Sale', now(), 'finished', 'bench', 1, now(), now())"
            " RETURNING id"
        )
        mailing_id = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO mailing_buttons (mailing_id, position, text, url) "
            "VALUES (%s, 0, 'Open', 'https://example.org/sale')",
            (mailing_id,),
        )
    connection.close()
    return mailing_id


def run(label: str, clients: int, seconds: float, call) -> dict:
    """Drive `call(session)` from `clients` threads for `seconds`; collect latencies."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client() -> None:
        nonlocal errors
        session = requests.Session()
        local, failed = [], 0
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            ok = call(session)
            local.append(time.perf_counter() - started)
            failed += not ok
        with lock:
            latencies.extend(local)
            errors += failed

    threads = [threading.Thread(target=client) for _ in range(clients)]
    begun = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - begun
    latencies.sort()
    return {
        "scenario": label,
        "clients": clients,
        "requests": len(latencies),
        "seconds": round(elapsed, 2),
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
        "errors": errors,
    }


def main() -> None:
    """Seed, start gunicorn as the Procfile does, measure both endpoints."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--mailings", type=int, default=10_000)
    parser.add_argument("--subscribers", type=int, default=1_000_000)
    args = parser.parse_args()
    port = free_port()
    with stack(PORT=str(port)) as env:
        seed(env["DATABASE_URL"], args.mailings)
        bin_dir = os.path.dirname(sys.executable)
        web = subprocess.Popen(
            [
                os.path.join(bin_dir, "gunicorn"),
                "wsgi:app",
                "--config",
                "gunicorn.conf.py",
                "--access-logfile",
                "/dev/null",
            ],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_healthy(base + "/health")
            token = mint_token(BENCH_SECRET, "telebot", timedelta(hours=1), tg_id=ADMIN_ID)
            headers = {"Authorization": f"Bearer {token}"}

            def list_page(session) -> bool:
                offset = random.randrange(args.mailings)
                response = session.get(f"{base}/api/v1/mailings?offset={offset}&limit=20", headers=headers)
                return response.status_code == 200

            def create(session) -> bool:
                body = {
                    "name": "bench",
                    "text": "<b>Bench</b> <i>mailing</i>",
                    "send_at": (datetime.now(UTC) + timedelta(days=30)).isoformat(),
                    "buttons": [{"text": "Open", "url": "https://example.org"}],
                }
                return session.post(f"{base}/api/v1/mailings", json=body, headers=headers).status_code == 201

            for label, call in (("api_get_mailings", list_page), ("api_post_mailings", create)):
                result = run(label, args.clients, args.seconds, call)
                result["mailings_in_table"] = args.mailings
                print(json.dumps(result), flush=True)

            add_subscribers(env["DATABASE_URL"], args.subscribers)
            scheduled = itertools.count(1)  # the seeded mailings' ids, each sent once

            def send_now(session) -> bool:
                url = f"{base}/api/v1/mailings/{next(scheduled)}/send-now"
                return session.post(url, headers=headers).status_code == 200

            result = run("api_send_now", args.clients, args.seconds, send_now)
            result["active_subscribers"] = args.subscribers + 1
            print(json.dumps(result), flush=True)

            clicked = add_clicked_mailing(env["DATABASE_URL"])
            keys = ClickKeys.from_secret(BENCH_SECRET)

            def follow(session) -> bool:
                user = 10_000_001 + random.randrange(args.subscribers)
                response = session.get(base + PATH + keys.token(clicked, 0, user), allow_redirects=False)
                return response.status_code == 302

            result = run("redirect_click", args.clients, args.seconds, follow)
            print(json.dumps(result), flush=True)
        finally:
            web.terminate()
            web.wait(timeout=30)


if __name__ == "__main__":
    main()
