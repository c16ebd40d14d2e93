"""The one place that turns a mailing into Telegram calls: the engine, test sends and previews use it."""

from __future__ import annotations

from dataclasses import dataclass, field

from webapi.message_rules import fits_caption
from webapi.telegram_html import parse_html

MEDIA_METHODS = {
    "photo": "sendPhoto",
    "animation": "sendAnimation",
    "video": "sendVideo",
    "document": "sendDocument",
    "audio": "sendAudio",
    "voice": "sendVoice",
}


@dataclass(frozen=True)
class TelegramCall:
    """One Bot API call without its chat: the method and its parameters."""

    method: str
    params: dict = field(default_factory=dict)

    def to(self, chat_id: int, paid_broadcast: bool = False) -> dict:
        """The parameters addressed to `chat_id` (with `allow_paid_broadcast` when paid sending is on)."""
        params = {"chat_id": chat_id, **self.params}
        if paid_broadcast:
            params["allow_paid_broadcast"] = True
        return params


def mailing_content(mailing) -> dict:
    """A Mailing row as the plain dict `render` takes."""
    return {
        "text": mailing.text or "",
        "buttons": [{"text": button.text, "url": button.url} for button in mailing.buttons],
        "media": mailing.media,
    }


def keyboard(buttons: list[dict]) -> dict | None:
    """URL buttons as an inline keyboard, one button per row in the admin's order."""
    if not buttons:
        return None
    return {"inline_keyboard": [[{"text": b["text"], "url": b["url"]}] for b in buttons]}


def _has_text(text: str) -> bool:
    # Telegram trims whitespace, so a text of spaces is no text.
    return bool(text) and bool(parse_html(text).text.strip())


def render(content: dict) -> list[TelegramCall]:
    """The calls that deliver a mailing: text, or media with caption, or media then text (buttons last)."""
    text = content.get("text") or ""
    markup = keyboard(content.get("buttons") or [])
    media = content.get("media")
    html = {"parse_mode": "HTML"}
    if media is None:
        params = {"text": text, **html}
        if markup:
            params["reply_markup"] = markup
        return [TelegramCall("sendMessage", params)]
    kind = media["type"]
    media_params = {kind: media["file_id"]}
    if not _has_text(text) or fits_caption(text):
        if _has_text(text):
            media_params.update(caption=text, **html)
        if markup:
            media_params["reply_markup"] = markup
        return [TelegramCall(MEDIA_METHODS[kind], media_params)]
    # Too long for a caption: the media goes first, then the text carries the buttons.
    text_params = {"text": text, **html}
    if markup:
        text_params["reply_markup"] = markup
    return [TelegramCall(MEDIA_METHODS[kind], media_params), TelegramCall("sendMessage", text_params)]
