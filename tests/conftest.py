"""Shared fixtures: real Postgres and Redis (embedded when no URLs are given), the app, tokens."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path

import psycopg2
import pytest
from redis import Redis
from sqlalchemy.engine import make_url

from webapi import tokens
from webapi.local.embedded import start_services
from webapi.settings import load_settings

JWT_SECRET = "test-secret-" + "x" * 32
ADMIN_KEY = "test_admin-KEY_42"
SERVER_URL_VARS = ("DATABASE_URL", "REDIS_URL")


def _create_database(server_url: str) -> str:
    """Create a throw-away database on the server of `server_url`; return its URL."""
    url = make_url(server_url).set(drivername="postgresql")
    name = f"rassylka_test_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(url.set(database="postgres").render_as_string(hide_password=False))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    return url.set(database=name).render_as_string(hide_password=False)


def _drop_database(database_url: str) -> None:
    url = make_url(database_url)
    admin = psycopg2.connect(url.set(database="postgres").render_as_string(hide_password=False))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
    admin.close()


@pytest.fixture(scope="session")
def services():
    """Database and Redis URLs for the whole run; embedded servers when the environment names none."""
    given = {name: os.environ.get(name) or None for name in SERVER_URL_VARS}
    root = Path(tempfile.mkdtemp(prefix="rsl-"))
    embedded = start_services(
        root, keep=False, database_url=given["DATABASE_URL"], redis_url=given["REDIS_URL"]
    )
    database_url = _create_database(embedded.database_url)
    previous = {name: os.environ.get(name) for name in (*SERVER_URL_VARS, "JWT_SECRET_KEY", "ADMIN_KEY")}
    # Subprocesses (workers, gunicorn, the bot) inherit these.
    os.environ.update(
        DATABASE_URL=database_url,
        REDIS_URL=embedded.redis_url,
        JWT_SECRET_KEY=JWT_SECRET,
        ADMIN_KEY=ADMIN_KEY,
    )
    yield {"database_url": database_url, "redis_url": embedded.redis_url}
    for name, value in previous.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    _drop_database(database_url)
    embedded.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def settings(services):
    """Settings for the test run."""
    return load_settings(dict(os.environ))


@pytest.fixture(scope="session")
def app(settings):
    """The API app with a migrated database."""
    from flask_migrate import upgrade

    from webapi.app import create_app

    app = create_app(settings)
    app.config["TESTING"] = True
    with app.app_context():
        upgrade()
    return app


@pytest.fixture(scope="session")
def redis(services):
    """A Redis client on the test Redis."""
    return Redis.from_url(services["redis_url"])


@pytest.fixture(autouse=True)
def _clean_state(request):
    """Each test that touches the stores starts with empty tables and an empty Redis."""
    if "app" not in request.fixturenames:
        yield
        return
    app = request.getfixturevalue("app")
    from webapi.extensions import db

    with app.app_context():
        tables = ", ".join(table.name for table in db.metadata.sorted_tables)
        db.session.execute(db.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.session.commit()
    app.extensions["redis"].flushdb()
    yield


@pytest.fixture
def client(app):
    """A Flask test client."""
    return app.test_client()


@pytest.fixture
def db_session(app):
    """The SQLAlchemy session inside an app context."""
    from webapi.extensions import db

    with app.app_context():
        yield db.session
        db.session.remove()


@pytest.fixture
def make_user(app):
    """Create a user with a role and status directly in the database."""
    from webapi.extensions import db
    from webapi.models import User

    def make(tg_id: int, role: str = "subscriber", status: str = "active", **names) -> int:
        with app.app_context():
            db.session.add(
                User(
                    tg_id=tg_id,
                    role=role,
                    status=status,
                    first_name=names.get("first_name", "U"),
                    **{k: v for k, v in names.items() if k != "first_name"},
                )
            )
            db.session.commit()
        return tg_id

    return make


def bot_headers(tg_id: int, secret: str = JWT_SECRET) -> dict[str, str]:
    """Headers the bot sends when acting for Telegram user `tg_id`."""
    return {"Authorization": f"Bearer {tokens.mint_bot_token(secret, tg_id)}"}


@pytest.fixture
def as_user():
    """Headers for the bot acting as a given Telegram user."""
    return bot_headers


@pytest.fixture
def admin(make_user):
    """An admin's headers (acting through the bot)."""
    return bot_headers(make_user(1001, role="admin"))


@pytest.fixture
def moderator(make_user):
    """A moderator's headers (acting through the bot)."""
    return bot_headers(make_user(1002, role="moderator"))


@pytest.fixture
def subscriber(make_user):
    """A plain subscriber's headers (acting through the bot)."""
    return bot_headers(make_user(1003))


@pytest.fixture(scope="session")
def live_api(app):
    """The API served over real HTTP on a free port (for the bot and anything else that uses requests)."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-api", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def telegram_app(app, sandbox_server, sandbox, sandbox_token):
    """The in-process app sending as the sandbox bot (what BOT_TOKEN/TELEGRAM_API_URL give a real run).

    A test folder that uses it defines `sandbox_server`, `sandbox` and `sandbox_token`.
    """
    import dataclasses

    original = app.config["SETTINGS"]
    app.config["SETTINGS"] = dataclasses.replace(
        original, bot_token=sandbox_token, telegram_api_url=sandbox_server.url
    )
    app.extensions.pop("telegram", None)
    yield app
    app.config["SETTINGS"] = original
    app.extensions.pop("telegram", None)


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium():
    """Debian's headless Chromium driven by Playwright: one per session, since Playwright's sync API
    allows only one instance per thread (the sandbox page tests and the system tests share it)."""
    # Imported here so that tests without a browser need no browser stack.
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
