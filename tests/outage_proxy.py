"""A TCP proxy in front of Postgres or Redis that a test can cut, so a real server becomes unreachable.

Nothing is killed: the server keeps running and keeps its data. `cut()` resets every proxied
connection (RST on the client's side, a hang-up on the server's) and stops listening, so new
connections are refused as they are when a server is down; `restore()` listens again on the same
port. One selector thread moves the bytes; the control methods hand their work to it and return
once it is done, so right after `cut()` the outage is already complete.
"""

from __future__ import annotations

import contextlib
import queue
import selectors
import socket
import struct
import threading
from collections.abc import Callable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy.engine import make_url

LOOPBACK = "127.0.0.1"
BACKLOG = 128
CHUNK = 64 * 1024
# A side stops being read while its peer has this much unsent, so a slow reader slows the sender.
BUFFER_LIMIT = 1024 * 1024
CONNECT_TIMEOUT = 5.0
# libpq query options that say where the server is; the proxy's address replaces them.
ADDRESS_OPTIONS = ("host", "hostaddr", "port")

Target = tuple[str, int] | str


def target_of(url: str) -> Target:
    """Where a Postgres or Redis URL points: a (host, port) pair or a unix socket path."""
    scheme = urlsplit(url).scheme
    if scheme.startswith("postgres"):
        parsed = make_url(url)
        host = parsed.query.get("host") or parsed.host
        port = int(parsed.query.get("port") or parsed.port or 5432)
        if not host:
            raise ValueError(f"{parsed!r} names no host or socket directory")
        if host.startswith("/"):
            return f"{host.rstrip('/')}/.s.PGSQL.{port}"
        return host, port
    if scheme in ("redis", "rediss"):
        parts = urlsplit(url)
        return parts.hostname or "localhost", parts.port or 6379
    if scheme == "unix":
        return urlsplit(url).path
    raise ValueError(f"not a Postgres or Redis URL: {url.split('://')[0]}://…")


