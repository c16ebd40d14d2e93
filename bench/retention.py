"""A year of use: the hot paths with an empty ledger and with 30 M old rows, and the prune of those rows.

Usage: DATABASE_URL=postgresql://… python bench/retention.py [--subscribers 1000000] [--old-mailings 30]
bench/stack.py gives a fresh migrated scratch database (embedded Postgres when DATABASE_URL is unset).
`--subscribers` active users are added with the old mailings' rows (no deliveries yet), so the
mailings table is the same in both phases and only the ledger differs. Each phase measures:

- fan-out: `ledger.start` of a fresh mailing to every subscriber and the rest of its audience,
  committed (the empty phase truncates the ledger after each run);
- claim: `ledger.claim_batch` of that mailing, `--claims` batches of `--batch` rows, ms per batch;
- list: `GET /api/v1/mailings?limit=20` through the in-process test client, ms per request.

Between the phases `--old-mailings` mailings get `--subscribers` rows each (INSERT … SELECT
generate_series), finished and reported `--age` days ago, and the table is vacuumed and analyzed.
Last, `retention.prune` deletes them with DELIVERY_RETENTION_DAYS=90: total seconds, rows per
second, transactions and the longest one. Prints one JSON line per figure.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from stack import BENCH_SECRET, stack

ADMIN_ID = 4_000_000_000


def emit(**figures) -> None:
    """One JSON line."""
    print(json.dumps(figures), flush=True)


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subscribers", type=int, default=1_000_000)
    parser.add_argument("--old-mailings", type=int, default=30)
    parser.add_argument("--age", type=int, default=120, help="days since the old mailings finished")
    parser.add_argument("--runs", type=int, default=3, help="fan-outs per phase")
    parser.add_argument("--claims", type=int, default=200)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    with stack() as env:
        _bench(env, args)


def _bench(env: dict[str, str], args) -> None:
    from webapi.app import create_app
    from webapi.extensions import db
    from webapi.services import retention
    from webapi.settings import load_settings

    app = create_app(load_settings(env))
    with app.app_context():
        started = time.perf_counter()
        db.session.execute(
            text(
                "INSERT INTO users (tg_id, first_name, role, status) "
                "SELECT g, 'S', 'subscriber', 'active' FROM generate_series(1, :n) g"
            ),
            {"n": args.subscribers},
        )
        db.session.execute(
            text(
                "INSERT INTO users (tg_id, first_name, role, status) VALUES (:a, 'Bench', 'admin', 'active')"
            ),
            {"a": ADMIN_ID},
        )
        old = [
            db.session.execute(
                text(
                    "INSERT INTO mailings (name, text, send_at, status, created_by, started_at, finished_at,"
                    " report_sent_at) VALUES (:name, 'hi', now() - make_interval(days => :d),"
                    " 'finished', 'bench', now() - make_interval(days => :d),"
                    " now() - make_interval(days => :d), now() - make_interval(days => :d)) RETURNING id"
                ),
                {"name": f"old {i}", "d": args.age + i},
            ).scalar()
            for i in range(args.old_mailings)
        ]
        db.session.commit()
        _maintain(db)
        emit(scenario="setup", subscribers=args.subscribers, seconds=round(time.perf_counter() - started, 1))

        empty = _phase(app, db, "empty", args)

        started = time.perf_counter()
        for mailing_id in old:
            db.session.execute(
                text(
                    "INSERT INTO deliveries (mailing_id, user_id, chat_id, status, attempts, message_id,"
                    " last_error, sent_at, updated_at) "
                    "SELECT :m, g, g, CASE WHEN g % 20 = 0 THEN 'blocked' WHEN g % 97 = 0 THEN 'failed'"
                    " ELSE 'sent' END, 1, g,"
                    " CASE WHEN g % 20 = 0 THEN 'Forbidden: bot was blocked by the user'"
                    " WHEN g % 97 = 0 THEN 'Bad Request: chat not found' END, now() - interval '100 days',"
                    " now() - interval '100 days' FROM generate_series(1, :n) g"
                ),
                {"m": mailing_id, "n": args.subscribers},
            )
            db.session.commit()
        rows = db.session.execute(text("SELECT count(*) FROM deliveries")).scalar()
        emit(scenario="old_rows", rows=rows, seconds=round(time.perf_counter() - started, 1))
        started = time.perf_counter()
        _maintain(db)
        size = db.session.execute(text("SELECT pg_total_relation_size('deliveries')")).scalar()
        db.session.commit()
        emit(scenario="vacuum_analyze", seconds=round(time.perf_counter() - started, 1), mb=size // 2**20)

        full = _phase(app, db, "30M", args)
        for name in ("fanout_s", "claim_ms", "list_ms"):
            emit(scenario="ratio", figure=name, full_over_empty=round(full[name] / empty[name], 3))

        db.session.remove()
        pruned = retention.prune(db.engine, 90)
        emit(
            scenario="prune",
            mailings=len(pruned.mailings),
            rows=pruned.rows,
            seconds=round(pruned.seconds, 1),
            rows_per_s=round(pruned.rows / pruned.seconds) if pruned.seconds else None,
            transactions=pruned.transactions,
            longest_transaction_s=round(pruned.longest_transaction, 3),
        )
        left = db.session.execute(
            text("SELECT count(*) FROM deliveries WHERE mailing_id = ANY(:o)"), {"o": old}
        )
        emit(scenario="after_prune", old_rows_left=left.scalar())


def _maintain(db) -> None:
    """VACUUM ANALYZE outside a transaction, as autovacuum would have done to rows days old, and a
    CHECKPOINT, as Postgres would have made long since: the 5 GB just written go to disk now, not
    while the 30 M phase is measured (without it, its three fan-outs took 4.07, 3.39 and 3.25 s)."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
        conn.execute(text("CHECKPOINT"))


