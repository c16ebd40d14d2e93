"""One settings module for every process: web, workers, scheduler and bot."""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

ROOT = Path(__file__).resolve().parent.parent
# The environment variable naming the local runner's data directory (default: ./var in the repository).
VAR_ENV = "RASSYLKA_VAR"


def var_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where `make run` keeps its data: $RASSYLKA_VAR when set, else ./var in the repository."""
    value = (os.environ if environ is None else environ).get(VAR_ENV, "").strip()
    return Path(value).expanduser().resolve() if value else ROOT / "var"


def local_env_file(environ: Mapping[str, str] | None = None) -> Path:
    """The local runner's generated secrets and embedded service URLs: <var dir>/local.env."""
    return var_dir(environ) / "local.env"


# Written by the local runner (`make run`); read by every process when present.
LOCAL_ENV_FILE = local_env_file()

ADMIN_KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
BOT_TOKEN_PATTERN = re.compile(r"\d+:[A-Za-z0-9_-]+")
# The languages the bot and the staff messages speak (BOT_LANGUAGE is one of them).
LANGUAGES = ("ru", "en")
FREE_RATE_LIMIT = 30.0
PAID_RATE_LIMIT = 1000.0
# Days a finished mailing keeps its per-recipient ledger rows (its counts stay for good).
DEFAULT_RETENTION_DAYS = 90
MAX_RETENTION_DAYS = 36_500
# A mailing pauses itself when more than half of its last 200 sends failed.
DEFAULT_AUTO_PAUSE_WINDOW = 200
DEFAULT_AUTO_PAUSE_SHARE = 0.5
MAX_AUTO_PAUSE_WINDOW = 100_000
# PUBLIC_URL and a click link's path stay far below Telegram's 2,048 characters for a button's link.
PUBLIC_URL_LIMIT = 512
# Webhook mode: Telegram posts updates to web at this path of WEBHOOK_URL, signed with a secret
# (Telegram's rule for secret_token: 1-256 characters of A-Z a-z 0-9 _ -) and over at most
# WEBHOOK_MAX_CONNECTIONS connections at once (Telegram allows 1-100, 40 by default).
WEBHOOK_PATH = "/telegram/webhook"
WEBHOOK_SECRET_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,256}")
DEFAULT_WEBHOOK_CONNECTIONS = 40
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def language_for(language_code: str | None, fallback: str) -> str:
    """The language to address a user in: theirs (`en-GB` → en) when we speak it, else the fallback."""
    code = (language_code or "").split("-")[0].lower()
    return code if code in LANGUAGES else fallback


class ConfigError(Exception):
    """A setting is missing or malformed; the message names it in one line."""


@dataclass(frozen=True)
class Settings:
    """Typed view of the environment, shared by every process."""

    database_url: str | None
    redis_url: str | None
    jwt_secret_key: str | None
    bot_token: str | None
    telegram_api_url: str
    api_url: str
    admin_key: str | None
    timezone: ZoneInfo
    bot_language: str
    broadcast_rate: float
    paid_broadcast: bool
    dashboard_user: str | None
    dashboard_password: str | None
    log_format: str
    reconcile_interval: int = 30
    delivery_retention_days: int = DEFAULT_RETENTION_DAYS
    # A sending mailing pauses itself when more than this share of its last `auto_pause_window`
    # sends failed (webapi/services/auto_pause.py); a window of 0 turns that off.
    auto_pause_window: int = DEFAULT_AUTO_PAUSE_WINDOW
    auto_pause_failure_share: float = DEFAULT_AUTO_PAUSE_SHARE
    # A mailing whose audience is larger needs a second staff member's approval; None: never.
    approval_threshold: int | None = None
    # Where `web` is reached from the internet; when set, URL buttons go through its click redirect.
    public_url: str | None = None
    # Webhook mode when set: the full address Telegram posts updates to (ends with WEBHOOK_PATH).
    webhook_url: str | None = None
    webhook_secret: str | None = None
    webhook_max_connections: int = DEFAULT_WEBHOOK_CONNECTIONS
    # Error tracking when set: Sentry's DSN and the environment its events are filed under.
    sentry_dsn: str | None = None
    sentry_environment: str | None = None

    def require(self, *names: str) -> Settings:
        """Raise ConfigError naming the first of `names` (env variable names) that is unset."""
        for name in names:
            if not getattr(self, name.lower()):
                raise ConfigError(f"missing required setting {name}: set it in the environment or .env")
        return self


