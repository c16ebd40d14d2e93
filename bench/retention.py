"""A year of use: the hot paths with an empty ledger and with 30 M old rows, and the prune of those rows.

Usage: DATABASE_URL=postgresql://… python bench/retention.py [--subscribers 1000000] [--old-mailings 30]
bench/stack.py gives two fresh migrated scratch databases (on the server of DATABASE_URL, or
embedded ones when it is unset): one keeps an empty ledger, the other gets the old rows. Both get
`--subscribers` active users and the same `--old-mailings` mailings, finished and reported `--age`
days ago, so only the ledger differs; the second gives each old mailing `--subscribers` rows
(INSERT … SELECT generate_series) and both are vacuumed, analyzed and checkpointed.

The two are then measured in turns, run by run (empty, 30 M; then 30 M, empty; …), so that what
the machine is doing meanwhile (the disk still writing out the 30 M rows, the page cache being
reclaimed, a checkpoint) weighs on both alike rather than on whichever phase came second:

- fan-out: `ledger.start` of a fresh mailing to every subscriber and the rest of its audience,
  committed, each run from the same settled state (`_settle`); the empty ledger is truncated after
  each run, the 30 M one keeps every run's rows, as it would;
- claim: `ledger.claim_batch` of that mailing, `--claims` batches of `--batch` rows, ms per batch;
- list: `GET /api/v1/mailings?limit=20` through the in-process test client, ms per request,
  alternating between the two.

Last, `retention.prune` deletes the old rows with DELIVERY_RETENTION_DAYS=90: total seconds, rows
per second, transactions and the longest one. Prints one JSON line per figure.
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
EMPTY, FULL = "empty", "30M"


def emit(**figures) -> None:
    """One JSON line."""
    print(json.dumps(figures), flush=True)


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subscribers", type=int, default=1_000_000)
    parser.add_argument("--old-mailings", type=int, default=30)
    parser.add_argument("--age", type=int, default=120, help="days since the old mailings finished")
    parser.add_argument("--runs", type=int, default=4, help="fan-outs on each side, in turns")
    parser.add_argument("--claims", type=int, default=200)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    with stack() as empty_env, stack() as full_env:
        _bench({EMPTY: empty_env, FULL: full_env}, args)


def _bench(envs: dict[str, dict[str, str]], args) -> None:
    from webapi.app import create_app
    from webapi.extensions import db
    from webapi.services import retention
    from webapi.settings import load_settings

    apps = {name: create_app(load_settings(env)) for name, env in envs.items()}
    started = time.perf_counter()
    old = {}
    for name, app in apps.items():
        with app.app_context():
            old[name] = _audience(db, args)
    emit(scenario="setup", subscribers=args.subscribers, seconds=round(time.perf_counter() - started, 1))

    started = time.perf_counter()
    with apps[FULL].app_context():
        for mailing_id in old[FULL]:
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
        db.session.commit()
    emit(scenario="old_rows", rows=rows, seconds=round(time.perf_counter() - started, 1))
    started = time.perf_counter()
    for app in apps.values():
        with app.app_context():
            _maintain(db)
    with apps[FULL].app_context():
        size = db.session.execute(text("SELECT pg_total_relation_size('deliveries')")).scalar()
        db.session.remove()
    emit(scenario="vacuum_analyze", seconds=round(time.perf_counter() - started, 1), mb=size // 2**20)

    samples = {name: {"fanout_s": [], "claim_ms": [], "list_ms": []} for name in apps}
    for run in range(args.runs):
        for name in (EMPTY, FULL) if run % 2 == 0 else (FULL, EMPTY):
            with apps[name].app_context():
                _fan_out_and_claim(db, name, run, args, samples[name])
    _list(apps, args, samples)
    figures = {name: _summary(name, args, samples[name]) for name in apps}
    for figure in ("fanout_s", "claim_ms", "list_ms"):
        emit(
            scenario="ratio",
            figure=figure,
            full_over_empty=round(figures[FULL][figure] / figures[EMPTY][figure], 3),
        )

    with apps[FULL].app_context():
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
            text("SELECT count(*) FROM deliveries WHERE mailing_id = ANY(:o)"), {"o": old[FULL]}
        )
        emit(scenario="after_prune", old_rows_left=left.scalar())
        db.session.remove()


def _audience(db, args) -> list[int]:
    """The subscribers, the admin and the old mailings (finished `--age` days ago); their ids."""
    db.session.execute(
        text(
            "INSERT INTO users (tg_id, first_name, role, status) "
            "SELECT g, 'S', 'subscriber', 'active' FROM generate_series(1, :n) g"
        ),
        {"n": args.subscribers},
    )
    db.session.execute(
        text("INSERT INTO users (tg_id, first_name, role, status) VALUES (:a, 'Bench', 'admin', 'active')"),
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
    db.session.remove()
    return old


def _maintain(db) -> None:
    """VACUUM ANALYZE outside a transaction, as autovacuum would have done to rows days old, and a
    CHECKPOINT, as Postgres would have made long since: the 5 GB just written go to disk now, not
    while the fan-outs are measured."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
        conn.execute(text("CHECKPOINT"))


