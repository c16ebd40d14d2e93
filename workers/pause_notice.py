"""The message a mailing that paused itself sends: why, with ▶️ Resume and ⏹ Cancel under it.

A failed canary tells its author and every moderator and admin who wants reports (they decide
whether the rest goes); an auto-pause tells the author. The buttons are the progress message's
(`mc:resume:<id>`, `mc:cancel:<id>`), which the bot answers by calling the API's resume and cancel.
Only the caller whose conditional UPDATE paused the mailing sends it, so it goes out once.
"""

from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import select

from webapi.extensions import db
from webapi.models import Mailing, User
from webapi.services import auto_pause
from webapi.settings import language_for
from webapi.telegram import outcomes, telegram
from webapi.telegram.paced import Patience, send_paced
from workers.progress import control_keyboard, escape_html
from workers.texts import t

log = logging.getLogger(__name__)


def recipients(mailing: Mailing) -> list[User]:
    """Who hears of the pause: the author; for a failed canary also the staff who want reports."""
    chosen = select(User).where(User.status != "blocked")
    if mailing.pause_reason.get("code") == auto_pause.CANARY:
        staff = User.role.in_(("moderator", "admin")) & User.wants_reports
        chosen = chosen.where(staff | (User.tg_id == mailing.author_tg_id))
    else:
        chosen = chosen.where(User.tg_id == mailing.author_tg_id)
    return list(db.session.scalars(chosen.order_by(User.tg_id)))


def notice_text(mailing: Mailing, language: str) -> str:
    """Why the mailing paused (HTML), with the most common errors."""
    reason = mailing.pause_reason
    figures = {
        "name": escape_html(mailing.name),
        "mailing_id": mailing.id,
        "sends": reason.get("sends", 0),
        "share": reason.get("share", 0.0),
        "limit": reason.get("max_failure_share", 0.0),
        "failed": reason.get("failed", 0),
    }
    if reason.get("code") == auto_pause.CANARY:
        counts = {key: reason.get(key, 0) for key in ("blocked", "unknown")}
        failures = figures["failed"] + counts["blocked"] + counts["unknown"]
        lines = [t(language, "paused_canary", failures=failures, **counts, **figures)]
    else:
        lines = [t(language, "paused_auto", **figures)]
    errors = reason.get("errors") or []
    if errors:
        lines += ["", t(language, "reasons")]
        lines += [
            t(language, "pause_error", error=escape_html(item["error"] or "—"), count=item["count"])
            for item in errors
        ]
    return "\n".join(lines)


def tell(mailing_id: int) -> int:
    """Send the pause message of a mailing that paused itself; how many people got it."""
    mailing = db.session.get(Mailing, mailing_id)
    if mailing is None or mailing.status != "paused" or not mailing.pause_reason:
        return 0
    fallback = current_app.config["SETTINGS"].bot_language
    messages = []
    for user in recipients(mailing):
        language = language_for(user.language_code, fallback)
        messages.append(
            {
                "chat_id": user.tg_id,
                "text": notice_text(mailing, language),
                "parse_mode": "HTML",
                "reply_markup": control_keyboard(mailing, language),
            }
        )
    db.session.rollback()  # no transaction stays open across the HTTP calls
    client, limiter = telegram()
    reached = 0
    for params in messages:
        outcome = send_paced(client, limiter, "sendMessage", params, patience=Patience(refused=()))
        if outcome.kind == outcomes.SENT:
            reached += 1
        else:
            log.warning(
                "mailing %s: pause message to %s not sent: %s",
                mailing_id,
                params["chat_id"],
                outcome.description,
            )
    return reached
