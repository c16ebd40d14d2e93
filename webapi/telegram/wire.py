"""The engine's Bot API calls: keep-alive HTTP/1.1 connections driven by one asyncio loop.

A thread per request in flight made every message cost a dozen GIL hand-offs (about 0.5 ms of
CPU a message at 1,000/s, measured with 20 threads); here one loop thread writes each request at
its moment and reads the answers as they arrive, over as many connections as there are requests
in flight (up to `connections`). Only JSON calls go this way (a mailing names its file by
file_id); uploads and everything outside the engine use `TelegramClient`.

Outcomes follow `TelegramClient.call`'s rules: a connection that could not be opened (refused,
DNS, connect timeout, a proxy that said no) is `transient`, because nothing left; once the request
is written, a connection lost or no complete answer within READ_TIMEOUT is `ambiguous`. A request
that cannot be written by its `latest` moment (every connection busy, a slow connect) is not sent
at all and its callback gets None. Errors name exception classes only: the token is in the path.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import json
import logging
import math
import ssl
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

import certifi

from webapi.telegram.client import CONNECT_TIMEOUT, READ_TIMEOUT
from webapi.telegram.outcomes import AMBIGUOUS, TRANSIENT, Outcome, classify

log = logging.getLogger(__name__)

# Connections kept open beyond those busy, so a new request rarely waits for a connect.
SPARE = 2
# Besides, from the start, as many as the typical answer time keeps busy at the full rate: a
# mailing's first requests must not wait for connects (a TLS connect to Telegram takes longer than
# a slot may be late). One lost is replaced after REOPEN_AFTER, at once if requests wait.
REOPEN_AFTER = 1.0
# Requests in flight: enough for the usual answer time at the full rate (LATENCY_ROOM times the
# typical answer time's worth), at least FEWEST. While Telegram is slow to answer (a stall at its
# end), no more than this many requests wait there, so its own delay cannot bunch more than that
# many into one of its seconds; the rest miss their slots and are sent later.
FEWEST = 8
LATENCY_ROOM = 3.0
# The typical answer time: a moving average, each answer's weight WEIGHT, one slow answer counted
# as at most twice the average (so a stall does not widen the limit while it lasts).
FIRST_LATENCY = 0.05
WEIGHT = 0.02
# How often requests are checked for an answer overdue (READ_TIMEOUT after they were written).
SWEEP_EVERY = 0.5
MAX_HEAD = 64 * 1024

Done = Callable[[Outcome | None], None]


@dataclass(slots=True)
class Request:
    """One call: its bytes, the moment after which it must not be written, and whom to tell."""

    data: bytes
    latest: float
    done: Done
    written_at: float = 0.0


class Wire:
    """One loop thread and its connections to `{base}/bot{token}/`."""

    def __init__(self, base_url: str, token: str, connections: int = 64, rate: float = 30.0):
        url = urllib.parse.urlsplit(base_url.rstrip("/"))
        self._https = url.scheme == "https"
        self._host = url.hostname or ""
        self._port = url.port or (443 if self._https else 80)
        self._path = f"{url.path}/bot{token}/"
        authority = url.netloc.rsplit("@", 1)[-1]
        self._head = f"Host: {authority}\r\nContent-Type: application/json\r\nContent-Length: "
        self._ssl = ssl.create_default_context(cafile=certifi.where()) if self._https else None
        self._proxy = _proxy_for(base_url, self._host)
        self._most = max(1, connections)
        self._rate = rate
        self.latency = FIRST_LATENCY
        self._limit = self._in_flight_limit()
        self._idle: list[_Connection] = []
        self._busy: set[_Connection] = set()
        self._opening = 0
        self._openings: set[asyncio.Task] = set()
        self._stopping = False
        self._queue: collections.deque[Request] = collections.deque()
        self._ready = threading.Event()
        self.loop = asyncio.new_event_loop()
        self._thread: threading.Thread | None = None

    # --- from any thread ---

    def start(self, name: str = "wire") -> Wire:
        """Run the loop in its own thread and open the connections the full rate will need."""
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()
        self._ready.wait()
        self.loop.call_soon_threadsafe(self._keep_spares)
        return self

    def at(self, moments: list[tuple[float, Callable[[], None]]]) -> None:
        """Run each function in the loop thread at its monotonic moment (never before it)."""
        self.loop.call_soon_threadsafe(self._schedule, moments)

    def stop(self, timeout: float = 5.0) -> None:
        """Close every connection and end the loop thread (requests in flight are told `ambiguous`)."""
        if self._thread is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(self._close_all(), self.loop).result(timeout)
        except TimeoutError:
            log.warning("the wire's connections did not close within %.0f s", timeout)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout)
        if not self._thread.is_alive():
            self.loop.close()

    def behind(self) -> bool:
        """True when more requests wait for a connection than may be in flight (Telegram is slow)."""
        return len(self._queue) > self._limit

    # --- in the loop thread ---

    def post(self, method: str, params: dict, latest: float, done: Done) -> None:
        """Write `method(params)` at once (by `latest` at the latest, else `done(None)`); `done(outcome)`."""
        body = json.dumps(params, separators=(",", ":"), ensure_ascii=False).encode()
        head = f"POST {self._path}{method} HTTP/1.1\r\n{self._head}{len(body)}\r\n\r\n"
        request = Request(head.encode() + body, latest, done)
        if self._idle and len(self._busy) < self._limit:
            self._write(self._idle.pop(), request)
        else:
            self._queue.append(request)
        self._keep_spares()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(self._ready.set)
        self.loop.call_later(SWEEP_EVERY, self._sweep)
        self.loop.run_forever()

    def _schedule(self, moments: list[tuple[float, Callable[[], None]]]) -> None:
        for moment, function in moments:
            self.loop.call_at(moment, function)

    def _write(self, connection: _Connection, request: Request) -> None:
        if connection.closed or connection.transport.is_closing():  # Telegram just closed it
            self.lost(connection)
            self._queue.appendleft(request)
            self._keep_spares()
            return
        now = time.monotonic()
        if now > request.latest:
            self._idle.append(connection)
            request.done(None)
            return
        request.written_at = now
        self._busy.add(connection)
        connection.send(request)

    def _keep_spares(self) -> None:
        """Open connections while requests wait, or fewer than SPARE are idle, or fewer are open
        than the full rate needs (never more than the in-flight limit and SPARE)."""
        open_now = len(self._idle) + len(self._busy) + self._opening
        needed = math.ceil(self._rate * self.latency) + SPARE
        wanted = max(len(self._queue) + SPARE - len(self._idle) - self._opening, needed - open_now)
        room = min(self._most, self._limit + SPARE) - open_now
        for _ in range(0 if self._stopping else min(wanted, room)):
            self._opening += 1
            task = self.loop.create_task(self._open())
            self._openings.add(task)
            task.add_done_callback(self._openings.discard)

    async def _open(self) -> None:
        try:
            connection = await asyncio.wait_for(self._connect(), CONNECT_TIMEOUT)
        except (OSError, TimeoutError, ssl.SSLError, TunnelRefused) as error:
            self._opening -= 1
            # Nothing was written: every request waiting for a connection is told so.
            description = f"cannot connect to Telegram ({type(error).__name__})"
            waiting, self._queue = self._queue, collections.deque()
            for request in waiting:
                request.done(Outcome(TRANSIENT, description=description))
            return
        self._opening -= 1
        self.free(connection)

    async def _connect(self) -> _Connection:
        if self._proxy is None:
            _, connection = await self.loop.create_connection(
                lambda: _Connection(self),
                self._host,
                self._port,
                ssl=self._ssl,
                server_hostname=self._host if self._ssl else None,
            )
            return connection
        host, port, authorization = self._proxy
        transport, connection = await self.loop.create_connection(lambda: _Connection(self), host, port)
        await connection.tunnel(f"{self._host}:{self._port}", authorization)
        if self._ssl is not None:
            connection.transport = await self.loop.start_tls(
                transport, connection, self._ssl, server_hostname=self._host
            )
        return connection

    def answered(self, seconds: float) -> None:
        """Fold one answer's time into the typical one, and the in-flight limit with it."""
        self.latency += (min(seconds, 2 * self.latency) - self.latency) * WEIGHT
        self._limit = self._in_flight_limit()

    def _in_flight_limit(self) -> int:
        return max(FEWEST, min(self._most, math.ceil(self._rate * self.latency * LATENCY_ROOM)))

    def free(self, connection: _Connection) -> None:
        """A connection finished its request (or just opened): the next waiting request takes it."""
        self._busy.discard(connection)
        if connection.closed:
            self._keep_spares()
            return
        while self._queue and len(self._busy) < self._limit:
            request = self._queue.popleft()
            if time.monotonic() <= request.latest:
                self._write(connection, request)
                return
            request.done(None)
        self._idle.append(connection)

    def lost(self, connection: _Connection) -> None:
        """A connection closed (by either side): forget it, and open another if requests wait."""
        self._busy.discard(connection)
        if connection in self._idle:
            self._idle.remove(connection)
        if self._queue:
            self._keep_spares()
        else:  # closed while idle (a keep-alive timeout at Telegram's end): replaced, unhurried
            self.loop.call_later(REOPEN_AFTER, self._keep_spares)

    def _sweep(self) -> None:
        now = time.monotonic()
        while self._queue and self._queue[0].latest < now:  # waited for a connection too long
            self._queue.popleft().done(None)
        overdue = now - READ_TIMEOUT
        for connection in list(self._busy):
            request = connection.request
            if request is not None and request.written_at < overdue:
                connection.fail(f"no answer in time ({TimeoutError.__name__})")
        self.loop.call_later(SWEEP_EVERY, self._sweep)

    async def _close_all(self) -> None:
        self._stopping = True
        for task in self._openings:
            task.cancel()
        await asyncio.gather(*self._openings, return_exceptions=True)
        for connection in [*self._idle, *self._busy]:
            connection.fail("the sender stopped before an answer came")


