"""The settings of webhook mode and error tracking: checked at start, each failure one line naming it."""

from __future__ import annotations

import dataclasses

import pytest

from webapi.settings import ConfigError, load_settings

BASE = {"JWT_SECRET_KEY": "k" * 40}


def _load(**env: str):
    return load_settings({**BASE, **env})


def test_webhook_url_is_the_address_of_web_with_the_path_appended():
    assert _load().webhook_url is None
    assert (
        _load(WEBHOOK_URL="https://bot.example.org").webhook_url == "https://bot.example.org/telegram/webhook"
    )
    assert _load(WEBHOOK_URL="https://bot.example.org/app/").webhook_url == (
        "https://bot.example.org/app/telegram/webhook"
    )
    given = "https://bot.example.org:8443/telegram/webhook"
    assert _load(WEBHOOK_URL=given).webhook_url == given
    # The sandbox on this machine speaks plain http.
    assert _load(WEBHOOK_URL="http://127.0.0.1:8000").webhook_url == "http://127.0.0.1:8000/telegram/webhook"


@pytest.mark.parametrize(
    "url",
    [
        "http://bot.example.org",
        "https://bot.example.org/?x=1",
        "https://bot.example.org/#f",
        "ftp://a",
        "https://",
    ],
)
def test_a_webhook_url_telegram_would_refuse_stops_the_start(url):
    with pytest.raises(ConfigError, match="^WEBHOOK_URL must be"):
        _load(WEBHOOK_URL=url)


def test_the_secret_is_given_or_derived_from_the_jwt_secret():
    assert (
        _load(WEBHOOK_URL="https://a.example").webhook_secret
        == _load(WEBHOOK_URL="https://b.example").webhook_secret
    )
    derived = _load(WEBHOOK_URL="https://a.example").webhook_secret
    assert derived and len(derived) == 64 and BASE["JWT_SECRET_KEY"] not in derived
    other = load_settings({"JWT_SECRET_KEY": "j" * 40, "WEBHOOK_URL": "https://a.example"}).webhook_secret
    assert other != derived
    assert _load(WEBHOOK_URL="https://a.example", WEBHOOK_SECRET="mine_1-A").webhook_secret == "mine_1-A"
    assert _load().webhook_secret is None  # polling: none
    for bad in ("has:colon", "x" * 257, "sp ace"):
        with pytest.raises(ConfigError, match="^WEBHOOK_SECRET must be"):
            _load(WEBHOOK_URL="https://a.example", WEBHOOK_SECRET=bad)


def test_max_connections_within_telegrams_range():
    assert _load().webhook_max_connections == 40
    assert _load(WEBHOOK_MAX_CONNECTIONS="100").webhook_max_connections == 100
    for bad in ("0", "101", "ten", "-5"):
        with pytest.raises(ConfigError, match="^WEBHOOK_MAX_CONNECTIONS must be"):
            _load(WEBHOOK_MAX_CONNECTIONS=bad)


def test_sentry_settings_are_read():
    assert (_load().sentry_dsn, _load().sentry_environment) == (None, None)
    tracked = _load(SENTRY_DSN="https://key@o1.ingest.sentry.io/2", SENTRY_ENVIRONMENT="staging")
    assert (tracked.sentry_dsn, tracked.sentry_environment) == (
        "https://key@o1.ingest.sentry.io/2",
        "staging",
    )


def test_web_in_webhook_mode_needs_the_bot_token(settings):
    from webapi.app import create_app

    webhook = dataclasses.replace(settings, bot_token=None, webhook_url="https://a.example/telegram/webhook")
    with pytest.raises(ConfigError, match="BOT_TOKEN"):
        create_app(webhook)
