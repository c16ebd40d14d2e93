"""The `make run` demo in a browser: the sandbox page in headless Chromium against the whole stack.

A user subscribes; the admin claims the key through the deep link, composes a mailing with two buttons
and an uploaded photo, previews it and saves it for now; seeded subscribers' chats show it; the engine's
Pause / Resume buttons are answered.
Screenshots go to test-artifacts/screenshots/ (and to docs/screenshots/ with UPDATE_DOCS_SCREENSHOTS=1).
"""

import os
import shutil
import struct
import uuid
import zlib

import pytest
from playwright.sync_api import expect

from tests.system.conftest import DEMO_FIRST_ID, ROOT, SCREENSHOTS
from tests.telegram_sandbox.browser_bot import open_chat, wait_image_loaded

DOCS = ROOT / "docs" / "screenshots"
BUTTONS = [("Shop the sale", "https://example.org/sale"), ("Opening hours", "https://example.org/hours")]
VIEWPORT = {"width": 840, "height": 900}
REPLY_MS = 30_000
SENDING_MS = 180_000  # about 300 messages at 25/s, a pause and a resume

pytestmark = pytest.mark.timeout(900)


def gradient_png(width: int = 480, height: int = 270) -> bytes:
    """A small PNG: an autumn gradient with a light band, so a screenshot shows a real picture."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = bytearray()
    for y in range(height):
        rows.append(0)
        band = 60 if height * 0.45 < y < height * 0.55 else 0
        for x in range(width):
            rows += bytes(
                (
                    min(255, 200 + 55 * x // width + band),
                    min(255, 60 + 120 * y // height + band),
                    min(255, 30 + 40 * x // width + band),
                )
            )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + (chunk(b"IEND", b""))
    )


def bot_says(page, text: str, timeout: float = REPLY_MS):
    """The newest bot message in the open chat that contains `text` (waits until it is shown)."""
    found = page.locator('[data-testid="chat-message"][data-from="bot"]').filter(has_text=text).last
    expect(found).to_be_visible(timeout=timeout)
    return found


def press(message, data_suffix: str) -> None:
    """Click the message's inline button whose callback_data ends with `data_suffix`."""
    message.locator(f'[data-testid="message-button"][data-callback-data$="{data_suffix}"]').click()


def write(page, text: str) -> None:
    """Type into the input line and press Enter, as a person does."""
    box = page.get_by_test_id("message-input")
    box.fill(text)
    box.press("Enter")
    expect(box).to_have_value("")


def create_user(page, name: str) -> int:
    """Create a user with the page's form (language en); the page opens their chat. Returns the id."""
    page.get_by_test_id("new-user-name").fill(name)
    page.get_by_test_id("new-user-language").select_option("en")
    page.get_by_test_id("new-user-create").click()
    title = page.get_by_test_id("chat-title")
    expect(title).to_contain_text(name)
    return int(title.inner_text().rsplit("·", 1)[1])


def toast(page, text: str) -> None:
    """The answer to a pressed callback button, shown as a toast."""
    expect(page.get_by_test_id("callback-answer")).to_have_text(text, timeout=REPLY_MS)


