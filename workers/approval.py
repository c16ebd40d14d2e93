"""Messages of two-person approval: the approvers asked after a save, and reminded while a due mailing waits.

Approvers are the admins and moderators other than the mailing's author who have not blocked the bot.
Each message is a card of the mailing (name, time, recipients, author) with *Approve* and *Preview*
buttons the bot handles (`ap:ok:<id>:<version>`, `ap:view:<id>`); the author's reminder has none.
Each round is claimed in Postgres first (webapi/services/approval.py), so duplicate or concurrent
jobs send it once; a message Telegram does not take is logged and not tried again (the next reminder
comes anyway).
"""

from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import select

from webapi.extensions import db
from webapi.models import Mailing, User
from webapi.services import approval, ledger
from webapi.settings import language_for
from webapi.telegram import outcomes, telegram
from webapi.telegram.paced import Patience, send_paced
from workers.progress import escape_html
from workers.texts import t

log = logging.getLogger(__name__)

SEND_PATIENCE = Patience(rate_limited=5, refused=(0.5, 1.0, 2.0))


def approvers(mailing: Mailing) -> list[User]:
    """Admins and moderators who may approve the mailing (not its author) and can be reached."""
    query = select(User).where(User.role.in_(("moderator", "admin")), User.status != "blocked")
    if mailing.author_tg_id is not None:
        query = query.where(User.tg_id != mailing.author_tg_id)
    return list(db.session.scalars(query.order_by(User.tg_id)))


def card(mailing: Mailing, language: str, key: str) -> str:
    """The mailing's card under the heading `key` (HTML)."""
    settings = current_app.config["SETTINGS"]
    local = mailing.send_at.astimezone(settings.timezone)
    author = db.session.get(User, mailing.author_tg_id) if mailing.author_tg_id else None
    if author is not None:
        who = " ".join(part for part in (author.first_name, author.last_name) if part) or str(author.tg_id)
        who += f" (@{author.username})" if author.username else ""
    else:
        who = mailing.created_by or "—"
    return t(
        language,
        key,
        name=escape_html(mailing.name),
        mailing_id=mailing.id,
        send_at=f"{local:%d.%m.%Y %H:%M} {local.tzname()} ({settings.timezone.key})",
        audience=ledger.audience_size(mailing.segment)[0],
        author=escape_html(who),
    )


def approve_keyboard(mailing: Mailing, language: str) -> dict:
    """Approve (this version) and Preview."""
    return {
        "inline_keyboard": [
            [
                {"text": t(language, "approve"), "callback_data": f"ap:ok:{mailing.id}:{mailing.version}"},
                {"text": t(language, "preview"), "callback_data": f"ap:view:{mailing.id}"},
            ]
        ]
    }


def _tell(mailing: Mailing, people: list[tuple[User, str, bool]]) -> int:
    """Send each (user, heading, with buttons) its card; the number that went out."""
    default = current_app.config["SETTINGS"].bot_language
    messages = []
    for user, key, buttons in people:
        language = language_for(user.language_code, default)
        params = {"chat_id": user.tg_id, "text": card(mailing, language, key), "parse_mode": "HTML"}
        if buttons:
            params["reply_markup"] = approve_keyboard(mailing, language)
        messages.append(params)
    db.session.rollback()  # no transaction stays open across the HTTP calls
    client, limiter = telegram()
    sent = 0
    for params in messages:
        outcome = send_paced(client, limiter, "sendMessage", params, patience=SEND_PATIENCE)
        if outcome.kind == outcomes.SENT:
            sent += 1
        else:
            log.info("approval message to %s not sent: %s", params["chat_id"], outcome.description)
    return sent


def ask(mailing_id: int) -> int:
    """After a save: ask the approvers of a mailing that waits for approval (once per save)."""
    if not approval.claim_request(mailing_id):
        return 0
    mailing = db.session.get(Mailing, mailing_id)
    return _tell(mailing, [(user, "approval_ask", True) for user in approvers(mailing)])


def remind(mailing_id: int) -> int:
    """A due mailing still waits for approval: remind its approvers, and tell its author (at most once
    per REMIND_EVERY_SECONDS)."""
    if not approval.claim_reminder(mailing_id):
        return 0
    mailing = db.session.get(Mailing, mailing_id)
    people = [(user, "approval_due", True) for user in approvers(mailing)]
    author = db.session.get(User, mailing.author_tg_id) if mailing.author_tg_id else None
    if author is not None and author.status != "blocked":
        people.insert(0, (author, "approval_due_author" if people else "approval_due_alone", False))
    return _tell(mailing, people)
