"""The soak's stack: our own Redis and Postgres (restartable), the sandbox, workers and a scheduler.

The workers and the scheduler reach Postgres through an outage proxy, which the chaos script cuts.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import psycopg2
import pytest
from flask.testing import FlaskClient

from telegram_sandbox.client import SandboxClient
from tests.chaos.chaos import ADMIN_ID, FIRST_SUBSCRIBER, TOKEN, Ledger, Plan, Stack
from webapi import tokens

JWT_SECRET = "chaos-secret-" + "c" * 40
ADMIN_KEY = "chaos_admin_key"
DATABASE = "rassylka_chaos"


@dataclass
class Soak:
    """Everything the soak test drives and reads."""

    plan: Plan
    stack: Stack
    ledger: Ledger
    sandbox: SandboxClient
    client: FlaskClient
    admin: dict[str, str]
    subscribers: list[int]


def _create_database(stack: Stack) -> str:
    admin = psycopg2.connect(stack.postgres.url("postgres"))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{DATABASE}"')
    admin.close()
    return stack.postgres.url(DATABASE)


def _add_people(ledger: Ledger, sandbox: SandboxClient, count: int) -> list[int]:
    """`count` active subscribers and one admin, in our database and as Telegram (sandbox) users."""
    ids = list(range(FIRST_SUBSCRIBER, FIRST_SUBSCRIBER + count))
    ledger.query(
        "INSERT INTO users (tg_id, first_name, role, status) "
        "SELECT g, 'S', 'subscriber', 'active' FROM generate_series(%s, %s) g",
        (ids[0], ids[-1]),
    )
    ledger.query(
        "INSERT INTO users (tg_id, first_name, role, status) VALUES (%s, 'Admin', 'admin', 'active')",
        (ADMIN_ID,),
    )
    sandbox.create_users(1, start_id=ADMIN_ID)
    for start in range(0, count, 10_000):
        sandbox.create_users(min(10_000, count - start), start_id=ids[start])
    return ids


@pytest.fixture
def soak(tmp_path):
    """A whole stack on servers of our own; every process it started is killed at the end, come what may."""
    from flask_migrate import upgrade

    from webapi.app import create_app
    from webapi.extensions import db
    from webapi.settings import load_settings

    plan = Plan.from_env()
    # Unix socket paths must stay short, so the servers live under /tmp, not under tmp_path.
    root = Path(tempfile.mkdtemp(prefix="rsl-chaos-", dir="/tmp"))
    stack = Stack(root, tmp_path, plan)
    app = None
    try:
        stack.redis.start()
        stack.postgres.start()
        database_url = _create_database(stack)
        stack.start_sandbox()
        # Workers and scheduler go through the outage proxy; this process (API calls, migrations,
        # the ledger's reads) goes straight to Postgres, so it sees through the outage.
        env = stack.app_env(stack.proxy_postgres(database_url), JWT_SECRET, ADMIN_KEY)
        app = create_app(load_settings({**env, "DATABASE_URL": database_url}))
        app.config["TESTING"] = True
        with app.app_context():
            upgrade()
        ledger = Ledger(database_url)
        sandbox = SandboxClient(stack.sandbox_url, token=TOKEN)
        # Limits on and set to the rate; a paid broadcast skips the global bucket, the per-chat one applies.
        sandbox.set_limits(
            enabled=True,
            global_rate=plan.rate,
            global_burst=max(10, int(plan.rate / 10)),
            per_chat_rate=1,
            per_chat_burst=3,
        )
        subscribers = _add_people(ledger, sandbox, plan.recipients)
        stack.start_backend()
        admin = {"Authorization": f"Bearer {tokens.mint_bot_token(JWT_SECRET, ADMIN_ID)}"}
        yield Soak(plan, stack, ledger, sandbox, app.test_client(), admin, subscribers)
    finally:
        if app is not None:
            with contextlib.suppress(Exception), app.app_context():
                db.engine.dispose()
        stack.teardown()
        shutil.rmtree(root, ignore_errors=True)