class TunnelRefused(Exception):
    """The proxy did not open a tunnel to the Bot API host."""


class _Connection(asyncio.Protocol):
    """One keep-alive connection with at most one request in flight."""

    def __init__(self, wire: Wire):
        self.wire = wire
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.request: Request | None = None
        self.closed = False
        self._tunnel: asyncio.Future | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def send(self, request: Request) -> None:
        self.request = request
        self.transport.write(request.data)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if self._tunnel is not None:
            self._tunnel_answer()
            return
        if self.request is None:  # nothing was asked: the stream is out of step
            self.transport.abort()
            return
        try:
            answer = parse_response(self.buffer)
        except ValueError as error:
            self.fail(f"unreadable answer ({type(error).__name__})")
            return
        if answer is None:
            return
        status, body, keep_alive, used = answer
        del self.buffer[:used]
        request, self.request = self.request, None
        self.wire.answered(time.monotonic() - request.written_at)
        try:
            payload = json.loads(body)
        except ValueError:
            payload = None
        if not keep_alive or self.buffer:
            self.closed = True
            self.transport.close()
        request.done(classify(status, payload))
        self.wire.free(self)

    def eof_received(self) -> bool | None:
        self.closed = True
        return None  # close our side too

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.wire.lost(self)
        if self._tunnel is not None and not self._tunnel.done():
            self._tunnel.set_exception(TunnelRefused("the proxy closed the connection"))
        if self.request is not None:
            self._answer_lost("connection lost before an answer", exc or ConnectionResetError())

    def fail(self, description: str) -> None:
        """End the request in flight as ambiguous and drop the connection."""
        self.closed = True
        if self.request is not None:
            request, self.request = self.request, None
            request.done(Outcome(AMBIGUOUS, description=description))
        if self.transport is not None:
            self.transport.abort()

    def _answer_lost(self, what: str, error: BaseException) -> None:
        request, self.request = self.request, None
        request.done(Outcome(AMBIGUOUS, description=f"{what} ({type(error).__name__})"))

    async def tunnel(self, authority: str, authorization: str | None) -> None:
        """Ask the proxy for a tunnel to `authority` and wait for its 2xx."""
        self._tunnel = asyncio.get_running_loop().create_future()
        lines = [f"CONNECT {authority} HTTP/1.1", f"Host: {authority}"]
        if authorization:
            lines.append(f"Proxy-Authorization: Basic {authorization}")
        self.transport.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        try:
            await self._tunnel
        finally:
            self._tunnel = None

    def _tunnel_answer(self) -> None:
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        status_line = bytes(self.buffer[: self.buffer.find(b"\r\n")])
        del self.buffer[: end + 4]
        parts = status_line.split(b" ", 2)
        if len(parts) >= 2 and parts[1][:1] == b"2":
            self._tunnel.set_result(None)
        else:
            self._tunnel.set_exception(TunnelRefused("the proxy refused the tunnel"))


