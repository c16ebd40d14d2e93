"""The whole product as `make run` starts it: `python -m webapi.local` with embedded Postgres and Redis,
the Telegram sandbox and every Procfile process under honcho, in a throw-away data directory.

One stack serves the whole session (both system test files); a test that stops it (the Ctrl-C check)
starts it again with `stack.ensure_running()`. Teardown kills whatever is left, even after a failure.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest
import requests
from dotenv import dotenv_values

from tests.support import free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
DEMO_FIRST_ID = 900_000_001
DEMO_COUNT = 300
START_SECONDS = 240  # a fresh data directory: initdb, migrations, seeding, then every process
STOP_SECONDS = 60
# Everything the settings module or the runner reads: the runner must see none of the session's values.
APP_VARIABLES = (
    "DATABASE_URL",
    "REDIS_URL",
    "JWT_SECRET_KEY",
    "BOT_TOKEN",
    "TELEGRAM_API_URL",
    "API_URL",
    "ADMIN_KEY",
    "TIMEZONE",
    "BOT_LANGUAGE",
    "BROADCAST_RATE",
    "PAID_BROADCAST",
    "DASHBOARD_USER",
    "DASHBOARD_PASSWORD",
    "DASHBOARD_HOST",
    "DASHBOARD_PORT",
    "LOG_FORMAT",
    "PORT",
    "HOST",
    "SANDBOX_PORT",
    "SANDBOX_URL",
    "SANDBOX_BOT_TOKEN",
    "RASSYLKA_VAR",
    "WEB_CONCURRENCY",
    "GUNICORN_THREADS",
)

# Figures printed at the end of the run (pytest_terminal_summary below).
FIGURES: dict[str, float] = {}


@dataclass
class Run:
    """One start of the runner: its process, ports, log and what its banner said."""

    process: subprocess.Popen
    port: int
    sandbox_port: int
    log: Path
    spawned: float
    seconds_to_health: float | None = None
    banner: dict[str, str] = field(default_factory=dict)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def sandbox_url(self) -> str:
        return self.banner["sandbox_url"]

    @property
    def admin_key(self) -> str:
        return self.banner["admin_key"]

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


class Stack:
    """`python -m webapi.local --var DIR` as a subprocess in its own process group."""

    def __init__(self, var: Path, logs: Path) -> None:
        self.var = var
        self.logs = logs
        self.runs: list[Run] = []

    @property
    def run(self) -> Run:
        return self.runs[-1]

    def running(self) -> bool:
        return bool(self.runs) and self.run.process.poll() is None

    def environment(self, dashboard_port: int) -> dict[str, str]:
        """The session's environment without any of the application's settings: the runner makes its own."""
        env = {k: v for k, v in os.environ.items() if k not in APP_VARIABLES}
        env.update(PYTHONUNBUFFERED="1", DASHBOARD_PORT=str(dashboard_port))
        return env

    def start(self) -> Run:
        """Spawn the runner on free ports; return once /health answers 200 and the banner is printed."""
        port, sandbox_port, dashboard_port = free_port(), free_port(), free_port()
        log = self.logs / f"runner-{len(self.runs) + 1}.log"
        command = [
            sys.executable,
            "-m",
            "webapi.local",
            "--var",
            str(self.var),
            "--port",
            str(port),
            "--sandbox-port",
            str(sandbox_port),
        ]
        with log.open("wb") as out:
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=self.environment(dashboard_port),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        run = Run(process, port, sandbox_port, log, spawned=time.monotonic())
        self.runs.append(run)
        deadline = run.spawned + START_SECONDS

        def healthy() -> bool:
            self._alive_or_fail(run, deadline)  # fails first, with the runner's output
            with contextlib.suppress(requests.RequestException):
                return requests.get(f"{run.api_url}/health", timeout=2).status_code == 200
            return False

        wait_for(healthy, START_SECONDS + 5, "the stack's /health")
        run.seconds_to_health = time.monotonic() - run.spawned
        run.banner = wait_for(
            lambda: self._alive_or_fail(run, deadline) or parse_banner(run.output()),
            START_SECONDS + 5,
            "the runner's banner",
        )
        return run

    def ensure_running(self) -> Run:
        """The current run, started first when there is none."""
        return self.run if self.running() else self.start()

    def _alive_or_fail(self, run: Run, deadline: float) -> None:
        if run.process.poll() is not None:
            raise AssertionError(f"the runner exited with {run.process.returncode}:\n{tail(run.output())}")
        if time.monotonic() > deadline:
            raise AssertionError(f"the runner did not come up within {START_SECONDS}s:\n{tail(run.output())}")

    def interrupt(self, timeout: float = STOP_SECONDS) -> tuple[int, float]:
        """Ctrl-C as a terminal sends it (SIGINT to the runner's process group); (exit code, seconds)."""
        run = self.run
        started = time.monotonic()
        os.killpg(run.process.pid, signal.SIGINT)
        try:
            code = run.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            output = tail(run.output())
            raise AssertionError(f"the runner did not stop within {timeout}s:\n{output}") from None
        return code, time.monotonic() - started

    def local_env(self) -> dict[str, str]:
        """What the runner keeps in <var>/local.env (generated secrets, the last store URLs)."""
        return {k: v or "" for k, v in dotenv_values(self.var / "local.env").items()}

    def leftovers(self) -> list[psutil.Process]:
        """Processes of this stack still alive: the runner's group, honcho's children, Postgres, Redis."""
        markers = [str(self.var)]
        redis_url = self.local_env().get("REDIS_URL", "") if (self.var / "local.env").exists() else ""
        if redis_url.startswith("unix://"):
            markers.append(redis_url.removeprefix("unix://"))
        found = []
        groups = {run.process.pid for run in self.runs}
        for process in psutil.process_iter(["pid", "cmdline"]):
            if process.pid == os.getpid():
                continue
            with contextlib.suppress(psutil.Error, OSError):
                line = " ".join(process.info["cmdline"] or [])
                if (
                    any(marker in line for marker in markers)
                    or os.getpgid(process.pid) in groups
                    # Every Procfile process gets RASSYLKA_VAR from the runner.
                    or process.environ().get("RASSYLKA_VAR") == str(self.var)
                ):
                    found.append(process)
        return found

    def kill_everything(self) -> None:
        """Teardown: stop the runner politely if it is up, then kill anything of this stack that is left."""
        if self.running():
            with contextlib.suppress(Exception):
                self.interrupt(timeout=30)
        for run in self.runs:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(run.process.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                run.process.wait(timeout=10)
        # Honcho starts each process in a session of its own; Postgres and Redis daemonize.
        left = self.leftovers()
        for process in left:
            with contextlib.suppress(psutil.Error, ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            with contextlib.suppress(psutil.Error):
                process.kill()
        psutil.wait_procs(left, timeout=10)


def parse_banner(output: str) -> dict[str, str]:
    """The admin key and the sandbox URL from the runner's closing lines; {} until they are printed."""
    key = re.search(r"^\s*Admin key:\s+(\S+)", output, re.MULTILINE)
    sandbox = re.search(r"^\s*Telegram sandbox:\s+(http://\S+?)/?\s", output, re.MULTILINE)
    if not (key and sandbox):
        return {}
    return {"admin_key": key.group(1), "sandbox_url": sandbox.group(1)}


def tail(text: str, lines: int = 60) -> str:
    return "\n".join(text.splitlines()[-lines:])


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    """The running product (started once per session in a fresh data directory; never ./var)."""
    # A short path: Postgres puts its Unix socket in the data directory (at most 107 bytes).
    var = (tmp_path_factory.mktemp("stack") / "var").resolve()
    logs = ARTIFACTS / "system"
    logs.mkdir(parents=True, exist_ok=True)
    running = Stack(var, logs)
    try:
        first = running.start()
        FIGURES["fresh start: seconds from spawn to the first /health 200"] = first.seconds_to_health
        yield running
    finally:
        running.kill_everything()
        wait_for(lambda: not running.leftovers(), 10, "every process of the stack to be gone")


@pytest.fixture(scope="session")
def bot_token(stack) -> str:
    """The sandbox bot's token the runner generated."""
    return stack.local_env()["SANDBOX_BOT_TOKEN"]


@pytest.fixture(scope="session")
def browser(chromium):
    """The session's one headless Chromium (see tests/conftest.py)."""
    return chromium


def pytest_terminal_summary(terminalreporter):
    """Print the measured figures (no thresholds)."""
    if FIGURES:
        terminalreporter.section("system stack figures")
        for name, value in FIGURES.items():
            terminalreporter.write_line(f"{name}: {value:.1f}")
