"""Webhook mode as the Procfile runs it: the release sets the webhook, `gunicorn wsgi:app` takes the
updates and its own bot answers, calling the API at the gunicorn process's address; it also tells
role changes (no bot process runs); a full lane refuses the update, so Telegram delivers it again."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys

import pytest
import requests

from telebot_app.webhook import UpdateLanes
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


def _command(update_id: int, user: dict, command: str) -> dict:
    sender = {"id": user["id"], "is_bot": False, "first_name": user["first_name"], "language_code": "en"}
    chat = {"id": user["id"], "first_name": user["first_name"], "type": "private"}
    message = {
        "message_id": update_id,
        "date": 1_700_000_000,
        "chat": chat,
        "from": sender,
        "text": command,
        "entities": [{"type": "bot_command", "offset": 0, "length": len(command)}],
    }
    return {"update_id": update_id, "message": message}


def test_a_full_lane_refuses_and_a_chats_updates_keep_their_order(webhook_settings, sandbox, telebot_urls):
    ann = sandbox.create_user("Ann", id=82_101, language_code="en")
    lanes = UpdateLanes(webhook_settings, lanes=1, depth=1)
    try:
        # Telegram is slow to take the first reply: the lane's one thread is busy with it meanwhile.
        sandbox.add_fault("sendMessage", "delay", seconds=3, count=1)
        assert lanes.submit(_command(1, ann, "/start")) is True
        wait_for(lambda: sandbox.faults()["fired"].get("delay"), 30, "the first reply to be under way")
        assert lanes.submit(_command(2, ann, "/stop")) is True  # waits in the lane
        assert (
            lanes.submit(_command(3, ann, "/start")) is False
        )  # the lane is full: Telegram comes back later
        with pytest.raises(ValueError):
            lanes.submit({"update_id": 4, "message": "not a message"})
        assert lanes.wait_idle(60)
        replies = [m["text"] for m in sandbox.messages(ann["id"])]
        assert len(replies) == 2
        assert "Hello, Ann! You are subscribed" in replies[0], replies
        assert "You are unsubscribed" in replies[1], replies
    finally:
        lanes.close()
