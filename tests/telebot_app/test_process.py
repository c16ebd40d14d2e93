"""`python -m telebot_app` as a real process: threaded long polling against the sandbox and the live API."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from telebot_app import texts
from tests.support import wait_for
from tests.telebot_app.conftest import TOKEN
from webapi import role_notices

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def start_bot(bot_settings, sandbox_server, tmp_path):
    """Start the bot's production entry point, as the Procfile runs it: start_bot(telegram_url=…)."""
    started = []

    def start(telegram_url: str = sandbox_server.url) -> subprocess.Popen:
        env = {
            **os.environ,
            "BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": telegram_url,
            "API_URL": bot_settings.api_url,
            "REDIS_URL": bot_settings.redis_url,
            "BOT_LANGUAGE": "en",
        }
        log = (tmp_path / "bot.log").open("w")
        process = subprocess.Popen(
            [sys.executable, "-m", "telebot_app"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        process.log_path = tmp_path / "bot.log"
        started.append((process, log))
        return process

    yield start
    for process, log in started:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


def test_the_bot_process_sets_its_menu_and_answers(start_bot, sandbox):
    bot_process = start_bot()
    ann = sandbox.create_user("Ann", id=80_001, language_code="en")
    wait_for(lambda: sandbox.bot_commands()["scopes"], 30, "the command menu")
    sandbox.send_text(ann["id"], "/start")
    reply = wait_for(lambda: sandbox.messages(ann["id"]), 30, "the greeting")
    assert "Hello, Ann! You are subscribed" in reply[0]["text"]
    assert bot_process.poll() is None


def test_the_bot_process_tells_queued_role_changes_and_those_a_stopped_bot_left(start_bot, sandbox, redis):
    ann = sandbox.create_user("Ann", id=80_002, language_code="ru")
    bob = sandbox.create_user("Bob", id=80_003, language_code="en")
    # Bob's notice was taken by a bot that stopped before telling him; Ann's waits in the queue.
    redis.lpush(role_notices.PROCESSING, role_notices.RoleNotice(bob["id"], "admin", "en").encode())
    role_notices.announce(redis, role_notices.RoleNotice(ann["id"], "moderator", "ru"))
    start_bot()
    told = wait_for(lambda: sandbox.messages(ann["id"]), 30, "Ann's notice")
    assert told[-1]["text"] == texts.text("ru", "role_now_moderator")
    assert wait_for(lambda: sandbox.messages(bob["id"]), 30, "Bob's notice")[-1]["text"] == texts.text(
        "en", "role_now_admin"
    )
    wait_for(lambda: redis.llen(role_notices.PROCESSING) == 0, 30, "both notices to be done")
    assert redis.llen(role_notices.QUEUE) == 0


def test_a_missing_setting_stops_the_bot_with_one_line():
    env = {key: value for key, value in os.environ.items() if key != "BOT_TOKEN"}
    env["BOT_TOKEN"] = ""
    result = subprocess.run(
        [sys.executable, "-m", "telebot_app"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "Configuration error: missing required setting BOT_TOKEN: set it in the environment or .env"
    ]


def test_the_bot_token_never_reaches_the_log(start_bot):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    process = start_bot(telegram_url=dead)
    log = wait_for(
        lambda: (
            "could not set the command menu" in process.log_path.read_text() and process.log_path.read_text()
        ),
        30,
        "the failed setMyCommands in the log",
    )
    assert "/bot[redacted]/setMyCommands" in log
    assert TOKEN not in log and TOKEN.split(":")[1] not in log
