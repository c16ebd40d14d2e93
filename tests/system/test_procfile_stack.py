"""`make run` end to end: an admin composes a mailing in the bot and saves it for now; every seeded
subscriber gets it exactly once, the report arrives; Ctrl-C stops everything and the next start finds
the data again."""

import re
import time
import uuid

import pytest
import requests

from telegram_sandbox.client import SandboxClient
from tests.support import wait_for
from tests.system.conftest import DEMO_COUNT, DEMO_FIRST_ID, FIGURES
from tests.system.players import Person, body, buttons
from webapi.local.stack import STOPPED
from webapi.tokens import mint_bot_token

ADMIN_ID = 777_000_001
DELIVERY_SECONDS = 180  # 300 messages at BROADCAST_RATE 25/s take about 13 s
BUTTONS = [("Shop", "https://example.org/shop"), ("Read more", "https://example.org/about")]

pytestmark = pytest.mark.timeout(900)


def demo_received(sandbox: SandboxClient) -> dict[int, int]:
    """How many messages each seeded demo subscriber has received."""
    users = sandbox.users(limit=10_000)["users"]
    demo = range(DEMO_FIRST_ID, DEMO_FIRST_ID + DEMO_COUNT)
    return {user["id"]: user["received"] for user in users if user["id"] in demo}


def test_admin_mailing_reaches_every_subscriber_once_and_ctrl_c_stops_cleanly(stack, bot_token):
    started = time.monotonic()
    run = stack.ensure_running()
    sandbox = SandboxClient(run.sandbox_url, token=bot_token)
    before = demo_received(sandbox)
    assert sorted(before) == list(range(DEMO_FIRST_ID, DEMO_FIRST_ID + DEMO_COUNT)), "demo users not seeded"

    marker = uuid.uuid4().hex[:8]
    name = f"System test {marker}"
    text = (
        f'<b>Autumn sale</b> {marker}: <i>everything</i> at half price, <a href="https://example.org">see</a>'
    )
    sandbox.create_user("Olga", id=ADMIN_ID, language_code="en")
    admin = Person(sandbox, ADMIN_ID)

    admin.say(f"/start {run.admin_key}")
    admin.reply_with("You are an admin now")
    admin.say("/newmailing")
    admin.reply_with("internal name")
    admin.say(name)
    admin.reply_with("Send the text of the mailing")
    admin.say(text)
    admin.reply_with("When to send it?")
    admin.say("now")
    menu = admin.reply_with("Send time: now")
    for number, (label, url) in enumerate(BUTTONS, start=1):
        admin.press(menu, ":addbtn")
        admin.reply_with(f"Send the label of button {number}")
        admin.say(label)
        admin.reply_with(f"Send the link for “{label}”")
        admin.say(url)
        menu = admin.reply_with(f"{number}. {label} → {url}")
    admin.press(menu, ":save")
    question = admin.reply_with(f"Save {name}?")
    admin.press(question, ":saveok")
    saved = admin.reply_with("is being sent now")
    mailing_id = int(re.search(r"\(id (\d+)\)", body(saved)).group(1))

    def everyone_got_it() -> bool:
        now = demo_received(sandbox)
        return all(now[user] > before[user] for user in before)

    wait_for(everyone_got_it, DELIVERY_SECONDS, f"all {DEMO_COUNT} demo subscribers to get the mailing")
    report = admin.reply(
        lambda m: f"Mailing finished: {name}" in body(m), "the report", timeout=DELIVERY_SECONDS
    )
    for line in ("Failed: 0", "Unknown: 0", "Blocked: 0"):
        assert line in body(report), body(report)

    for user in before:
        got = [m for m in sandbox.messages(user) if marker in body(m)]
        assert len(got) == 1, f"user {user} got the mailing {len(got)} times"
        shown = got[0]
        assert shown["text"].startswith("Autumn sale"), shown["text"]
        assert {"type": "bold", "offset": 0, "length": len("Autumn sale")} in shown["entities"]
        assert [(b["text"], b["url"]) for b in buttons(shown)] == BUTTONS
    assert demo_received(sandbox) == {user: count + 1 for user, count in before.items()}

    secret = stack.local_env()["JWT_SECRET_KEY"]
    headers = {"Authorization": f"Bearer {mint_bot_token(secret, ADMIN_ID)}"}
    stats = requests.get(f"{run.api_url}/api/v1/mailings/{mailing_id}/stats", headers=headers, timeout=10)
    assert stats.status_code == 200, stats.text
    assert stats.json()["status"] == "finished"
    assert stats.json()["counts"]["sent"] >= DEMO_COUNT + 1  # the admin subscribed with /start too
    assert stats.json()["counts"]["sent"] == stats.json()["total"]
    FIGURES["mailing: seconds from /start to the report"] = time.monotonic() - started

    # Ctrl-C: everything stops, Postgres and Redis included.
    code, seconds = stack.interrupt()
    FIGURES["Ctrl-C: seconds until the runner exited"] = seconds
    assert code == STOPPED, stack.run.output()[-3000:]
    assert "SIGKILL" not in stack.run.output(), "honcho had to kill a process"
    # Postgres and Redis are stopped before the runner exits; reaped children may linger a moment.
    wait_for(lambda: not stack.leftovers(), 10, "every process (Postgres and Redis too) to be gone")

    # The next start finds the same secrets and the same data.
    key = run.admin_key
    again = stack.start()
    FIGURES["restart: seconds from spawn to the first /health 200"] = again.seconds_to_health
    assert again.admin_key == key
    mailing = requests.get(f"{again.api_url}/api/v1/mailings/{mailing_id}", headers=headers, timeout=10)
    assert mailing.status_code == 200, mailing.text
    assert mailing.json()["name"] == name
    assert mailing.json()["status"] == "finished"

    # The second run stops the same way: Ctrl-C's exit status is deliberate, not a race.
    code, _ = stack.interrupt()
    assert code == STOPPED, again.output()[-3000:]
    wait_for(lambda: not stack.leftovers(), 10, "every process of the second run to be gone")
