"""The engine's HTTP wire on its own: answers parsed, keep-alive reused, and each way a call can end
mapped to the outcome the ledger's rules ask for (nothing left: transient; may have left: ambiguous)."""

from __future__ import annotations

import contextlib
import queue
import socket
import threading
import time

import pytest

from tests.support import wait_for
from webapi.telegram import outcomes, wire
from webapi.telegram.wire import Wire, parse_response

OK = b'{"ok":true,"result":{"message_id":42}}'


def _answer(body: bytes = OK, status: str = "200 OK", extra: bytes = b"") -> bytes:
    return b"HTTP/1.1 %s\r\nContent-Type: application/json\r\n%sContent-Length: %d\r\n\r\n%s" % (
        status.encode(),
        extra,
        len(body),
        body,
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (_answer(), (200, OK, True)),
        (_answer(extra=b"Connection: close\r\n"), (200, OK, False)),
        (b"HTTP/1.1 100 Continue\r\n\r\n" + _answer(), (200, OK, True)),
        (
            b"HTTP/1.1 502 Bad Gateway\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"4;x=1\r\nbad \r\n7\r\ngateway\r\n0\r\n\r\n",
            (502, b"bad gateway", True),
        ),
        (b"HTTP/1.0 200 OK\r\ncontent-length: 2\r\n\r\n{}", (200, b"{}", False)),
    ],
)
def test_an_answer_is_read_whole(raw, expected):
    status, body, keep_alive, used = parse_response(bytearray(raw))
    assert (status, body, keep_alive) == expected and used == len(raw)
    # Cut anywhere before its end, it is not complete yet.
    assert all(parse_response(bytearray(raw[:cut])) is None for cut in range(len(raw)))