def _settle(db) -> None:
    """Each fan-out, on either side, starts from the same state: no dirty pages of the run before
    left for it to write out (a CHECKPOINT) and the audience's pages read. The empty side truncates
    its ledger after each run, which drops the buffers of the rows just written; the 30 M side keeps
    them, dirty, and without this its next run paid for writing them out."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("CHECKPOINT"))
        conn.execute(text("SELECT count(*) FROM users WHERE status = 'active'"))


def _fan_out_and_claim(db, name: str, run: int, args, samples: dict[str, list[float]]) -> None:
    """One fan-out of a fresh mailing to every subscriber, committed, then `--claims` batches of it."""
    from webapi.models import Mailing
    from webapi.services import ledger

    mailing = Mailing(name=f"{name} {run}", text="hi", send_at=datetime.now(UTC) + timedelta(days=1))
    db.session.add(mailing)
    db.session.commit()
    mailing_id = mailing.id
    _settle(db)
    started = time.perf_counter()
    assert ledger.start(mailing_id, force=True)
    if hasattr(Mailing, "fanout_cursor"):  # the rest of the audience, when the start fans out in chunks
        ledger.fan_out(mailing_id)
    db.session.commit()
    samples["fanout_s"].append(time.perf_counter() - started)
    rows = db.session.execute(
        text("SELECT count(*) FROM deliveries WHERE mailing_id = :m"), {"m": mailing_id}
    ).scalar()
    db.session.commit()
    for _ in range(args.claims):
        started = time.perf_counter()
        claimed = ledger.claim_batch(db.engine, mailing_id, f"bench-{run}", args.batch, 600.0)
        samples["claim_ms"].append((time.perf_counter() - started) * 1000)
        assert len(claimed) == args.batch
    # The mailing is done with: it stops sending (its rows stay, as a just-finished mailing's do).
    db.session.execute(
        text("UPDATE mailings SET status = 'cancelled', finished_at = now() WHERE id = :m"), {"m": mailing_id}
    )
    if name == EMPTY:  # every run on this side starts from an empty ledger
        db.session.execute(text("TRUNCATE deliveries"))
    db.session.commit()
    db.session.remove()
    emit(scenario="fanout", ledger=name, run=run + 1, rows=rows, seconds=round(samples["fanout_s"][-1], 2))


def _list(apps: dict, args, samples: dict[str, dict[str, list[float]]]) -> None:
    """`GET /mailings?limit=20` through each app's test client, the two in turns."""
    from webapi.tokens import mint_token

    token = mint_token(BENCH_SECRET, "telebot", timedelta(hours=1), tg_id=ADMIN_ID)
    headers = {"Authorization": f"Bearer {token}"}
    clients = {name: app.test_client() for name, app in apps.items()}
    for i in range(args.requests):
        for name in (EMPTY, FULL) if i % 2 == 0 else (FULL, EMPTY):
            started = time.perf_counter()
            response = clients[name].get(f"/api/v1/mailings?offset={i % 10}&limit=20", headers=headers)
            samples[name]["list_ms"].append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.get_json()


def _summary(name: str, args, samples: dict[str, list[float]]) -> dict[str, float]:
    """The side's medians, printed with their p95s."""
    figures = {figure: statistics.median(values) for figure, values in samples.items()}
    emit(
        scenario="phase",
        ledger=name,
        subscribers=args.subscribers,
        fanout_s_median=round(figures["fanout_s"], 2),
        claim_batch=args.batch,
        claim_ms_median=round(figures["claim_ms"], 2),
        claim_ms_p95=round(statistics.quantiles(samples["claim_ms"], n=20)[-1], 2),
        list_ms_median=round(figures["list_ms"], 2),
        list_ms_p95=round(statistics.quantiles(samples["list_ms"], n=20)[-1], 2),
    )
    return figures


if __name__ == "__main__":
    main()