def _environment(environ: Mapping[str, str] | None) -> dict[str, str]:
    if environ is not None:
        return dict(environ)
    merged: dict[str, str] = {}
    for path in (local_env_file(), ROOT / ".env"):
        if path.is_file():
            merged.update({k: v for k, v in dotenv_values(path).items() if v is not None})
    merged.update(os.environ)
    return merged


def _flag(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"", "0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be true or false, got {value!r}")


def _sqlalchemy_url(url: str | None) -> str | None:
    """Pin the psycopg2 driver: SQLAlchemy 2.1 would pick psycopg 3 for a bare postgresql:// URL."""
    if url is None:
        return None
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix) :]
    return url


def _public_url(value: str | None) -> str | None:
    """PUBLIC_URL without its trailing slash: an http(s) address with a host, no query nor fragment."""
    if value is None:
        return None
    url = value.rstrip("/")
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # e.g. an unclosed IPv6 bracket
        parts, host = urlsplit(""), None
    if (
        parts.scheme not in ("http", "https")
        or not host
        or parts.query
        or parts.fragment
        or any(char.isspace() for char in url)
        or len(url) > PUBLIC_URL_LIMIT
    ):
        raise ConfigError(
            "PUBLIC_URL must be the http(s) address the web process is reached at, with no query or "
            f"fragment, at most {PUBLIC_URL_LIMIT} characters, got {value!r}"
        )
    return url


def _auto_pause(window: str, share: str) -> tuple[int, float]:
    """AUTO_PAUSE_WINDOW (whole sends, 0: off) and AUTO_PAUSE_FAILURE_SHARE (above 0, at most 1)."""
    if not re.fullmatch(r"[0-9]{1,6}", window) or int(window) > MAX_AUTO_PAUSE_WINDOW:
        raise ConfigError(
            f"AUTO_PAUSE_WINDOW must be whole sends from 0 (off) to {MAX_AUTO_PAUSE_WINDOW}, got {window!r}"
        )
    try:
        fraction = float(share)
    except ValueError:
        fraction = -1.0
    if not 0 < fraction <= 1:
        raise ConfigError(f"AUTO_PAUSE_FAILURE_SHARE must be a number above 0 and at most 1, got {share!r}")
    return int(window), fraction


def _webhook_url(value: str | None) -> str | None:
    """WEBHOOK_URL as Telegram is to call it: https (http only to this machine, for the sandbox), the path
    WEBHOOK_PATH appended unless already there."""
    if value is None:
        return None
    url = value.rstrip("/")
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        parts, host = urlsplit(""), None
    secure = parts.scheme == "https" or (parts.scheme == "http" and host in LOOPBACK_HOSTS)
    if not secure or not host or parts.query or parts.fragment or any(c.isspace() for c in url):
        raise ConfigError(
            "WEBHOOK_URL must be the https address web is reached at from the internet, with no query or "
            f"fragment (http only for 127.0.0.1/localhost), got {value!r}"
        )
    return url if url.endswith(WEBHOOK_PATH) else url + WEBHOOK_PATH


def _webhook_secret(value: str | None, webhook_url: str | None, jwt_secret_key: str | None) -> str | None:
    """WEBHOOK_SECRET as given, else (in webhook mode) one derived from JWT_SECRET_KEY, which every
    process shares: the release that sets the webhook and web that checks it agree without a new secret."""
    if value is not None:
        if not WEBHOOK_SECRET_PATTERN.fullmatch(value):
            raise ConfigError("WEBHOOK_SECRET must be 1-256 characters of A-Z a-z 0-9 _ - (Telegram's rule)")
        return value
    if webhook_url is None or jwt_secret_key is None:
        return None
    return hmac.new(jwt_secret_key.encode(), b"telegram-webhook", hashlib.sha256).hexdigest()


