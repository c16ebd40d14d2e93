"""Webhook mode as the Procfile runs it: the release sets the webhook, `gunicorn wsgi:app` takes the
updates and its own bot answers, calling the API at the gunicorn process's address; it also tells
role changes (no bot process runs)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys

import pytest
import requests

from tests.conftest import bot_headers
from tests.support import ROOT, free_port, stop_process, wait_for
from tests.telebot_app.conftest import TOKEN


@pytest.fixture
def webhook_web(app, sandbox, sandbox_server, tmp_path):
    """`release` then `web` of the Procfile in webhook mode, against the sandbox; yields web's URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": sandbox_server.url,
        "WEBHOOK_URL": url,
        "BOT_LANGUAGE": "en",
        # Nothing listens here: web's own bot must use web's own address.
        "API_URL": "http://127.0.0.1:9",
    }
    release = subprocess.run(
        [sys.executable, "-m", "telebot_app.webhook"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert release.returncode == 0, release.stderr
    assert sandbox.webhook()["webhook"]["url"] == url + "/telegram/webhook"
    log_path = tmp_path / "web.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "wsgi:app", "--config", "gunicorn.conf.py"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

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


def test_web_answers_as_the_bot_and_tells_role_changes(webhook_web, sandbox, client, make_user):
    ann = sandbox.create_user("Ann", id=82_001, language_code="en")
    sandbox.send_text(ann["id"], "/start")
    greeting = wait_for(lambda: sandbox.messages(ann["id"]), 60, "the greeting from web's bot")
    assert "Hello, Ann! You are subscribed" in greeting[0]["text"]
    assert sandbox.pending_updates() == []
    assert [a["status"] for a in sandbox.webhook()["deliveries"]] == [200]

    make_user(82_000, role="admin")
    changed = client.patch(
        f"/api/v1/users/{ann['id']}", json={"role": "moderator"}, headers=bot_headers(82_000)
    )
    assert changed.status_code == 200
    told = wait_for(
        lambda: [m for m in sandbox.messages(ann["id"]) if "moderator" in m["text"].lower()],
        60,
        "the role notice from web",
    )
    assert len(told) == 1