@pytest.mark.parametrize(
    "raw", [b"SSH-2.0-OpenSSH\r\n\r\n", b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{}"]
)
def test_what_is_not_a_bot_api_answer_is_refused(raw):
    with pytest.raises(ValueError):
        parse_response(bytearray(raw))


class Listener:
    """A TCP server on a free port serving each connection in its own thread, counting them."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self.listener.close()


class Server(Listener):
    """Answers each request as its `behaviour` says."""

    def __init__(self, behaviour: str):
        self.behaviour = behaviour
        self.requests: list[bytes] = []
        super().__init__()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            buffer = b""
            while True:
                data = conn.recv(65536)
                if not data:
                    return
                buffer += data
                head, sep, rest = buffer.partition(b"\r\n\r\n")
                if not sep:
                    continue
                length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
                if len(rest) < length:
                    continue
                self.requests.append(rest[:length])
                buffer = rest[length:]
                if self.behaviour == "answer":
                    conn.sendall(_answer())
                elif self.behaviour == "close":
                    return  # read the request, then hang up without a word
                elif self.behaviour == "silent":
                    continue


@pytest.fixture
def make_wire():
    wires = []

    def make(port: int) -> Wire:
        w = Wire(f"http://127.0.0.1:{port}", "1:T", connections=4, rate=100).start()
        wires.append(w)
        return w

    yield make
    for w in wires:
        w.stop()


def _call(w: Wire, latest: float | None = None, timeout: float = 10.0) -> outcomes.Outcome | None:
    answers: queue.Queue = queue.Queue()
    latest = time.monotonic() + 5 if latest is None else latest
    w.loop.call_soon_threadsafe(w.post, "sendMessage", {"chat_id": 7, "text": "Hi"}, latest, answers.put)
    return answers.get(timeout=timeout)


def test_answers_come_back_over_kept_connections(make_wire):
    server = Server("answer")
    w = make_wire(server.port)
    wait_for(lambda: server.connections == 4, 10, "the wire's 4 connections to open")
    first, second = _call(w), _call(w)
    assert first.kind == second.kind == outcomes.SENT and second.message_id == 42
    assert server.requests == [b'{"chat_id":7,"text":"Hi"}'] * 2
    assert server.connections == 4  # no call needed a connection of its own
    server.close()


def test_the_connections_the_full_rate_needs_are_open_before_the_first_request():
    server = Server("answer")
    w = Wire(f"http://127.0.0.1:{server.port}", "1:T", connections=256, rate=1000).start()
    try:
        # 1,000/s × 50 ms (the first guess of the answer time) busy at once, and the spares.
        wait_for(lambda: server.connections == 50 + wire.SPARE, 10, "the connections to open")
        assert not server.requests
        assert _call(w).kind == outcomes.SENT and server.connections == 50 + wire.SPARE
    finally:
        w.stop()
        server.close()


class HangUp(Listener):
    """Closes every connection at once, as Telegram closes idle keep-alive ones after a while."""

    def _serve(self, conn: socket.socket) -> None:
        conn.close()


def test_a_connection_closed_while_idle_is_replaced(make_wire, monkeypatch):
    monkeypatch.setattr(wire, "REOPEN_AFTER", 0.2)
    server = HangUp()
    make_wire(server.port)  # at 100/s, 4 connections (its cap) are kept open
    wait_for(lambda: server.connections >= 3 * 4, 10, "the closed connections to be replaced, twice")
    server.close()


def test_nobody_listening_is_transient_nothing_left():
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()
    w = Wire(f"http://127.0.0.1:{port}", "1:T", connections=4, rate=100).start()
    try:
        outcome = _call(w)
    finally:
        w.stop()
    assert outcome.kind == outcomes.TRANSIENT
    assert outcome.description.startswith("cannot connect to Telegram") and "1:T" not in outcome.description


def test_hanging_up_after_the_request_is_ambiguous(make_wire):
    server = Server("close")
    outcome = _call(make_wire(server.port))
    assert outcome.kind == outcomes.AMBIGUOUS and outcome.description.startswith("connection lost")
    assert len(server.requests) == 1
    server.close()


def test_no_answer_in_time_is_ambiguous(make_wire, monkeypatch):
    monkeypatch.setattr(wire, "READ_TIMEOUT", 0.3)
    monkeypatch.setattr(wire, "SWEEP_EVERY", 0.05)
    server = Server("silent")
    outcome = _call(make_wire(server.port))
    assert outcome.kind == outcomes.AMBIGUOUS and outcome.description.startswith("no answer in time")
    server.close()


def test_a_request_past_its_latest_moment_is_not_written(make_wire):
    server = Server("answer")
    w = make_wire(server.port)
    assert _call(w).kind == outcomes.SENT  # a connection is open and idle
    assert _call(w, latest=time.monotonic() - 0.001) is None
    assert len(server.requests) == 1
    server.close()


def test_the_in_flight_limit_follows_the_answer_time():
    w = Wire("http://127.0.0.1:9", "1:T", connections=256, rate=1000)
    assert w._limit == 150  # 1,000/s × 50 ms (the first guess) × 3
    for _ in range(500):
        w.answered(0.001)
    assert w._limit == wire.FEWEST  # answers in 1 ms: 3 in flight would do, 8 is the floor
    for _ in range(5):
        w.answered(10.0)  # a stall: each slow answer counts as at most twice the average
    assert w._limit <= 2 * wire.FEWEST


class TunnelProxy(Listener):
    """An HTTP proxy that only opens CONNECT tunnels, noting where to."""

    def __init__(self):
        self.tunnels: list[bytes] = []
        super().__init__()

    def _serve(self, client: socket.socket) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            head += client.recv(4096)
        target = head.split(b" ")[1]
        self.tunnels.append(target)
        host, port = target.decode().rsplit(":", 1)
        upstream = socket.create_connection((host, int(port)))
        client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        for a, b in ((client, upstream), (upstream, client)):
            threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)


def test_the_environment_s_proxy_is_tunnelled_through(make_wire, monkeypatch):
    server, proxy = Server("answer"), TunnelProxy()
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{proxy.port}")
    assert _call(make_wire(server.port)).kind == outcomes.SENT
    assert proxy.tunnels and set(proxy.tunnels) == {f"127.0.0.1:{server.port}".encode()}
    server.close()
