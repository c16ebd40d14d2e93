"""Schemathesis with every check and every phase, stateful included, against the API under gunicorn.

The same run as `schemathesis run <api>/openapi.json --checks all --max-examples 40` with an admin's
token from the repository root, where schemathesis.toml allows the documented answers a schema
cannot state: it must find nothing.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import timedelta
from pathlib import Path

import pytest
import requests

from tests.conftest import JWT_SECRET
from tests.support import ROOT, free_port, stop_process, wait_for
from webapi import tokens

MAX_EXAMPLES = 40
ADMIN_ID = 1001


@pytest.fixture
def gunicorn_api(app, tmp_path):
    """`gunicorn wsgi:app` as the Procfile runs it, on the test database, with no way to reach Telegram."""
    port = free_port()
    # An empty BOT_TOKEN wins over any .env: the generated test sends must never reach a real bot.
    env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port), "WEB_CONCURRENCY": "1", "BOT_TOKEN": ""}
    log_path = tmp_path / "gunicorn.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "wsgi:app", "--config", "gunicorn.conf.py"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"gunicorn exited at start:\n{log_path.read_text()}")
        with contextlib.suppress(requests.RequestException):
            return requests.get(f"{url}/health", timeout=2).status_code == 200
        return False

    try:
        wait_for(healthy, 60, "gunicorn to answer /health")
        yield url
    finally:
        stop_process(process)


def _admin_token(make_user) -> str:
    """An admin acting through the bot, with a token that outlives the run (the bot's own last 2 minutes)."""
    make_user(ADMIN_ID, role="admin")
    return tokens.mint_token(JWT_SECRET, tokens.BOT_SUBJECT, timedelta(minutes=15), tg_id=ADMIN_ID)


def _schemathesis(url: str, token: str, workdir: Path) -> tuple[subprocess.CompletedProcess, ET.Element]:
    junit = workdir / "junit.xml"
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file",
        str(ROOT / "schemathesis.toml"),
        "run",
        f"{url}/openapi.json",
        "--checks",
        "all",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--header",
        f"Authorization: Bearer {token}",
        "--report",
        "junit",
        "--report-junit-path",
        str(junit),
        "--no-color",
    ]
    # Run elsewhere than the repository so Schemathesis keeps its cache and example database there.
    result = subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=600)
    assert junit.exists(), result.stdout + result.stderr
    return result, ET.parse(junit).getroot()  # noqa: S314 - the report Schemathesis just wrote


def test_schemathesis_finds_nothing_with_every_check_and_the_stateful_phase(
    gunicorn_api, make_user, tmp_path
):
    result, report = _schemathesis(gunicorn_api, _admin_token(make_user), tmp_path)

    output = result.stdout + result.stderr
    assert (report.get("failures"), report.get("errors")) == ("0", "0"), output[-20000:]
    assert result.returncode == 0, output[-20000:]
    tested = {case.get("name") for case in report.iter("testcase")}
    # Every operation of the document, then the scenarios that follow its links.
    assert "POST /api/v1/mailings" in tested and "Stateful tests" in tested, tested
    assert len(tested) >= 23, tested
