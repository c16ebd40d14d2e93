"""Webhook mode end to end: the sandbox pushes updates to the live API's /telegram/webhook, where the
web's update lanes run the bot. A forged secret is refused before anything is handled; an update
Telegram delivers twice is handled once; `python -m telebot_app.webhook` (the release) and the bot's
start set and delete the webhook."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from telebot_app.webhook import set_or_delete_webhook
from tests.conftest import JWT_SECRET
from tests.support import ROOT, wait_for
from tests.telebot_app.conftest import TOKEN, WEBHOOK_SECRET
from webapi.resources.telegram_webhook import SEEN_PREFIX
from webapi.settings import load_settings

pytestmark = pytest.mark.parametrize("bot_mode", ["webhook"])

GREETING = "Hello, Ann! You are subscribed"


def test_a_forged_secret_is_refused_and_nothing_is_handled(player, driver, sandbox, api_as, redis):
    ann = player(81_001)
    driver.bot.set_webhook(url=driver.settings.webhook_url, secret_token="forged-by-someone")
    sandbox.send_text(ann.id, "/start")

    wait_for(lambda: driver.bot.get_webhook_info().last_error_date, 20, "the webhook's refusal")
    info = driver.bot.get_webhook_info()
    assert info.last_error_message == "Wrong response from the webhook: 401 UNAUTHORIZED"
    assert info.pending_update_count == 1
    assert {attempt["status"] for attempt in sandbox.webhook()["deliveries"]} == {401}
    assert driver.lanes.pending() == 0
    assert ann.messages() == []
    assert redis.keys(f"{SEEN_PREFIX}:*") == []
    assert api_as(ann.id).get(f"/users/{ann.id}").status_code == 404

    set_or_delete_webhook(driver.bot, driver.settings)  # the release sets the right secret again
    driver.drive()
    assert [m["text"] for m in ann.messages() if GREETING in m["text"]] != []
    assert api_as(ann.id).get(f"/users/{ann.id}").get_json()["status"] == "active"


def test_an_update_delivered_twice_is_handled_once(player, driver, sandbox, redis):
    ann = player(81_002)
    sandbox.configure_webhook(lose_answers=1)  # the first 200 never reaches Telegram: it delivers again

    new = ann.say("/start")

    attempts = sandbox.webhook()["deliveries"]
    assert [(a["status"], a["error"]) for a in attempts] == [(200, "Read timeout expired"), (200, None)]
    assert attempts[0]["update_id"] == attempts[1]["update_id"]
    assert len([m for m in new if GREETING in m["text"]]) == 1
    assert len(ann.messages()) == len(new)
    assert redis.exists(f"{SEEN_PREFIX}:{TOKEN.split(':')[0]}:{attempts[0]['update_id']}")


def test_a_chats_updates_are_handled_in_the_order_they_came(admin_player, driver, sandbox):
    admin = admin_player
    for text in ("/newmailing", "Ordered", "Some text"):
        sandbox.send_text(admin.id, text)
    driver.drive()
    texts = [m["text"] for m in admin.messages()]
    assert "internal name" in texts[0]
    assert "text of the mailing" in texts[1]
    assert "When to send it?" in texts[2]


def _run(module: str, driver, **env) -> subprocess.CompletedProcess:
    settings = driver.settings
    environment = {
        **os.environ,
        "BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": settings.telegram_api_url,
        "API_URL": settings.api_url,
        "REDIS_URL": settings.redis_url,
        "WEBHOOK_URL": "",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", module], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
    )


def test_the_release_sets_and_deletes_the_webhook_and_the_bot_in_webhook_mode_stops(driver, sandbox):
    driver.bot.delete_webhook()
    url = driver.settings.webhook_url
    released = _run("telebot_app.webhook", driver, WEBHOOK_URL=url, WEBHOOK_SECRET=WEBHOOK_SECRET)
    assert released.returncode == 0, released.stderr
    webhook = sandbox.webhook()["webhook"]
    assert (webhook["url"], webhook["secret_token"], webhook["max_connections"]) == (url, WEBHOOK_SECRET, 40)
    assert driver.bot.get_webhook_info().allowed_updates == ["message", "callback_query"]
    assert sandbox.bot_commands()["scopes"], "the release sets the command menu in webhook mode"
    assert WEBHOOK_SECRET not in released.stderr + released.stdout

    polling = _run("telebot_app.webhook", driver)
    assert polling.returncode == 0, polling.stderr
    assert sandbox.webhook()["webhook"] is None

    derived = _run("telebot_app", driver, WEBHOOK_URL=url, WEBHOOK_MAX_CONNECTIONS="7")
    assert derived.returncode == 0, derived.stderr
    assert "web handles the updates" in derived.stderr
    webhook = sandbox.webhook()["webhook"]
    assert webhook["max_connections"] == 7
    # Without WEBHOOK_SECRET the secret comes from JWT_SECRET_KEY: what web expects from the same settings.
    expected = load_settings({"WEBHOOK_URL": url, "JWT_SECRET_KEY": JWT_SECRET}).webhook_secret
    assert webhook["secret_token"] == expected and expected not in (None, WEBHOOK_SECRET)
