"""The sandbox page in headless Chromium: what the bot sends is shown as Telegram would, live."""

import pytest
from playwright.sync_api import expect

from telegram_sandbox.media import fake_png
from tests.telegram_sandbox.browser_bot import BotSide, message, open_chat, wait_image_loaded
from tests.telegram_sandbox.conftest import ADMIN_KEY, TOKEN

pytestmark = pytest.mark.usefixtures("no_limits")

FORMATTED = (
    "<b>bold</b> <i>italic</i> <u>under</u> <s>struck</s> <tg-spoiler>secret</tg-spoiler> "
    '<a href="https://example.org/page">a link</a> <code>inline()</code>\n'
    '<pre><code class="language-python">print("hi")</code></pre>'
    "<blockquote>quoted <b>words</b></blockquote>"
    '&lt;img src=x onerror="window.pwned=1"&gt; &lt;script&gt;window.pwned=2&lt;/script&gt;'
)


@pytest.fixture
def bot(sandbox_server) -> BotSide:
    """The bot side, over plain HTTP."""
    return BotSide(sandbox_server.url, TOKEN)


def test_formatted_text_photo_and_buttons(open_page, bot, user, sandbox_server, screenshot):
    photo = bot.call(
        "sendPhoto",
        files={"photo": ("cat.png", fake_png(640, 400), "image/png")},
        chat_id=user["id"],
        caption="<b>Cat</b> of the day",
        parse_mode="HTML",
    )
    keyboard = {
        "inline_keyboard": [
            [
                {"text": "Open the list", "url": f"{sandbox_server.url}/sandbox/users"},
                {"text": "Like", "callback_data": "like:1"},
            ]
        ]
    }
    text = bot.call(
        "sendMessage", chat_id=user["id"], text=FORMATTED, parse_mode="HTML", reply_markup=keyboard
    )
    # Explicit entities count UTF-16 units: the thumbs-up with its skin tone is 4 of them.
    utf16 = bot.call(
        "sendMessage",
        chat_id=user["id"],
        text="👍🏽 ok bold 😀y",
        entities=[{"type": "bold", "offset": 8, "length": 4}, {"type": "italic", "offset": 13, "length": 3}],
    )
    page = open_page()
    open_chat(page, user["id"])

    shown = message(page, text["message_id"]).get_by_test_id("message-text")
    for tag, content in [
        ("b", "bold"),
        ("i", "italic"),
        ("u", "under"),
        ("s", "struck"),
        ("code", "inline()"),
    ]:
        expect(shown.locator(tag).first).to_have_text(content)
    expect(shown.get_by_test_id("spoiler")).to_have_text("secret")
    link = shown.locator("a", has_text="a link")
    expect(link).to_have_attribute("href", "https://example.org/page")
    expect(link).to_have_attribute("target", "_blank")
    expect(shown.locator("pre > code")).to_have_text('print("hi")')
    expect(shown.locator("pre > code")).to_have_attribute("data-language", "python")
    expect(shown.locator("blockquote")).to_have_text("quoted words")
    expect(shown.locator("blockquote b")).to_have_text("words")
    expect(shown).to_contain_text('<img src=x onerror="window.pwned=1"> <script>window.pwned=2</script>')
    assert shown.locator("img, script").count() == 0
    assert page.evaluate("window.pwned") is None

    rich = message(page, utf16["message_id"]).get_by_test_id("message-text")
    expect(rich.locator("b")).to_have_text("bold")
    expect(rich.locator("i")).to_have_text("😀y")

    picture = message(page, photo["message_id"]).get_by_test_id("message-photo")
    wait_image_loaded(page, picture)
    assert picture.evaluate("img => img.naturalWidth") == 640
    expect(message(page, photo["message_id"]).get_by_test_id("message-caption").locator("b")).to_have_text(
        "Cat"
    )

    buttons = message(page, text["message_id"]).get_by_test_id("message-button")
    expect(buttons).to_have_count(2)
    url_button = buttons.filter(has_text="Open the list")
    expect(url_button).to_have_attribute("data-kind", "url")
    expect(url_button).to_have_attribute("target", "_blank")
    expect(buttons.filter(has_text="Like")).to_have_attribute("data-callback-data", "like:1")
    screenshot(page, "chat")
    with page.context.expect_page() as opened:
        url_button.click()
    tab = opened.value
    tab.wait_for_load_state()
    assert tab.url == f"{sandbox_server.url}/sandbox/users"


def test_edits_and_deletions_appear_live(open_page, bot, user):
    keyboard = {"inline_keyboard": [[{"text": "Yes", "callback_data": "yes"}]]}
    first = bot.call("sendMessage", chat_id=user["id"], text="Draft one", reply_markup=keyboard)
    second = bot.call("sendMessage", chat_id=user["id"], text="Soon gone")
    page = open_page()
    open_chat(page, user["id"])
    expect(message(page, second["message_id"])).to_contain_text("Soon gone")

    bot.call(
        "editMessageText",
        chat_id=user["id"],
        message_id=first["message_id"],
        text="<i>Final</i> text",
        parse_mode="HTML",
    )
    edited = message(page, first["message_id"])
    expect(edited.get_by_test_id("message-text").locator("i")).to_have_text("Final")
    expect(edited.get_by_test_id("message-edited")).to_be_visible()
    expect(edited.get_by_test_id("message-button")).to_have_count(0)  # an edit without markup drops it

    bot.call("deleteMessage", chat_id=user["id"], message_id=second["message_id"])
    expect(message(page, second["message_id"])).to_have_count(0)
    expect(page.get_by_test_id("chat-message")).to_have_count(1)


