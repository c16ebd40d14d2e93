"""The one place that turns a mailing into Telegram calls: the engine, test sends and previews use it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from webapi import placeholders
from webapi.click_links import MailingLinks, trackable
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
    or caption's template, and one per button link (None for a link without any). A call whose
    buttons go through the click redirect keeps the mailing's links and each button's position
    (`clicks`; None for a button sent as written).
    """

    method: str
    params: dict = field(default_factory=dict)
    personal: tuple[tuple[str, Template] | None, tuple[Template | None, ...]] | None = None
    clicks: tuple[MailingLinks, tuple[int | None, ...]] | None = None

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

    def with_clicks(self, links: MailingLinks) -> TelegramCall:
        """The call with its http(s) buttons going through the click redirect (row n is button n).

        Those buttons' own placeholders are filled in by the redirect, so none are kept here."""
        rows = self.params.get("reply_markup", {}).get("inline_keyboard", [])
        positions = tuple(n if trackable(row[0]["url"]) else None for n, row in enumerate(rows))
        if not any(position is not None for position in positions):
            return self
        personal = self.personal
        if personal is not None:
            text, templates = personal
            templates = tuple(None if n is not None else t for n, t in zip(positions, templates, strict=True))
            personal = None if text is None and not any(templates) else (text, templates)
        return TelegramCall(self.method, self.params, personal, (links, positions))

    def to(
        self,
        chat_id: int,
        paid_broadcast: bool = False,
        names: Mapping[str, str] | None = None,
        user_id: int | None = None,
    ) -> dict:
        """The parameters addressed to `chat_id` (with `allow_paid_broadcast` when paid sending is on),
        its placeholders filled in with `names` (values as `placeholders.values_of` gives them) and,
        given the recipient's `user_id`, its buttons' click links."""
        params = {"chat_id": chat_id, **self.params}
        if paid_broadcast:
            params["allow_paid_broadcast"] = True
        if self.personal is not None:
            self._personalize(params, names or {})
        if self.clicks is not None and user_id is not None:
            self._link_clicks(params, user_id)
        return params

    def _link_clicks(self, params: dict, user_id: int) -> None:
        links, positions = self.clicks
        rows = params["reply_markup"]["inline_keyboard"]
        params["reply_markup"] = {
            "inline_keyboard": [
                row if position is None else [{**row[0], "url": links.url(position, user_id)}]
                for row, position in zip(rows, positions, strict=True)
            ]
        }

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


def render(content: dict, clicks: MailingLinks | None = None) -> list[TelegramCall]:
    """The calls that deliver a mailing: text, or media with caption, or media then text (buttons last);
    given the mailing's `clicks` links, its http(s) buttons go through the click redirect."""
    calls = _calls(content)
    return calls if clicks is None else [call.with_clicks(clicks) for call in calls]


def _calls(content: dict) -> list[TelegramCall]:
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