class _End:
    """One side of a proxied connection: its socket and the bytes waiting to be written to it."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.peer: _End
        self.outbox = bytearray()
        self.read_eof = False
        self.write_shut = False


class OutageProxy:
    """Forwards 127.0.0.1:`port` to a target until a test cuts it; see the module docstring.

    `target` is a (host, port) pair, a host with `target_port`, or a unix socket path.
    """

    def __init__(self, target: Target, target_port: int | None = None) -> None:
        if target_port is not None:
            target = (str(target), target_port)
        if isinstance(target, str) and target_port is None:
            self.target: Target = target
        else:
            host, port = target
            self.target = (host, int(port))
        self._selector = selectors.DefaultSelector()
        self._waker, self._wake_end = socket.socketpair()
        self._waker.setblocking(False)
        self._wake_end.setblocking(False)
        self._selector.register(self._wake_end, selectors.EVENT_READ)
        self._commands: queue.SimpleQueue = queue.SimpleQueue()
        self._ends: dict[socket.socket, _End] = {}
        self._listener: socket.socket | None = self._bind_free_port()
        self.port: int = self._listener.getsockname()[1]
        self._listening = False
        self._start_listening()
        self._control = threading.Lock()
        self._timer: threading.Timer | None = None
        self._timers: list[threading.Timer] = []
        self._restored: threading.Event | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._serve, name=f"outage-proxy-{self.port}", daemon=True)
        self._thread.start()

    @classmethod
    def for_url(cls, url: str) -> OutageProxy:
        """A proxy in front of the server that a Postgres or Redis URL points at."""
        return cls(target_of(url))

    def url_for(self, url: str) -> str:
        """The same Postgres or Redis URL (user, password, database, options) going through this proxy."""
        parts = urlsplit(url)
        if parts.scheme.startswith("postgres"):
            parsed = make_url(url)
            query = {key: value for key, value in parsed.query.items() if key not in ADDRESS_OPTIONS}
            through = parsed.set(host=LOOPBACK, port=self.port, query=query)
            return through.render_as_string(hide_password=False)
        if parts.scheme in ("redis", "rediss", "unix"):
            query = parse_qsl(parts.query, keep_blank_values=True)
            path = parts.path
            if parts.scheme == "unix":
                path = "/" + next((value for key, value in query if key == "db"), "0")
                query = [(key, value) for key, value in query if key != "db"]
            userinfo = parts.netloc.rpartition("@")[0]
            netloc = f"{userinfo}@" if userinfo else ""
            scheme = "redis" if parts.scheme == "unix" else parts.scheme
            return urlunsplit((scheme, f"{netloc}{LOOPBACK}:{self.port}", path, urlencode(query), ""))
        raise ValueError(f"not a Postgres or Redis URL: {parts.scheme}://…")

    @property
    def is_cut(self) -> bool:
        """True between `cut()` and `restore()`."""
        return not self._listening

    @property
    def open_connections(self) -> int:
        """How many client connections are being forwarded right now."""
        return len(self._ends) // 2

    def cut(self) -> None:
        """Reset every open connection and refuse new ones until `restore()`."""
        with self._control:
            self._cancel_timer()
            self._run(self._cut_now)

    def restore(self) -> None:
        """Accept connections again, on the same port."""
        with self._control:
            self._cancel_timer()
            self._run(self._start_listening)
            if self._restored is not None:
                self._restored.set()

    def outage(self, seconds: float) -> threading.Event:
        """Cut now and restore after `seconds` in a timer thread; the event is set once restored.

        A second outage before the first ends replaces its end: the event is the same one.
        """
        with self._control:
            self._cancel_timer()
            if self._restored is None or self._restored.is_set():
                self._restored = threading.Event()
            self._run(self._cut_now)
            timer = threading.Timer(seconds, self._end_outage)
            timer.name = f"outage-proxy-{self.port}-restore"
            timer.daemon = True
            self._timer = timer
            self._timers = [*(old for old in self._timers if old.is_alive()), timer]
            timer.start()
            return self._restored

    def close(self) -> None:
        """Stop forwarding, close every socket and join the threads."""
        with self._control:
            if self._closed:
                return
            self._closed = True
            self._cancel_timer()
            timers, self._timers = self._timers, []
            self._run(self._stop)
        # Joined outside the lock: a timer that already fired may be waiting for it.
        for timer in timers:
            timer.join()
        self._thread.join()

    def __enter__(self) -> OutageProxy:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "cut" if self.is_cut else "up"
        return f"<OutageProxy {LOOPBACK}:{self.port} -> {self.target!r} {state}>"

    # Control, from the callers' threads.

    def _cancel_timer(self) -> None:
        # A cancelled timer's thread ends by itself; close() joins them all.
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _end_outage(self) -> None:
        with self._control:
            if self._closed or self._timer is not threading.current_thread():
                return
            self._timer = None
            self._run(self._start_listening)
            if self._restored is not None:
                self._restored.set()

    def _run(self, work: Callable[[], None]) -> None:
        """Run `work` on the selector thread and wait for it, re-raising what it raised."""
        if self._closed and work != self._stop:
            raise RuntimeError("the outage proxy is closed")
        done = threading.Event()
        outcome: list[BaseException] = []
        self._commands.put((work, done, outcome))
        with contextlib.suppress(BlockingIOError):
            self._waker.send(b"\0")
        while not done.wait(1):
            if not self._thread.is_alive():
                raise RuntimeError("the outage proxy's selector thread is gone")
        if outcome:
            raise outcome[0]

    # Everything below runs on the selector thread (or before it starts).

    def _bind(self, port: int) -> socket.socket:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind((LOOPBACK, port))
        except OSError:
            listener.close()
            raise
        listener.setblocking(False)
        return listener

    def _bind_free_port(self) -> socket.socket:
        # Bound by its number, not as port 0: Linux keeps only an explicitly bound port through
        # the stop-listening in `_stop_listening`. The probe (never listening) holds it meanwhile.
        with self._bind(0) as probe:
            return self._bind(probe.getsockname()[1])

    def _start_listening(self) -> None:
        if self._listening:
            return
        if self._listener is None:
            self._listener = self._bind(self.port)
        try:
            self._listener.listen(BACKLOG)
        except OSError:
            self._listener.close()
            self._listener = self._bind(self.port)
            self._listener.listen(BACKLOG)
        self._selector.register(self._listener, selectors.EVENT_READ)
        self._listening = True

    def _stop_listening(self) -> None:
        if not self._listening:
            return
        self._selector.unregister(self._listener)
        self._listening = False
        # On Linux, shutting a listening socket down stops the listening but keeps the port bound,
        # so nobody else can take it during the outage. Elsewhere the socket is closed and bound anew.
        try:
            self._listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            self._listener.close()
            self._listener = None

    def _cut_now(self) -> None:
        self._stop_listening()
        for end in list(self._ends.values()):
            if end.sock in self._ends:
                self._abort(end)

    def _stop(self) -> None:
        self._cut_now()
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    def _serve(self) -> None:
        running = True
        while running:
            for key, events in self._selector.select():
                sock = key.fileobj
                if sock is self._wake_end:
                    running = self._run_commands()
                elif sock is self._listener:
                    self._accept()
                elif sock in self._ends:
                    self._pump(self._ends[sock], events)
        self._selector.close()
        self._waker.close()
        self._wake_end.close()

    def _run_commands(self) -> bool:
        with contextlib.suppress(BlockingIOError):
            while self._wake_end.recv(CHUNK):
                pass
        running = True
        while not self._commands.empty():
            work, done, outcome = self._commands.get()
            try:
                work()
            except BaseException as error:  # handed back to the caller's thread
                outcome.append(error)
            running = running and work != self._stop
            done.set()
        return running

    def _accept(self) -> None:
        while self._listening:
            try:
                client, _ = self._listener.accept()
            except OSError:  # nothing left to accept (or the listener just stopped)
                return
            try:
                upstream = self._connect_upstream()
            except OSError:
                _reset(client)
                continue
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            client.setblocking(False)
            near, far = _End(client), _End(upstream)
            near.peer, far.peer = far, near
            for end in (near, far):
                self._ends[end.sock] = end
                self._selector.register(end.sock, selectors.EVENT_READ, end)

    def _connect_upstream(self) -> socket.socket:
        if isinstance(self.target, str):
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            upstream.settimeout(CONNECT_TIMEOUT)
            try:
                upstream.connect(self.target)
            except OSError:
                upstream.close()
                raise
        else:
            upstream = socket.create_connection(self.target, timeout=CONNECT_TIMEOUT)
            upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        upstream.setblocking(False)
        return upstream

    def _pump(self, end: _End, events: int) -> None:
        try:
            if events & selectors.EVENT_READ:
                self._receive(end)
            if events & selectors.EVENT_WRITE:
                self._flush(end)
            self._flush(end.peer)
        except OSError:
            self._abort(end)
            return
        if end.read_eof and end.peer.read_eof and not end.outbox and not end.peer.outbox:
            self._forget(end)
            end.sock.close()
            end.peer.sock.close()
            return
        self._watch(end)
        self._watch(end.peer)

    def _receive(self, end: _End) -> None:
        try:
            data = end.sock.recv(CHUNK)
        except (BlockingIOError, InterruptedError):
            return
        if data:
            end.peer.outbox += data
        else:
            end.read_eof = True

    def _flush(self, end: _End) -> None:
        if end.outbox:
            try:
                sent = end.sock.send(end.outbox)
            except (BlockingIOError, InterruptedError):
                return
            del end.outbox[:sent]
        if not end.outbox and end.peer.read_eof and not end.write_shut:
            end.write_shut = True
            end.sock.shutdown(socket.SHUT_WR)

    def _watch(self, end: _End) -> None:
        wanted = 0
        if not end.read_eof and len(end.peer.outbox) < BUFFER_LIMIT:
            wanted |= selectors.EVENT_READ
        if end.outbox:
            wanted |= selectors.EVENT_WRITE
        registered = end.sock in self._selector.get_map()
        if wanted and registered:
            self._selector.modify(end.sock, wanted, end)
        elif wanted:
            self._selector.register(end.sock, wanted, end)
        elif registered:
            self._selector.unregister(end.sock)

    def _forget(self, end: _End) -> None:
        for side in (end, end.peer):
            self._ends.pop(side.sock, None)
            if side.sock in self._selector.get_map():
                self._selector.unregister(side.sock)

    def _abort(self, end: _End) -> None:
        self._forget(end)
        _reset(end.sock)
        _reset(end.peer.sock)


def _reset(sock: socket.socket) -> None:
    """Close with a zero linger, so a TCP peer gets a reset rather than an orderly end."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()
