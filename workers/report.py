"""The closing report to every active moderator and admin, with a CSV of those not reached."""

from __future__ import annotations

import csv
import io
import logging

from flask import current_app
from sqlalchemy import text

from webapi.extensions import db
from webapi.models import Mailing, ReportRecipient, User
from webapi.services import reports, sending
from webapi.services.mailings import delivery_counts
from workers import sender
from workers.context import telegram
from workers.progress import duration_text, escape_html
from workers.texts import TEXTS, language_of, t

log = logging.getLogger(__name__)

NOT_REACHED = ("blocked", "failed", "unknown", "cancelled")
TOP_REASONS = 5
SEND_TRIES = 5


def report_text(
    mailing: Mailing, counts: dict[str, int], reasons: list[tuple[str, int]], language: str = "en"
) -> str:
    """The report body (HTML)."""
    figures = sending.progress(mailing, counts)
    lines = [
        t(language, "report_title", name=escape_html(mailing.name)),
        t(language, "recipients", n=sum(counts.values())),
        *(t(language, status, n=counts[status]) for status in ("sent", "blocked", "failed", "unknown")),
    ]
    if counts["cancelled"]:
        lines.append(t(language, "cancelled_n", n=counts["cancelled"]))
    lines += [
        t(language, "duration", d=duration_text(figures["elapsed"])),
        t(language, "average", rate=figures["rate"]),
    ]
    if reasons:
        lines.append(t(language, "reasons"))
        lines += [f"• {escape_html(reason[:200])} — {count}" for reason, count in reasons]
    return "\n".join(lines)


def top_reasons(mailing_id: int) -> list[tuple[str, int]]:
    """The most common errors among recipients not reached."""
    rows = db.session.execute(
        text(
            "SELECT last_error, count(*) AS n FROM deliveries "
            "WHERE mailing_id = :m AND status IN ('blocked', 'failed', 'unknown') AND last_error IS NOT NULL "
            "GROUP BY last_error ORDER BY n DESC, last_error LIMIT :k"
        ),
        {"m": mailing_id, "k": TOP_REASONS},
    ).all()
    return [(row.last_error, row.n) for row in rows]


def not_reached_csv(mailing_id: int) -> bytes | None:
    """user_id, chat_id, status, reason of everyone not reached; None when everyone was."""
    rows = db.session.execute(
        text(
            "SELECT user_id, chat_id, status, last_error FROM deliveries "
            "WHERE mailing_id = :m AND status = ANY(:statuses) ORDER BY id"
        ),
        {"m": mailing_id, "statuses": list(NOT_REACHED)},
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["user_id", "chat_id", "status", "reason"])
    count = 0
    for row in rows:
        writer.writerow([row.user_id, row.chat_id, row.status, row.last_error or ""])
        count += 1
    return buffer.getvalue().encode() if count else None


def _send(client, limiter, method: str, params: dict, files: dict | None = None) -> sender.Outcome:
    outcome = sender.Outcome(sender.TRANSIENT, description="not tried")
    for _ in range(SEND_TRIES):
        limiter.acquire()
        outcome = client.call(method, params, files=files)
        if outcome.kind == sender.RETRY_AFTER:
            limiter.hold(outcome.retry_after)
            continue
        # Anything else, even a transient error, is final: a report is sent at most once.
        break
    return outcome


def send_report(mailing_id: int) -> int:
    """Send the report's copies still pending; returns how many went out (0 when it is not due)."""
    client, limiter = telegram()
    if not reports.start(db.engine, mailing_id):
        return 0
    mailing = db.session.get(Mailing, mailing_id)
    counts = delivery_counts(mailing_id)
    reasons = top_reasons(mailing_id)
    default = current_app.config["SETTINGS"].bot_language
    bodies = {language: report_text(mailing, counts, reasons, language) for language in TEXTS}
    attachment = not_reached_csv(mailing_id)
    languages = dict(
        db.session.execute(
            db.select(User.tg_id, User.language_code)
            .join(ReportRecipient, ReportRecipient.tg_id == User.tg_id)
            .where(ReportRecipient.mailing_id == mailing_id)
        ).all()
    )
    db.session.rollback()
    reached = 0
    while (chat_id := reports.claim(db.engine, mailing_id)) is not None:
        language = language_of(languages.get(chat_id), default)
        params = {"chat_id": chat_id, "text": bodies[language], "parse_mode": "HTML"}
        outcome = _send(client, limiter, "sendMessage", params)
        if outcome.kind == sender.SENT and attachment is not None:
            files = {"document": (f"mailing-{mailing_id}-not-reached.csv", attachment, "text/csv")}
            caption = {"chat_id": chat_id, "caption": t(language, "csv_caption")}
            _send(client, limiter, "sendDocument", caption, files)
        sent = outcome.kind == sender.SENT
        reports.close(db.engine, mailing_id, chat_id, sent, None if sent else outcome.description)
        if sent:
            reached += 1
        else:
            log.info("mailing %s: report to a staff member not sent: %s", mailing_id, outcome.description)
    reports.finish(db.engine, mailing_id)
    return reached