def test_callback_button_press_reaches_the_bot_and_its_answer_shows(open_page, bot, user):
    keyboard = {"inline_keyboard": [[{"text": "Vote", "callback_data": "vote:42"}]]}
    sent = bot.call("sendMessage", chat_id=user["id"], text="Poll", reply_markup=keyboard)
    page = open_page()
    open_chat(page, user["id"])
    message(page, sent["message_id"]).get_by_test_id("message-button").click()

    query = bot.next_update("callback_query")
    assert query["data"] == "vote:42"
    assert query["from"]["id"] == user["id"]
    assert query["message"]["message_id"] == sent["message_id"]
    bot.call("answerCallbackQuery", callback_query_id=query["id"], text="Counted!")
    expect(page.get_by_test_id("callback-answer")).to_have_text("Counted!")


def test_typed_command_arrives_with_a_bot_command_entity(open_page, bot, user):
    page = open_page()
    open_chat(page, user["id"])
    box = page.get_by_test_id("message-input")
    box.fill("/help me")
    box.press("Enter")

    update = bot.next_update("message")
    assert update["text"] == "/help me"
    assert update["entities"] == [{"offset": 0, "length": 5, "type": "bot_command"}]
    assert update["from"]["id"] == user["id"]
    expect(box).to_have_value("")
    mine = message(page, update["message_id"])
    expect(mine).to_have_attribute("data-from", "user")
    expect(mine).to_contain_text("/help me")


@pytest.mark.parametrize(
    ("name", "mime", "content", "kind"),
    [
        ("cat.png", "image/png", fake_png(300, 200), "photo"),
        ("notes.txt", "text/plain", b"shopping list\n", "document"),
        ("dance.gif", "image/gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "animation"),
        ("hello.ogg", "audio/ogg", b"OggS\x00\x02" + bytes(32), "voice"),
    ],
)
def test_attached_file_arrives_as_an_upload_the_bot_can_download(
    open_page, bot, user, name, mime, content, kind
):
    page = open_page()
    open_chat(page, user["id"])
    page.get_by_test_id("message-input").fill("look at this")
    page.get_by_test_id("attach-input").set_input_files(
        files=[{"name": name, "mimeType": mime, "buffer": content}]
    )

    update = bot.next_update("message")
    media = update[kind]
    file_id = media[-1]["file_id"] if kind == "photo" else media["file_id"]
    assert bot.download(file_id) == content
    assert update["caption"] == "look at this"
    shown = message(page, update["message_id"])
    expect(shown).to_have_attribute("data-from", "user")
    if kind == "photo":
        wait_image_loaded(page, shown.get_by_test_id("message-photo"))
    elif kind == "animation":
        wait_image_loaded(page, shown.get_by_test_id("message-animation"))
    else:
        expect(shown.get_by_test_id("message-attachment")).to_have_attribute("data-kind", kind)


def test_admin_deep_link_and_forwarding(open_page, bot, sandbox, user):
    other = sandbox.create_user("Bob", last_name="Stone")
    page = open_page()
    open_chat(page, user["id"])
    page.get_by_test_id("deep-link").click()
    assert bot.next_update("message")["text"] == f"/start {ADMIN_KEY}"

    page.get_by_test_id("forward-open").click()
    page.get_by_test_id("forward-search").fill("Bob")
    expect(page.get_by_test_id("forward-from").locator("option")).to_have_count(1)
    page.get_by_test_id("forward-from").select_option(str(other["id"]))
    page.get_by_test_id("forward-text").fill("Bob says hi")
    page.get_by_test_id("forward-send").click()

    update = bot.next_update("message")
    assert update["text"] == "Bob says hi"
    assert update["forward_origin"]["sender_user"]["id"] == other["id"]
    assert update["from"]["id"] == user["id"]
    expect(message(page, update["message_id"]).get_by_test_id("message-forwarded")).to_have_text(
        "Forwarded from Bob Stone"
    )


def test_reply_keyboard_sends_its_text_and_hides_when_one_time(open_page, bot, user):
    keyboard = {"keyboard": [["Yes", "No"]], "one_time_keyboard": True, "resize_keyboard": True}
    bot.call("sendMessage", chat_id=user["id"], text="Subscribe?", reply_markup=keyboard)
    page = open_page()
    open_chat(page, user["id"])
    keys = page.get_by_test_id("reply-keyboard-button")
    expect(keys).to_have_text(["Yes", "No"])
    keys.filter(has_text="Yes").click()
    assert bot.next_update("message")["text"] == "Yes"
    expect(page.get_by_test_id("reply-keyboard")).to_be_hidden()
