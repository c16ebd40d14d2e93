"""Fixtures for the sending engine: the sandbox as Telegram, real rq workers and scheduler processes."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from telegram_sandbox.client import SandboxClient
from tests.support import start_sandbox_process, stop_process, wait_for

TOKEN = "424242:SANDBOX-engine_token"
ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@pytest.fixture(name="wait_for")
def wait_for_fixture():
    """The polling helper, for test modules (conftest is not importable in importlib mode)."""
    return wait_for


@pytest.fixture(scope="session")
def sandbox_server(tmp_path_factory):
    """One Telegram sandbox for the session, with Telegram's limits on, in its own process.

    Its clock is what the rate tests read, so it must not share the test process: a garbage
    collection of a whole suite's objects stalls every thread there and bunches arrivals.
    """
    log = tmp_path_factory.mktemp("sandbox") / "sandbox.log"
    process, url = start_sandbox_process([TOKEN], log, {**os.environ, "PYTHONPATH": str(ROOT)})
    yield SimpleNamespace(url=url, process=process)
    stop_process(process)


@pytest.fixture
def sandbox(sandbox_server) -> SandboxClient:
    """The sandbox's control API, reset, with default limits."""
    client = SandboxClient(sandbox_server.url, token=TOKEN)
    client.reset()
    client.set_limits(enabled=True, global_rate=30, global_burst=10, per_chat_rate=1, per_chat_burst=3)
    # The staff users of the shared fixtures (admin 1001, moderator 1002, subscriber 1003) exist in Telegram.
    client.create_users(3, start_id=1001)
    return client


@pytest.fixture
def sandbox_token() -> str:
    """The bot token these tests use in the sandbox (the root `telegram_app` fixture reads it)."""
    return TOKEN