def screenshot(page, name: str) -> None:
    """Save test-artifacts/screenshots/system-<name>.png (UPDATE_DOCS_SCREENSHOTS=1: also in docs/)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"system-{name}.png"
    page.screenshot(path=str(path))
    assert path.stat().st_size > 0
    if os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1":
        DOCS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS / f"{name}.png")


def test_demo_in_the_browser_from_subscribing_to_the_report(stack, browser):
    run = stack.ensure_running()
    marker = uuid.uuid4().hex[:6]
    name = f"Autumn sale {marker}"
    text = (
        f"<b>Autumn sale</b> is on: <i>everything</i> at <u>half price</u> until Sunday ({marker}). "
        '<a href="https://example.org/sale">See the catalogue</a>'
    )
    expect.set_options(timeout=15_000)
    context = browser.new_context(viewport=VIEWPORT)
    errors: list[str] = []
    try:
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(run.sandbox_url + "/")
        expect(page.get_by_test_id("bot-name")).not_to_have_text("waiting for a bot…", timeout=REPLY_MS)

        # A person subscribes.
        create_user(page, "Sveta")
        write(page, "/start")
        bot_says(page, "You are subscribed")

        # The admin claims the key through the deep link and composes the mailing.
        create_user(page, "Anna")
        expect(page.get_by_test_id("deep-link")).to_be_enabled()
        page.get_by_test_id("deep-link").click()
        bot_says(page, "You are an admin now")
        write(page, "/newmailing")
        bot_says(page, "internal name")
        write(page, name)
        bot_says(page, "Send the text of the mailing")
        write(page, text)
        bot_says(page, "When to send it?")
        write(page, "now")
        menu = bot_says(page, "Send time: now")
        for number, (label, url) in enumerate(BUTTONS, start=1):
            press(menu, ":addbtn")
            bot_says(page, f"Send the label of button {number}")
            write(page, label)
            bot_says(page, f"Send the link for “{label}”")
            write(page, url)
            menu = bot_says(page, f"{number}. {label} → {url}")
        press(menu, ":media")
        bot_says(page, "Send one photo")
        page.get_by_test_id("attach-input").set_input_files(
            files=[{"name": "autumn.png", "mimeType": "image/png", "buffer": gradient_png()}]
        )
        bot_says(page, "Attached: photo")
        menu = bot_says(page, "Media: photo")

        # The preview: exactly what subscribers will get, then the menu again.
        press(menu, ":preview")
        toast(page, "Preview sent")
        preview = (
            page.locator('[data-testid="chat-message"][data-from="bot"]')
            .filter(has_text=marker, has=page.get_by_test_id("message-photo"))
            .last
        )
        expect(preview).to_be_visible(timeout=REPLY_MS)
        wait_image_loaded(page, preview.get_by_test_id("message-photo"))
        expect(preview.get_by_test_id("message-caption").locator("b")).to_have_text("Autumn sale")
        expect(preview.get_by_test_id("message-button")).to_contain_text([label for label, _ in BUTTONS])
        bot_messages = page.locator('[data-testid="chat-message"][data-from="bot"]')
        expect(bot_messages.last).to_contain_text("Media: photo")
        menu = bot_messages.last
        expect(page.get_by_test_id("callback-answer")).to_be_hidden()  # the toast fades after 4 s
        screenshot(page, "admin-constructor")

        press(menu, ":save")
        confirm = bot_says(page, f"Save {name}?")
        press(confirm, ":saveok")
        toast(page, "Saved")
        bot_says(page, "is being sent now")

        # The engine's progress message: its callback buttons are answered.
        progress = page.locator('[data-testid="chat-message"]').filter(
            has=page.locator('[data-callback-data^="mc:pause:"]')
        )
        expect(progress).to_have_count(1, timeout=REPLY_MS)
        progress.locator('[data-callback-data^="mc:pause:"]').click()
        toast(page, "Paused")
        resume = page.locator('[data-callback-data^="mc:resume:"]')
        expect(resume).to_have_count(1, timeout=REPLY_MS)
        resume.click()
        toast(page, "Resumed")
        bot_says(page, f"Mailing finished: {name}", timeout=SENDING_MS)

        # Three seeded subscribers got the photo, the formatted caption and both buttons.
        for number, user in enumerate(range(DEMO_FIRST_ID, DEMO_FIRST_ID + 3)):
            open_chat(page, user)
            expect(page.get_by_test_id("chat-title")).to_contain_text(str(user))
            got = page.locator('[data-testid="chat-message"]').filter(has_text=marker)
            expect(got).to_have_count(1, timeout=REPLY_MS)
            wait_image_loaded(page, got.get_by_test_id("message-photo"))
            caption = got.get_by_test_id("message-caption")
            expect(caption.locator("b")).to_have_text("Autumn sale")
            expect(caption.locator("i")).to_have_text("everything")
            expect(caption.locator("u")).to_have_text("half price")
            expect(caption.locator("a")).to_have_attribute("href", "https://example.org/sale")
            shown = got.get_by_test_id("message-button")
            expect(shown).to_contain_text([label for label, _ in BUTTONS])
            for index, (_, url) in enumerate(BUTTONS):
                expect(shown.nth(index)).to_have_attribute("data-kind", "url")
                expect(shown.nth(index)).to_have_attribute("href", url)
            if number == 0:
                got.scroll_into_view_if_needed()
                screenshot(page, "received-mailing")
    finally:
        context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"