def _phase(app, db, name: str, args) -> dict[str, float]:
    """Fan-out, claim and list figures with the ledger as it is now; returns their medians."""
    from webapi.models import Mailing
    from webapi.services import ledger
    from webapi.tokens import mint_token

    fanouts, claims = [], []
    for run in range(args.runs):
        mailing = Mailing(name=f"{name} {run}", text="hi", send_at=datetime.now(UTC) + timedelta(days=1))
        db.session.add(mailing)
        db.session.commit()
        mailing_id = mailing.id
        started = time.perf_counter()
        assert ledger.start(mailing_id, force=True)
        if hasattr(Mailing, "fanout_cursor"):  # the rest of the audience, when the start fans out in chunks
            ledger.fan_out(mailing_id)
        db.session.commit()
        fanouts.append(time.perf_counter() - started)
        rows = db.session.execute(
            text("SELECT count(*) FROM deliveries WHERE mailing_id = :m"), {"m": mailing_id}
        ).scalar()
        db.session.commit()
        for _ in range(args.claims):
            started = time.perf_counter()
            claimed = ledger.claim_batch(db.engine, mailing_id, f"bench-{run}", args.batch, 600.0)
            claims.append(time.perf_counter() - started)
            assert len(claimed) == args.batch
        # The mailing is done with: it stops sending (its rows stay, as a just-finished mailing's do).
        db.session.execute(
            text("UPDATE mailings SET status = 'cancelled', finished_at = now() WHERE id = :m"),
            {"m": mailing_id},
        )
        if name == "empty":  # every run of this phase starts from an empty ledger
            db.session.execute(text("TRUNCATE deliveries"))
        db.session.commit()
        emit(scenario="fanout", ledger=name, run=run + 1, rows=rows, seconds=round(fanouts[-1], 2))

    token = mint_token(BENCH_SECRET, "telebot", timedelta(hours=1), tg_id=ADMIN_ID)
    headers = {"Authorization": f"Bearer {token}"}
    client = app.test_client()
    lists = []
    for i in range(args.requests):
        started = time.perf_counter()
        response = client.get(f"/api/v1/mailings?offset={i % 10}&limit=20", headers=headers)
        lists.append(time.perf_counter() - started)
        assert response.status_code == 200, response.get_json()
    db.session.remove()
    figures = {
        "fanout_s": statistics.median(fanouts),
        "claim_ms": statistics.median(claims) * 1000,
        "list_ms": statistics.median(lists) * 1000,
    }
    emit(
        scenario="phase",
        ledger=name,
        subscribers=args.subscribers,
        fanout_s_median=round(figures["fanout_s"], 2),
        claim_batch=args.batch,
        claim_ms_median=round(figures["claim_ms"], 2),
        claim_ms_p95=round(statistics.quantiles(claims, n=20)[-1] * 1000, 2),
        list_ms_median=round(figures["list_ms"], 2),
        list_ms_p95=round(statistics.quantiles(lists, n=20)[-1] * 1000, 2),
    )
    return figures


if __name__ == "__main__":
    main()
