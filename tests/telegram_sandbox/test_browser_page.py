"""The sandbox page in headless Chromium: users, the live panel, the phone layout, several bots."""

import pytest
from playwright.sync_api import expect

from telegram_sandbox.media import fake_png
from tests.telegram_sandbox.browser_bot import BotSide, message, open_chat, wait_image_loaded
from tests.telegram_sandbox.conftest import TOKEN

OTHER_TOKEN = "654321:OTHER-bot_2"


@pytest.fixture
def bot(sandbox_server) -> BotSide:
    """The bot side, over plain HTTP."""
    return BotSide(sandbox_server.url, TOKEN)


def scroll_width(page) -> int:
    """How wide the page's content is; wider than the viewport means a horizontal scroll bar."""
    return page.evaluate("document.scrollingElement.scrollWidth")


@pytest.mark.usefixtures("no_limits")
def test_users_hundreds_paged_searched_and_created(open_page, bot, sandbox, user):
    sandbox.create_users(300, start_id=700_000_001, first_name_prefix="Sub ")
    page = open_page()
    items = page.get_by_test_id("user-item")
    expect(page.get_by_test_id("users-range")).to_have_text("1–50 of 301")
    expect(items).to_have_count(50)
    expect(items.first).to_have_attribute("data-user-id", "700000300")  # newest first
    page.get_by_test_id("users-next").click()
    expect(page.get_by_test_id("users-range")).to_have_text("51–100 of 301")

    page.get_by_test_id("user-search").fill("ann_lee")
    expect(items).to_have_count(1)
    expect(items.get_by_test_id("user-name")).to_have_text("Ann Lee")

    page.get_by_test_id("new-user-name").fill("Zoe")
    page.get_by_test_id("new-user-language").select_option("ru")
    page.get_by_test_id("new-user-create").click()
    expect(page.get_by_test_id("chat-title")).to_contain_text("Zoe")
    expect(page.get_by_test_id("users-range")).to_have_text("1–50 of 302")
    zoe = items.first
    expect(zoe.get_by_test_id("user-name")).to_have_text("Zoe")
    expect(zoe).to_have_class("user-item selected")
    zoe_id = int(zoe.get_attribute("data-user-id"))
    assert sandbox.user(zoe_id)["language_code"] == "ru"

    for text in ("one", "two"):
        bot.call("sendMessage", chat_id=zoe_id, text=text)
    expect(page.get_by_test_id("chat-message")).to_have_count(2)
    expect(zoe.get_by_test_id("user-received")).to_have_text("2")


def test_panel_counts_and_switches_arm_faults_and_strict_limits(open_page, bot, sandbox, screenshot):
    users = [sandbox.create_user(f"Reader {n}")["id"] for n in range(8)]
    page = open_page()
    expect(page.get_by_test_id("stat-limits")).to_have_text("on")

    page.get_by_test_id("fault-error").check()
    page.get_by_test_id("fault-delay").check()
    expect(page.get_by_test_id("stat-faults")).to_have_text("2")
    rules = sandbox.faults()["faults"]
    assert sorted((rule["method"], rule["kind"], rule["token"]) for rule in rules) == [
        ("sendmessage", "delay", TOKEN),
        ("sendmessage", "error", TOKEN),
    ]
    page.get_by_test_id("fault-error").uncheck()
    expect(page.get_by_test_id("stat-faults")).to_have_text("1")
    assert [rule["kind"] for rule in sandbox.faults()["faults"]] == ["delay"]
    page.get_by_test_id("fault-delay").uncheck()
    expect(page.get_by_test_id("stat-faults")).to_have_text("0")
    expect(page.get_by_test_id("fault-delay")).not_to_be_checked()

    page.get_by_test_id("strict-limits").check()
    expect(page.get_by_test_id("stat-limits")).to_have_text("strict")
    assert sandbox.limits(TOKEN)["limits"]["global_rate"] == 5.0
    answers = [
        bot.session.post(
            f"{bot.url}/bot{TOKEN}/sendMessage", data={"chat_id": chat, "text": "news"}, timeout=10
        )
        for chat in users
    ]
    refused = sum(answer.status_code == 429 for answer in answers)
    assert refused >= 1
    stats = sandbox.stats(TOKEN)
    expect(page.get_by_test_id("stat-429")).to_have_text(str(stats["too_many_requests"]))
    expect(page.get_by_test_id("stat-violations")).to_have_text(str(stats["violations"]))
    expect(page.get_by_test_id("stat-sent")).to_have_text(str(len(users) - refused))
    screenshot(page, "panel")

    page.get_by_test_id("strict-limits").uncheck()
    expect(page.get_by_test_id("stat-limits")).to_have_text("on")
    assert sandbox.limits(TOKEN)["limits"]["global_rate"] == 30.0