def parse_response(buffer: bytearray) -> tuple[int, bytes, bool, int] | None:
    """One HTTP/1.1 response from the start of `buffer`: (status, body, keep-alive, bytes used), or
    None while it is incomplete. Interim 1xx responses are skipped; ValueError when it is not HTTP."""
    start = 0
    while True:
        end = buffer.find(b"\r\n\r\n", start)
        if end < 0:
            if len(buffer) - start > MAX_HEAD:
                raise ValueError("response head too long")
            return None
        head = bytes(buffer[start:end]).lower()
        if not head.startswith(b"http/1.") or head[8:9] != b" ":
            raise ValueError("not an HTTP/1.x response")
        status = int(head[9:12])
        body_start = end + 4
        if 100 <= status < 200:
            start = body_start
            continue
        keep_alive = head.startswith(b"http/1.1") and _header(head, b"connection") != b"close"
        if b"chunked" in _header(head, b"transfer-encoding"):
            chunked = _dechunk(buffer, body_start)
            if chunked is None:
                return None
            body, used = chunked
            return status, body, keep_alive, used
        length = _header(head, b"content-length")
        if not length:
            raise ValueError("an answer without a length")
        length = int(length)
        if len(buffer) < body_start + length:
            return None
        return status, bytes(buffer[body_start : body_start + length]), keep_alive, body_start + length


