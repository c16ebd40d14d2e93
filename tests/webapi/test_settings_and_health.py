"""Settings: defaults, validation and one-line failures; /health tells the stores apart."""

from __future__ import annotations

import subprocess
import sys

import pytest
from redis import Redis

from webapi.settings import ConfigError, load_settings

BASE = {
    "DATABASE_URL": "postgresql://u@h/db",
    "REDIS_URL": "redis://h",
    "JWT_SECRET_KEY": "s",
    "ADMIN_KEY": "k",
}


def test_defaults_follow_the_design():
    settings = load_settings(BASE)
    assert settings.timezone.key == "Europe/Moscow"
    assert settings.bot_language == "ru"
    assert settings.broadcast_rate == 25
    assert settings.paid_broadcast is False
    assert settings.telegram_api_url == "https://api.telegram.org"
    assert settings.api_url == "http://127.0.0.1:8000"
    assert settings.database_url == "postgresql+psycopg2://u@h/db"


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"ADMIN_KEY": "has space"}, "ADMIN_KEY"),
        ({"ADMIN_KEY": "x" * 65}, "ADMIN_KEY"),
        ({"BOT_TOKEN": "abc"}, "BOT_TOKEN"),
        ({"TIMEZONE": "Mars/Olympus"}, "TIMEZONE"),
        ({"BOT_LANGUAGE": "de"}, "BOT_LANGUAGE"),
        ({"BROADCAST_RATE": "fast"}, "BROADCAST_RATE"),
        ({"BROADCAST_RATE": "31"}, "BROADCAST_RATE"),
        ({"BROADCAST_RATE": "0"}, "BROADCAST_RATE"),
        ({"PAID_BROADCAST": "maybe"}, "PAID_BROADCAST"),
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT"),
    ],
)
def test_malformed_values_are_named(overrides, fragment):
    with pytest.raises(ConfigError, match=fragment):
        load_settings({**BASE, **overrides})


def test_paid_broadcast_allows_up_to_1000():
    settings = load_settings({**BASE, "PAID_BROADCAST": "true", "BROADCAST_RATE": "1000"})
    assert (settings.paid_broadcast, settings.broadcast_rate) == (True, 1000)


def test_required_values_are_named():
    with pytest.raises(ConfigError, match="missing required setting JWT_SECRET_KEY"):
        load_settings({"ADMIN_KEY": "k"}, require=("JWT_SECRET_KEY",))


def test_a_missing_setting_stops_start_up_with_one_line():
    env = {
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": "postgresql://u@h/db",
        "REDIS_URL": "redis://h",
        "ADMIN_KEY": "k",
        # Empty on purpose: it also hides a value that var/local.env or .env may hold on this machine.
        "JWT_SECRET_KEY": "",
    }
    result = subprocess.run(
        [sys.executable, "-c", "import wsgi"], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "Configuration error: missing required setting JWT_SECRET_KEY: set it in the environment or .env"
    ]


def test_health_reports_each_store(client):
    assert client.get("/health").json == {"status": "ok", "database": "ok", "redis": "ok"}


def test_health_is_503_when_redis_is_down(app, client):
    working = app.extensions["redis"]
    app.extensions["redis"] = Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)
    try:
        response = client.get("/health")
    finally:
        app.extensions["redis"] = working
    assert response.status_code == 503
    assert response.json == {"status": "degraded", "database": "ok", "redis": "unavailable"}


def test_health_is_503_when_the_database_is_down(app, client, monkeypatch):
    from sqlalchemy import create_engine

    from webapi.extensions import db

    # A real engine pointed at a port where nothing listens.
    unreachable = create_engine(
        "postgresql+psycopg2://postgres@127.0.0.1:1/none", connect_args={"connect_timeout": 1}
    )
    monkeypatch.setitem(db._app_engines[app], None, unreachable)
    response = client.get("/health")
    assert response.status_code == 503
    assert response.json == {"status": "degraded", "database": "unavailable", "redis": "ok"}
