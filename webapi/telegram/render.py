"""The one place that turns a mailing into Telegram calls: the engine, test sends and previews use it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from webapi import placeholders
from webapi.message_rules import fits_caption
from webapi.placeholders import Template
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
    """One Bot API call without its chat: the method and its parameters.

    A call whose text or button links hold placeholders keeps them compiled (`personal`): the text
    or caption's template, and one per button link (None for a link without any).
    """

    method: str
    params: dict = field(default_factory=dict)
    personal: tuple[tuple[str, Template] | None, tuple[Template | None, ...]] | None = None

    @classmethod
    def of(cls, method: str, params: dict) -> TelegramCall:
        """The call, its placeholders compiled if it has any."""
        key = "text" if "text" in params else "caption"
        text = (key, Template.of(params[key])) if placeholders.has_any(params.get(key) or "") else None
        links = tuple(
            Template.of(row[0]["url"]) if placeholders.has_any(row[0]["url"]) else None
            for row in params.get("reply_markup", {}).get("inline_keyboard", [])
        )
        if text is None and not any(links):
            return cls(method, params)
        return cls(method, params, (text, links))

    def to(self, chat_id: int, paid_broadcast: bool = False, names: Mapping[str, str] | None = None) -> dict:
        """The parameters addressed to `chat_id` (with `allow_paid_broadcast` when paid sending is on),
        its placeholders filled in with `names` (values as `placeholders.values_of` gives them)."""
        params = {"chat_id": chat_id, **self.params}
        if paid_broadcast:
            params["allow_paid_broadcast"] = True
        if self.personal is not None:
            self._personalize(params, names or {})
        return params

    def _personalize(self, params: dict, names: Mapping[str, str]) -> None:
        text, links = self.personal
        if text is not None:
            params[text[0]] = text[1].render(names, placeholders.escape_html)
        if any(links):
            rows = params["reply_markup"]["inline_keyboard"]
            params["reply_markup"] = {
                "inline_keyboard": [
                    row if link is None else [{**row[0], "url": link.render(names, placeholders.escape_url)}]
                    for row, link in zip(rows, links, strict=True)
                ]
            }


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
        return [TelegramCall.of("sendMessage", params)]
    kind = media["type"]
    media_params = {kind: media["file_id"]}
    if not _has_text(text) or fits_caption(text):
        if _has_text(text):
            media_params.update(caption=text, **html)
        if markup:
            media_params["reply_markup"] = markup
        return [TelegramCall.of(MEDIA_METHODS[kind], media_params)]
    # Too long for a caption: the media goes first, then the text carries the buttons.
    text_params = {"text": text, **html}
    if markup:
        text_params["reply_markup"] = markup
    return [TelegramCall.of(MEDIA_METHODS[kind], media_params), TelegramCall.of("sendMessage", text_params)]