def _header(head: bytes, name: bytes) -> bytes:
    """A header's value in a lower-cased response head (b"" when absent)."""
    at = head.find(b"\r\n" + name + b":")
    if at < 0:
        return b""
    at += len(name) + 3
    end = head.find(b"\r\n", at)
    return head[at : end if end >= 0 else len(head)].strip()


def _dechunk(buffer: bytearray, position: int) -> tuple[bytes, int] | None:
    body = bytearray()
    while True:
        line_end = buffer.find(b"\r\n", position)
        if line_end < 0:
            return None
        size = int(bytes(buffer[position:line_end]).split(b";", 1)[0], 16)
        position = line_end + 2
        if size == 0:
            trailer_end = buffer.find(b"\r\n\r\n", position - 2)
            return (bytes(body), trailer_end + 4) if trailer_end >= 0 else None
        if len(buffer) < position + size + 2:
            return None
        body += buffer[position : position + size]
        position += size + 2


def _proxy_for(base_url: str, host: str) -> tuple[str, int, str | None] | None:
    """The environment's proxy for the Bot API URL, as (host, port, basic credentials), or None."""
    proxy = urllib.request.getproxies().get(base_url.split(":", 1)[0])
    if not proxy or urllib.request.proxy_bypass(host):
        return None
    url = urllib.parse.urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    authorization = None
    if url.username:
        credentials = f"{urllib.parse.unquote(url.username)}:{urllib.parse.unquote(url.password or '')}"
        authorization = base64.b64encode(credentials.encode()).decode()
    return url.hostname or "", url.port or 80, authorization
