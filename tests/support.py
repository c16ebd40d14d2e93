"""Helpers every test folder uses: waiting on a condition with a deadline, a free port, a sandbox process."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]


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


def start_sandbox_process(
    tokens: list[str], log_path: Path, env: Mapping[str, str] | None = None
) -> tuple[subprocess.Popen, str]:
    """`python -m telegram_sandbox` on a free port in its own session (limits on); returns it and its URL.

    Tests that read the sandbox's clock (rates, 429 waits) run it as its own process, as Telegram
    is: a pause of the test process (its garbage collector walking a whole suite's objects) must
    not bunch arrivals together.
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    args = [sys.executable, "-m", "telegram_sandbox", "--port", str(port)]
    for token in tokens:
        args += ["--token", token]
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            args, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def answers() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"the sandbox exited at start (see {log_path})")
        with contextlib.suppress(requests.RequestException):
            return requests.get(f"{url}/sandbox/bots", timeout=2).ok
        return False

    wait_for(answers, 30, "the sandbox to listen")
    return process, url


def stop_process(process: subprocess.Popen, timeout: float = 10) -> None:
    """SIGTERM, then SIGKILL if it is still there after `timeout` seconds."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)
