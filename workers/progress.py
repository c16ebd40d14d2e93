"""The author's live progress message: a bar, counts, rate, ETA and Pause / Resume / Cancel buttons."""

from __future__ import annotations

import logging

from flask import current_app

from webapi.extensions import db
from webapi.models import Mailing, User
from webapi.services import sending
from webapi.services.mailings import delivery_counts
from workers import sender
from workers.context import redis, telegram
from workers.texts import language_of, t

log = logging.getLogger(__name__)

EDIT_INTERVAL = 5  # seconds between edits of one progress message
BAR_WIDTH = 20


def escape_html(value: str) -> str:
    """Escape text for Telegram HTML."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def duration_text(seconds: float | None) -> str:
    """Seconds as m:ss or h:mm:ss; a dash when unknown."""
    if seconds is None:
        return "—"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def progress_text(mailing: Mailing, counts: dict[str, int], figures: dict, language: str = "en") -> str:
    """The progress message body (HTML)."""
    total = sum(counts.values()) or 1
    filled = round(BAR_WIDTH * figures["done"] / total)
    bar = "█" * filled + "░" * (BAR_WIDTH - filled)
    percent = 100 * figures["done"] // total
    lines = [
        f"<b>{escape_html(mailing.name)}</b> — {t(language, mailing.status)}",
        f"{bar} {percent}%",
        t(language, "counts", left=figures["pending"], **counts),
        t(
            language,
            "speed",
            rate=figures["rate"],
            elapsed=duration_text(figures["elapsed"]),
            eta=duration_text(figures["eta"]),
        ),
    ]
    return "\n".join(lines)


def control_keyboard(mailing: Mailing, language: str = "en") -> dict:
    """Pause or Resume, and Cancel, while the mailing can still change; none after it ends."""
    row = []
    if mailing.status == "sending":
        row.append({"text": t(language, "pause"), "callback_data": f"mc:pause:{mailing.id}"})
    if mailing.status == "paused":
        row.append({"text": t(language, "resume"), "callback_data": f"mc:resume:{mailing.id}"})
    if mailing.status in ("sending", "paused"):
        row.append({"text": t(language, "cancel"), "callback_data": f"mc:cancel:{mailing.id}"})
    return {"inline_keyboard": [row] if row else []}


def _render(mailing: Mailing) -> dict:
    counts = delivery_counts(mailing.id)
    figures = sending.progress(mailing, counts)
    author = db.session.get(User, mailing.author_tg_id) if mailing.author_tg_id else None
    language = language_of(
        author.language_code if author else None, current_app.config["SETTINGS"].bot_language
    )
    return {
        "text": progress_text(mailing, counts, figures, language),
        "parse_mode": "HTML",
        "reply_markup": control_keyboard(mailing, language),
    }


def announce(mailing_id: int) -> bool:
    """Send the progress message to the author once; remember where it is."""
    mailing = db.session.get(Mailing, mailing_id)
    if mailing is None or mailing.author_tg_id is None or mailing.progress_message_id is not None:
        return False
    # One announcer per mailing even when start jobs race.
    if not redis().set(f"rassylka:progress-announce:{mailing_id}", 1, nx=True, ex=3600):
        return False
    params = {"chat_id": mailing.author_tg_id, **_render(mailing)}
    db.session.rollback()  # no transaction stays open across the HTTP call
    client, limiter = telegram()
    limiter.acquire()
    outcome = client.call("sendMessage", params)
    if outcome.kind != sender.SENT:
        log.info("mailing %s: progress message not sent: %s", mailing_id, outcome.description)
        return False
    mailing = db.session.get(Mailing, mailing_id)
    mailing.progress_chat_id = mailing.author_tg_id
    mailing.progress_message_id = outcome.message_id
    db.session.commit()
    return True


def update(mailing_id: int, force: bool = False) -> bool:
    """Edit the progress message, at most once per EDIT_INTERVAL unless `force`."""
    mailing = db.session.get(Mailing, mailing_id)
    if mailing is None or mailing.progress_message_id is None:
        return False
    if not force and not redis().set(f"rassylka:progress-edit:{mailing_id}", 1, nx=True, ex=EDIT_INTERVAL):
        return False
    params = {
        "chat_id": mailing.progress_chat_id,
        "message_id": mailing.progress_message_id,
        **_render(mailing),
    }
    db.session.rollback()
    client, limiter = telegram()
    limiter.acquire()
    outcome = client.call("editMessageText", params)
    if outcome.kind != sender.SENT and "not modified" not in outcome.description:
        log.info("mailing %s: progress not edited: %s", mailing_id, outcome.description)
        return False
    return True
