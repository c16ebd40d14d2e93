"""Telegram calls over a keep-alive HTTP session, each ending in an outcome (`outcomes.py`).

Our own small client instead of pyTelegramBotAPI: no hidden retries (a retry after a timeout
would send twice), one keep-alive session per thread, and errors that never carry the URL,
because the bot token is part of every Bot API URL.
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.request

import certifi
import requests
import urllib3
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError, ReadTimeoutError

from webapi.telegram.outcomes import AMBIGUOUS, TRANSIENT, Outcome, classify

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 10.0
# Longest the whole call may take; leases are sized above it.
CALL_SECONDS = CONNECT_TIMEOUT + READ_TIMEOUT


def _never_sent(error: requests.ConnectionError) -> bool:
    """True when the connection failed before any byte of the request left (refused, DNS, connect timeout)."""
    if isinstance(error, requests.ConnectTimeout):
        return True
    reason = error.args[0] if error.args else None
    inner = getattr(reason, "reason", reason)
    return isinstance(inner, NewConnectionError | ConnectTimeoutError)


_JSON_HEADERS = {"Content-Type": "application/json"}


def _connection_pool(base_url: str, size: int) -> urllib3.connectionpool.HTTPConnectionPool:
    """A keep-alive pool to the Bot API host (through the environment's proxy, if one is set for it)."""
    options: dict = {"maxsize": size, "block": False, "retries": False}
    if base_url.startswith("https:"):
        options["ca_certs"] = certifi.where()
    proxy = urllib.request.getproxies().get(base_url.split(":", 1)[0])
    host = urllib3.util.parse_url(base_url).host or ""
    if proxy and not urllib.request.proxy_bypass(host):
        return urllib3.ProxyManager(proxy, num_pools=1, **options).connection_from_url(base_url)
    return urllib3.connection_from_url(base_url, **options)


class TelegramClient:
    """Calls `{base}/bot{token}/{method}` with JSON bodies (or multipart for files).

    JSON calls go straight through one thread-safe urllib3 keep-alive pool: no retries, no
    per-call environment lookups, the body serialised once, compactly.
    """

    def __init__(self, token: str, base_url: str, pool_size: int = 32):
        self._token = token
        self._base = base_url.rstrip("/")
        self._pool_size = pool_size
        self._local = threading.local()
        self._path = f"{urllib3.util.parse_url(self._base).path or ''}/bot{token}/"
        self._pool = _connection_pool(self._base, pool_size)
        self._timeout = urllib3.Timeout(connect=CONNECT_TIMEOUT, read=READ_TIMEOUT)

    @property
    def token(self) -> str:
        """The bot token (for keying the rate limiter; never log it)."""
        return self._token

    @property
    def base_url(self) -> str:
        """The Bot API's base URL (without the token)."""
        return self._base

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            adapter = requests.adapters.HTTPAdapter(
                pool_connections=1, pool_maxsize=self._pool_size, max_retries=0
            )
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            self._local.session = session
        return session

    def call(self, method: str, params: dict, files: dict | None = None) -> Outcome:
        """Make one Bot API call and classify its result; exceptions become outcomes, redacted."""
        if files:
            return self._upload(method, params, files)
        body = json.dumps(params, separators=(",", ":"), ensure_ascii=False).encode()
        try:
            response = self._pool.urlopen(
                "POST",
                self._path + method,
                body=body,
                headers=_JSON_HEADERS,
                retries=False,
                timeout=self._timeout,
                redirect=False,
            )
        # Reported by class name only: urllib3's messages may name the host and path, and so the token.
        except (NewConnectionError, ConnectTimeoutError) as error:
            return Outcome(TRANSIENT, description=f"cannot connect to Telegram ({type(error).__name__})")
        except ReadTimeoutError as error:
            return Outcome(AMBIGUOUS, description=f"no answer in time ({type(error).__name__})")
        except (urllib3.exceptions.HTTPError, OSError) as error:
            return Outcome(
                AMBIGUOUS, description=f"connection lost before an answer ({type(error).__name__})"
            )
        try:
            payload = json.loads(response.data)
        except ValueError:
            payload = None
        return classify(response.status, payload)

    def _upload(self, method: str, params: dict, files: dict) -> Outcome:
        url = f"{self._base}/bot{self._token}/{method}"
        data = {k: json.dumps(v) if isinstance(v, dict | list | bool) else v for k, v in params.items()}
        try:
            response = self._session().post(
                url, data=data, files=files, timeout=(CONNECT_TIMEOUT, READ_TIMEOUT)
            )
        except requests.ConnectionError as error:
            # Reported by class name only: requests' messages contain the URL, and so the token.
            if _never_sent(error):
                return Outcome(TRANSIENT, description=f"cannot connect to Telegram ({type(error).__name__})")
            return Outcome(
                AMBIGUOUS, description=f"connection lost before an answer ({type(error).__name__})"
            )
        except requests.Timeout as error:
            return Outcome(AMBIGUOUS, description=f"no answer in time ({type(error).__name__})")
        except requests.RequestException as error:
            return Outcome(AMBIGUOUS, description=f"request failed ({type(error).__name__})")
        try:
            payload = response.json()
        except ValueError:
            payload = None
        return classify(response.status_code, payload)