def load_settings(environ: Mapping[str, str] | None = None, require: Iterable[str] = ()) -> Settings:
    """Read settings from `environ` (default: .env files overlaid by the process environment)."""
    env = _environment(environ)

    def get(name: str, default: str | None = None) -> str | None:
        value = env.get(name, "").strip()
        return value or default

    admin_key = get("ADMIN_KEY")
    if admin_key is not None and not ADMIN_KEY_PATTERN.fullmatch(admin_key):
        raise ConfigError("ADMIN_KEY must be 1-64 characters of A-Z a-z 0-9 _ - (it goes into a deep link)")
    bot_token = get("BOT_TOKEN")
    if bot_token is not None and not BOT_TOKEN_PATTERN.fullmatch(bot_token):
        raise ConfigError("BOT_TOKEN must look like <digits>:<secret>, as BotFather gives it")
    try:
        timezone = ZoneInfo(get("TIMEZONE", "Europe/Moscow"))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"TIMEZONE is not a known IANA zone: {get('TIMEZONE')!r}") from exc
    language = get("BOT_LANGUAGE", "ru")
    if language not in LANGUAGES:
        raise ConfigError(f"BOT_LANGUAGE must be ru or en, got {language!r}")
    paid = _flag("PAID_BROADCAST", get("PAID_BROADCAST", "false"))
    try:
        rate = float(get("BROADCAST_RATE", "25"))
    except ValueError as exc:
        raise ConfigError(f"BROADCAST_RATE must be a number, got {get('BROADCAST_RATE')!r}") from exc
    ceiling = PAID_RATE_LIMIT if paid else FREE_RATE_LIMIT
    if not 0 < rate <= ceiling:
        raise ConfigError(
            f"BROADCAST_RATE must be above 0 and at most {ceiling:g} with PAID_BROADCAST={paid}"
        )
    log_format = get("LOG_FORMAT", "text")
    if log_format not in {"text", "json"}:
        raise ConfigError(f"LOG_FORMAT must be text or json, got {log_format!r}")
    interval = get("RECONCILE_INTERVAL", "30")
    if not interval.isdigit() or not 1 <= int(interval) <= 3600:
        raise ConfigError(f"RECONCILE_INTERVAL must be whole seconds from 1 to 3600, got {interval!r}")
    retention = get("DELIVERY_RETENTION_DAYS", "0")
    if not re.fullmatch(r"[0-9]{1,6}", retention) or int(retention) > MAX_RETENTION_DAYS:
        raise ConfigError(
            f"DELIVERY_RETENTION_DAYS must be whole days from 1 to {MAX_RETENTION_DAYS} "
            f"(0 or unset: {DEFAULT_RETENTION_DAYS}), got {retention!r}"
        )
    threshold = get("APPROVAL_THRESHOLD")
    if threshold is not None and not re.fullmatch(r"[0-9]{1,12}", threshold):
        raise ConfigError(
            f"APPROVAL_THRESHOLD must be a whole number of recipients (unset: no approval), got {threshold!r}"
        )

    auto_pause_window, auto_pause_share = _auto_pause(
        get("AUTO_PAUSE_WINDOW", str(DEFAULT_AUTO_PAUSE_WINDOW)),
        get("AUTO_PAUSE_FAILURE_SHARE", str(DEFAULT_AUTO_PAUSE_SHARE)),
    )

    webhook_url = _webhook_url(get("WEBHOOK_URL"))
    connections = get("WEBHOOK_MAX_CONNECTIONS", str(DEFAULT_WEBHOOK_CONNECTIONS))
    if not re.fullmatch(r"[0-9]{1,3}", connections) or not 1 <= int(connections) <= 100:
        raise ConfigError(
            f"WEBHOOK_MAX_CONNECTIONS must be a whole number from 1 to 100, got {connections!r}"
        )
    connections = int(connections)

    settings = Settings(
        database_url=_sqlalchemy_url(get("DATABASE_URL")),
        redis_url=get("REDIS_URL"),
        jwt_secret_key=get("JWT_SECRET_KEY"),
        bot_token=bot_token,
        telegram_api_url=get("TELEGRAM_API_URL", "https://api.telegram.org").rstrip("/"),
        api_url=get("API_URL", "http://127.0.0.1:8000").rstrip("/"),
        admin_key=admin_key,
        timezone=timezone,
        bot_language=language,
        broadcast_rate=rate,
        paid_broadcast=paid,
        dashboard_user=get("DASHBOARD_USER"),
        dashboard_password=get("DASHBOARD_PASSWORD"),
        log_format=log_format,
        reconcile_interval=int(interval),
        delivery_retention_days=int(retention) or DEFAULT_RETENTION_DAYS,
        auto_pause_window=auto_pause_window,
        auto_pause_failure_share=auto_pause_share,
        approval_threshold=None if threshold is None else int(threshold),
        public_url=_public_url(get("PUBLIC_URL")),
        webhook_url=webhook_url,
        webhook_secret=_webhook_secret(get("WEBHOOK_SECRET"), webhook_url, get("JWT_SECRET_KEY")),
        webhook_max_connections=connections,
        sentry_dsn=get("SENTRY_DSN"),
        sentry_environment=get("SENTRY_ENVIRONMENT"),
    )
    return settings.require(*require)


def exit_on_config_error(factory):
    """Call `factory()`; on a ConfigError print its one line and exit with status 2."""
    try:
        return factory()
    except ConfigError as exc:
        import sys

        print(f"Configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
