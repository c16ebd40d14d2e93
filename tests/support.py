"""Helpers every test folder uses: waiting on a condition with a deadline, a free port, a sandbox process."""

from __future__ import annotations

import contextlib
import json
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


# The error Telegram gives for each way of not reaching someone, as the ledger records it.
LEDGER_ERRORS = {
    "blocked": "Forbidden: bot was blocked by the user",
    "failed": "Bad Request: chat not found",
    "unknown": "no answer in time (ReadTimeoutError)",
}


def sent_mailing(
    app, mailing_id: int, status: str = "finished", seconds: float = 100, start_id: int = 30_000_000, **counts
) -> None:
    """Make a saved mailing one that went out `seconds` long: ledger rows of `counts` per status for
    users from `start_id` on (created when missing), its times, and its counts kept as its finish keeps
    them (`status` finished or cancelled)."""
    from sqlalchemy import text

    from webapi.extensions import db

    with app.app_context():
        next_id = start_id
        for delivery_status, n in counts.items():
            last = next_id + n - 1
            db.session.execute(
                text(
                    "INSERT INTO users (tg_id, first_name, role, status) SELECT g, 'S', 'subscriber',"
                    " 'active' FROM generate_series(:a, :b) g ON CONFLICT DO NOTHING"
                ),
                {"a": next_id, "b": last},
            )
            db.session.execute(
                text(
                    "INSERT INTO deliveries (mailing_id, user_id, chat_id, status, attempts, last_error) "
                    "SELECT :m, g, g, :s, 1, :e FROM generate_series(:a, :b) g"
                ),
                {
                    "m": mailing_id,
                    "s": delivery_status,
                    "e": LEDGER_ERRORS.get(delivery_status),
                    "a": next_id,
                    "b": last,
                },
            )
            next_id = last + 1
        db.session.execute(
            text(
                "UPDATE mailings SET status = :s, started_at = now() - make_interval(secs => :d + 60),"
                " finished_at = now() - interval '60 seconds', report_sent_at = now(),"
                " delivery_counts = CAST(:counts AS jsonb) WHERE id = :m"
            ),
            {"m": mailing_id, "s": status, "d": seconds, "counts": json.dumps(counts)},
        )
        db.session.commit()
        db.session.remove()