class Processes:
    """Worker and scheduler subprocesses of one test, each in its own process group."""

    def __init__(self, sandbox_url: str, redis_url: str, log_dir: Path):
        self.log_dir = log_dir
        self.sandbox_url = sandbox_url
        self.redis_url = redis_url
        self.started: list[subprocess.Popen] = []
        self.logs = []

    def env(self, rate: float) -> dict[str, str]:
        """The environment every process of the stack gets."""
        return {
            **os.environ,
            "BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": self.sandbox_url,
            "BROADCAST_RATE": str(rate),
            "BOT_LANGUAGE": "en",
            # Above the free 30/s only paid broadcasts may go (the sandbox then skips its global limit).
            "PAID_BROADCAST": "true" if rate > 30 else "false",
            "PYTHONPATH": str(ROOT),
        }

    def _spawn(self, args: list[str], rate: float, **extra: str) -> subprocess.Popen:
        # Each process logs to the test's tmp dir (kept by pytest for the last runs, for post-mortems).
        log = open(self.log_dir / f"process-{len(self.started)}.log", "w")  # noqa: SIM115 - closed at teardown
        self.logs.append(log)
        process = subprocess.Popen(
            args,
            env={**self.env(rate), **extra},
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.started.append(process)
        return process

    def worker(self, rate: float = 200, burst: bool = False, **env: str) -> subprocess.Popen:
        """An `rq worker` on the broadcast and default queues (`env` adds to its environment)."""
        args = [
            str(BIN / "rq"),
            "worker",
            "broadcast",
            "default",
            "--url",
            self.redis_url,
            "-c",
            "workers.rq_config",
            "-w",
            "workers.worker.Worker",
        ]
        if burst:
            args.append("--burst")
        return self._spawn(args, rate, **env)

    def scheduler(self, rate: float = 200, reconcile_every: int = 3) -> subprocess.Popen:
        """Our scheduler process (rq-scheduler's loop plus the periodic jobs), reconciling often."""
        args = [sys.executable, "-m", "workers.scheduler", "--url", self.redis_url, "-i", "1"]
        return self._spawn(args, rate, RECONCILE_INTERVAL=str(reconcile_every))

    @staticmethod
    def _children(pid: int) -> list[int]:
        # rq's work horse calls setsid(), so it is not in the worker's process group.
        try:
            return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            return []

    def kill(self, process: subprocess.Popen) -> None:
        """SIGKILL a worker and its work horse at once, as a crash would."""
        victims = [process.pid, *self._children(process.pid)]
        for pid in victims:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop_all(self) -> None:
        """Stop whatever is still running."""
        for process in self.started:
            if process.poll() is None:
                self.kill(process)
        for log in self.logs:
            log.close()


@pytest.fixture
def processes(services, sandbox_server, telegram_app, tmp_path):
    """Start workers and schedulers for a test; all are killed at its end."""
    procs = Processes(sandbox_server.url, services["redis_url"], tmp_path)
    yield procs
    procs.stop_all()


@pytest.fixture
def subscribers(app, sandbox):
    """Create `count` active subscribers (in our database and as sandbox users) from `start_id`."""
    from sqlalchemy import text

    from webapi.extensions import db

    def make(count: int, start_id: int = 10_000_000, **kwargs) -> list[int]:
        ids = list(range(start_id, start_id + count))
        with app.app_context():
            db.session.execute(
                text(
                    "INSERT INTO users (tg_id, first_name, role, status) "
                    "SELECT g, 'S', 'subscriber', 'active' FROM generate_series(:a, :b) g"
                ),
                {"a": ids[0], "b": ids[-1]},
            )
            db.session.commit()
        done = 0
        while done < count:
            chunk = min(10_000, count - done)
            sandbox.create_users(chunk, start_id=ids[done])
            done += chunk
        return ids

    return make


@pytest.fixture
def staff_chats(make_user, sandbox):
    """An extra active moderator who speaks Russian (in our database and in Telegram); returns its id."""
    make_user(1004, role="moderator", language_code="ru")
    sandbox.create_user("Moderator", id=1004)
    return 1004


@pytest.fixture
def new_mailing(client, admin):
    """Create a mailing through the API (far in the future unless `send_at` is given); returns its body."""

    def make(text: str = "<b>Hello</b> subscribers", send_at: datetime | None = None, **fields) -> dict:
        when = send_at or datetime.now(UTC) + timedelta(days=1)
        body = {
            "name": fields.pop("name", "Engine test"),
            "text": text,
            "send_at": when.isoformat(),
            **fields,
        }
        response = client.post("/api/v1/mailings", json=body, headers=admin)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return make


# The error each way of not reaching someone is recorded with.
NOT_REACHED_ERRORS = {
    "blocked": "Forbidden: bot was blocked by the user",
    "failed": "Bad Request: chat not found",
    "unknown": "no answer in time (ReadTimeoutError)",
}


@pytest.fixture
def ledger(app):
    """Read a mailing's ledger and state straight from Postgres."""
    from sqlalchemy import text

    from webapi.extensions import db

    class Ledger:
        def counts(self, mailing_id: int) -> dict[str, int]:
            with app.app_context():
                rows = db.session.execute(
                    text("SELECT status, count(*) FROM deliveries WHERE mailing_id = :m GROUP BY status"),
                    {"m": mailing_id},
                ).all()
                db.session.remove()
            return {status: count for status, count in rows}

        def mailing(self, mailing_id: int) -> dict:
            with app.app_context():
                row = (
                    db.session.execute(text("SELECT * FROM mailings WHERE id = :m"), {"m": mailing_id})
                    .mappings()
                    .one()
                )
                db.session.remove()
            return dict(row)

        def rows(self, mailing_id: int) -> list[dict]:
            with app.app_context():
                rows = (
                    db.session.execute(
                        text("SELECT * FROM deliveries WHERE mailing_id = :m ORDER BY id"), {"m": mailing_id}
                    )
                    .mappings()
                    .all()
                )
                db.session.remove()
            return [dict(row) for row in rows]

        def outcomes(self, mailing_id: int, start_id: int = 20_000_000, **counts: int) -> dict[str, int]:
            """Ledger rows of `counts` per status for users from `start_id` on (created when missing),
            with the error Telegram gives for each way of not reaching someone."""
            next_id = start_id
            for status, n in counts.items():
                last = next_id + n - 1
                self.sql(
                    "INSERT INTO users (tg_id, first_name, role, status) SELECT g, 'S', 'subscriber',"
                    " 'active' FROM generate_series(:a, :b) g ON CONFLICT DO NOTHING",
                    a=next_id,
                    b=last,
                )
                self.sql(
                    "INSERT INTO deliveries (mailing_id, user_id, chat_id, status, attempts, last_error) "
                    "SELECT :m, g, g, :s, 1, :e FROM generate_series(:a, :b) g",
                    m=mailing_id,
                    s=status,
                    e=NOT_REACHED_ERRORS.get(status),
                    a=next_id,
                    b=last,
                )
                next_id = last + 1
            return counts

        def sql(self, statement: str, **params):
            with app.app_context():
                result = db.session.execute(text(statement), params)
                rows = result.all() if result.returns_rows else result.rowcount
                db.session.commit()
                db.session.remove()
            return rows

    return Ledger()