@pytest.mark.usefixtures("no_limits")
def test_phone_width_has_no_horizontal_scroll(open_page, bot, sandbox, user, screenshot):
    sandbox.create_users(30, first_name_prefix="Subscriber with a rather long name number ")
    bot.call("sendPhoto", files={"photo": ("wide.png", fake_png(1280, 400), "image/png")}, chat_id=user["id"])
    long_word = "x" * 300
    keyboard = {
        "inline_keyboard": [
            [{"text": f"Button with a very long label {n}", "callback_data": f"b{n}"} for n in range(4)],
            [{"text": "https://example.org/" + "a" * 100, "url": "https://example.org/" + "a" * 100}],
        ]
    }
    sent = bot.call(
        "sendMessage",
        chat_id=user["id"],
        text=f"<b>{long_word}</b> https://example.org/{long_word}\n<pre>{long_word}</pre>",
        parse_mode="HTML",
        reply_markup=keyboard,
    )
    page = open_page(width=360, height=740)
    expect(page.get_by_test_id("user-item").first).to_be_visible()
    assert scroll_width(page) <= 360
    screenshot(page, "users")

    open_chat(page, user["id"])
    expect(page.get_by_test_id("users-pane")).to_be_hidden()
    expect(message(page, sent["message_id"]).get_by_test_id("message-button")).to_have_count(5)
    wait_image_loaded(page, page.get_by_test_id("message-photo"))
    assert page.get_by_test_id("message-photo").evaluate("img => img.getBoundingClientRect().right") <= 360
    expect(page.get_by_test_id("message-input")).to_be_visible()
    expect(page.get_by_test_id("deep-link")).to_be_visible()
    assert scroll_width(page) <= 360
    screenshot(page, "chat")

    page.get_by_test_id("back-to-users").click()
    expect(page.get_by_test_id("users-pane")).to_be_visible()
    expect(page.get_by_test_id("chat")).to_be_hidden()


@pytest.mark.usefixtures("no_limits")
def test_bot_selector_when_several_bots_are_known(open_page, bot, sandbox_server, sandbox, user):
    sandbox.register_bot(OTHER_TOKEN)
    other = BotSide(sandbox_server.url, OTHER_TOKEN)
    bot.call("sendMessage", chat_id=user["id"], text="from the first bot")
    other.call("sendMessage", chat_id=user["id"], text="from the second bot")
    page = open_page()
    selector = page.get_by_test_id("bot-select")
    expect(selector).to_be_visible()
    expect(selector.locator("option")).to_have_count(2)
    open_chat(page, user["id"])
    expect(page.get_by_test_id("message-text")).to_have_text(["from the first bot"])

    selector.select_option(OTHER_TOKEN)
    expect(page.get_by_test_id("bot-name")).to_have_text("@sandbox_654321_bot")
    expect(page.get_by_test_id("message-text")).to_have_text(["from the second bot"])
    page.get_by_test_id("message-input").fill("hello second")
    page.get_by_test_id("send-button").click()
    assert other.next_update("message")["text"] == "hello second"


@pytest.mark.usefixtures("no_limits")
def test_page_waits_for_a_bot_and_picks_it_up(open_page, sandbox_server, sandbox, user):
    sandbox.revoke_bot(TOKEN)
    page = open_page()
    expect(page.get_by_test_id("bot-name")).to_have_text("waiting for a bot…")
    expect(page.get_by_test_id("user-item")).to_have_count(1)
    open_chat(page, user["id"])
    expect(page.get_by_test_id("message-input")).to_be_disabled()

    BotSide(sandbox_server.url, OTHER_TOKEN).call("sendMessage", chat_id=user["id"], text="I am up")
    expect(page.get_by_test_id("bot-name")).to_have_text("@sandbox_654321_bot")
    expect(page.get_by_test_id("message-text")).to_have_text(["I am up"])
    expect(page.get_by_test_id("message-input")).to_be_enabled()
