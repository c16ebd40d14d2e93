"""Stock pyTelegramBotAPI against the sandbox: polling, commands, buttons, photos both ways."""

import threading

import pytest
import telebot
from telebot import types

from telegram_sandbox.media import fake_png


@pytest.fixture
def polling_bot(telebot_urls, sandbox, token):
    """A TeleBot whose handlers are registered by the test; polling runs in a thread."""
    bot = telebot.TeleBot(token, threaded=False)
    thread = threading.Thread(
        target=lambda: bot.polling(non_stop=True, interval=0, timeout=5, long_polling_timeout=1), daemon=True
    )
    bot.start = thread.start
    yield bot
    bot.stop_polling()
    thread.join(timeout=10)
    assert not thread.is_alive()


def test_start_command_gets_html_reply_with_keyboard_and_button_press_is_answered(
    polling_bot, sandbox, user, wait_until
):
    seen = {}

    @polling_bot.message_handler(commands=["start"])
    def start(message):
        seen["payload"] = message.text.split(maxsplit=1)[1]
        keyboard = types.InlineKeyboardMarkup()
        keyboard.row(
            types.InlineKeyboardButton("Yes", callback_data="answer:yes"),
            types.InlineKeyboardButton("Site", url="https://example.com/"),
        )
        polling_bot.send_message(
            message.chat.id, "<b>Welcome</b>, <i>Ann</i> &amp; co", parse_mode="HTML", reply_markup=keyboard
        )

    @polling_bot.callback_query_handler(func=lambda call: True)
    def pressed(call):
        seen["data"] = call.data
        polling_bot.answer_callback_query(call.id, text="Noted")

    polling_bot.start()
    update = sandbox.send_text(user["id"], "/start hello")
    assert update["message"]["entities"] == [{"offset": 0, "length": 6, "type": "bot_command"}]

    messages = wait_until(lambda: sandbox.messages(user["id"]), message="the bot's reply")
    reply = messages[0]
    assert seen["payload"] == "hello"
    assert reply["text"] == "Welcome, Ann & co"
    assert reply["entities"] == [
        {"offset": 0, "length": 7, "type": "bold"},
        {"offset": 9, "length": 3, "type": "italic"},
    ]
    assert reply["reply_markup"]["inline_keyboard"][0][0] == {"text": "Yes", "callback_data": "answer:yes"}
    assert reply["from"]["is_bot"] is True

    press = sandbox.press(user["id"], reply["message_id"], "answer:yes")
    assert press["callback_query"]["message"]["message_id"] == reply["message_id"]
    answers = wait_until(lambda: sandbox.callback_answers(), message="answerCallbackQuery")
    assert answers[0]["callback_query_id"] == press["callback_query"]["id"]
    assert answers[0]["text"] == "Noted"
    assert seen["data"] == "answer:yes"


def test_photo_uploaded_by_the_bot_is_resent_by_file_id(telebot_urls, sandbox, user, token):
    bot = telebot.TeleBot(token)
    first = bot.send_photo(user["id"], fake_png(640, 480), caption="<b>One</b>", parse_mode="HTML")
    assert 2 <= len(first.photo) <= 3
    assert first.photo[-1].width == 640
    assert first.caption == "One"
    again = bot.send_photo(user["id"], first.photo[-1].file_id, caption="<b>One</b>", parse_mode="HTML")
    assert [size.file_unique_id for size in again.photo] == [size.file_unique_id for size in first.photo]
    messages = sandbox.messages(user["id"])
    assert [m["copies"] for m in messages] == [2, 2]


def test_photo_sent_by_a_user_is_received_and_downloadable(polling_bot, sandbox, user, wait_until):
    received = []

    @polling_bot.message_handler(content_types=["photo"])
    def photo(message):
        info = polling_bot.get_file(message.photo[-1].file_id)
        received.append((message.caption, polling_bot.download_file(info.file_path)))

    polling_bot.start()
    update = sandbox.send_media(user["id"], "photo", content=fake_png(320, 200), caption="look")
    assert update["message"]["photo"][-1]["width"] == 320
    caption, content = wait_until(lambda: received and received[0], message="the photo handler")
    assert caption == "look"
    assert content == fake_png(320, 200)


def test_document_by_url_and_generated_user_voice(telebot_urls, sandbox, user, token):
    bot = telebot.TeleBot(token)
    document = bot.send_document(user["id"], "https://example.com/files/report.pdf")
    assert document.document.file_name == "report.pdf"
    assert document.document.mime_type == "application/pdf"
    voice = sandbox.send_media(user["id"], "voice")["message"]["voice"]
    sent = bot.send_voice(user["id"], voice["file_id"])
    assert sent.voice.file_unique_id == voice["file_unique_id"]
    with pytest.raises(telebot.apihelper.ApiTelegramException) as error:
        bot.send_photo(user["id"], voice["file_id"])
    assert error.value.description == "Bad Request: can't use file of type Voice as Photo"
