"""Helpers every test folder uses: waiting on a condition with a deadline, a free port."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable


def wait_for(predicate: Callable[[], object], timeout: float, what: str, every: float = 0.1):
    """Poll `predicate` until it returns something truthy; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(every)


def free_port() -> int:
    """A TCP port on the loopback interface that nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
