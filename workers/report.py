"""The closing report to every active moderator and admin, with a CSV of those not reached.

A staff member's copy is the report's text and, when someone was not reached, that CSV. The copy
is `sent` only when every part was accepted; once its text has gone it is never sent again, so a
CSV that did not follow leaves the copy `unknown` (Telegram's answer was lost or a 5xx) or `failed`
(Telegram refused it), with the reason. The CSV is built once per report job, streamed from
Postgres into a temporary file (gzipped above GZIP_ABOVE), uploaded once and sent to the other
staff by its `file_id`; one too large for Telegram is not attached, and the text says where to
get the list instead.
"""

from __future__ import annotations

import csv
import gzip
import logging
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import text

from webapi.extensions import db
from webapi.models import Mailing, ReportRecipient, User
from webapi.services import clicks, ledger, reports
from webapi.services.mailings import delivery_counts
from webapi.settings import language_for
from webapi.telegram import outcomes, telegram
from webapi.telegram.paced import Patience, send_paced
from workers.progress import duration_text, escape_html
from workers.texts import TEXTS, t

log = logging.getLogger(__name__)

NOT_REACHED = ("blocked", "failed", "unknown", "cancelled")
CSV_HEADER = ("user_id", "chat_id", "status", "reason")
TOP_REASONS = 5
SEND_TRIES = 5  # requests of one part while Telegram answers 429
# Pauses before trying a part again after a connection refused (nothing left us, so no duplicate).
CONNECT_RETRY_DELAYS = (0.5, 1.0, 2.0)
# Telegram takes about one message a second in a chat: the CSV follows the text no sooner.
CHAT_SPACING = 1.0
GZIP_ABOVE = 1024 * 1024  # bytes of CSV
# Telegram's limit for a file a bot uploads is 50 MB; read as decimal megabytes, the safer side.
UPLOAD_LIMIT = 50_000_000
ROWS_PER_FETCH = 2000  # rows of the server-side cursor held in memory at once
NOT_REACHED_API = "/api/v1/mailings/{id}/not-reached"  # the same CSV, from the API


@dataclass
class NotReached:
    """The CSV of recipients not reached, as built for one report job."""

    path: Path
    rows: int
    size: int
    file_id: str | None = None  # once uploaded, the other copies re-send it by this

    @property
    def attachable(self) -> bool:
        """Small enough for Telegram to take as a bot's upload."""
        return self.size <= UPLOAD_LIMIT

    @property
    def mime_type(self) -> str:
        """The upload's content type."""
        return "application/gzip" if self.path.suffix == ".gz" else "text/csv"


def report_text(
    mailing: Mailing,
    counts: dict[str, int],
    reasons: list[tuple[str, int]],
    language: str = "en",
    not_attached: NotReached | None = None,
    button_clicks: list[clicks.ButtonClicks] | None = None,
) -> str:
    """The report body (HTML); given `not_attached`, a CSV too large to attach, it says where to get it;
    given `button_clicks`, each URL button's clicks and click rate, when there are any."""
    figures = ledger.progress(mailing, counts)
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
    if button_clicks and any(button.clicks for button in button_clicks):
        lines.append(t(language, "clicks"))
        lines += [
            t(language, "click_line", text=escape_html(b.text), n=b.clicks, rate=b.rate * 100)
            for b in button_clicks
        ]
    if reasons:
        lines.append(t(language, "reasons"))
        lines += [f"• {escape_html(reason[:200])} — {count}" for reason, count in reasons]
    if not_attached is not None:
        lines += [
            "",
            t(
                language,
                "csv_too_large",
                rows=not_attached.rows,
                mb=not_attached.size / 1_000_000,
                limit=UPLOAD_LIMIT // 1_000_000,
                path=NOT_REACHED_API.format(id=mailing.id),
            ),
        ]
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


def write_not_reached(mailing_id: int, directory: Path) -> NotReached | None:
    """Write user_id, chat_id, status, reason of everyone not reached to a file; None when all were.

    Rows come through a server-side cursor and go straight to disk, so memory stays flat however
    large the mailing; above GZIP_ABOVE the file is gzipped (`.csv.gz`).
    """
    path = directory / f"mailing-{mailing_id}-not-reached.csv"
    query = text(
        "SELECT user_id, chat_id, status, last_error FROM deliveries "
        "WHERE mailing_id = :m AND status = ANY(:statuses) ORDER BY id"
    ).execution_options(yield_per=ROWS_PER_FETCH)
    rows = 0
    try:
        with path.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(CSV_HEADER)
            for row in db.session.execute(query, {"m": mailing_id, "statuses": list(NOT_REACHED)}):
                writer.writerow((row.user_id, row.chat_id, row.status, row.last_error or ""))
                rows += 1
    finally:
        db.session.rollback()  # closes the cursor; no transaction stays open across the sends
    if rows == 0:
        path.unlink()
        return None
    if path.stat().st_size > GZIP_ABOVE:
        packed = path.with_name(path.name + ".gz")
        with path.open("rb") as plain, gzip.open(packed, "wb") as compressed:
            shutil.copyfileobj(plain, compressed, 64 * 1024)
        path.unlink()
        path = packed
    return NotReached(path=path, rows=rows, size=path.stat().st_size)


def _send(client, limiter, method: str, params: dict, upload: NotReached | None = None) -> outcomes.Outcome:
    """One part of a copy, sent at most once: a 429 is waited out, a refused connection tried again.

    Anything that may have reached Telegram (AMBIGUOUS) is final, as is a refusal.
    """

    def document(opened) -> dict:
        return {
            "document": (upload.path.name, opened.enter_context(upload.path.open("rb")), upload.mime_type)
        }

    patience = Patience(rate_limited=SEND_TRIES, refused=CONNECT_RETRY_DELAYS)
    return send_paced(client, limiter, method, params, files=document if upload else None, patience=patience)


def _sent_file_id(outcome: outcomes.Outcome) -> str | None:
    document = outcome.result.get("document") if isinstance(outcome.result, dict) else None
    return document.get("file_id") if isinstance(document, dict) else None


def _send_csv(client, limiter, chat_id: int, language: str, attachment: NotReached) -> outcomes.Outcome:
    """The CSV as a document: uploaded the first time, by its file_id after that."""
    params = {"chat_id": chat_id, "caption": t(language, "csv_caption")}
    if attachment.file_id is not None:
        return _send(client, limiter, "sendDocument", {**params, "document": attachment.file_id})
    outcome = _send(client, limiter, "sendDocument", params, upload=attachment)
    if outcome.kind == outcomes.SENT:
        attachment.file_id = _sent_file_id(outcome)
    return outcome


def _send_copy(
    client, limiter, chat_id: int, body: str, language: str, attachment: NotReached | None
) -> tuple[str, str | None]:
    """Send one staff member's copy; returns its status (sent, failed, unknown) and why it is not sent."""
    outcome = _send(client, limiter, "sendMessage", {"chat_id": chat_id, "text": body, "parse_mode": "HTML"})
    # Taken at the answer: the text arrived before it, so the CSV arrives at least CHAT_SPACING later.
    text_answered = time.monotonic()
    if outcome.kind != outcomes.SENT:
        return ("unknown" if outcome.kind == outcomes.AMBIGUOUS else "failed"), outcome.description
    if attachment is None or not attachment.attachable:
        return "sent", None
    delay = text_answered + CHAT_SPACING - time.monotonic()
    if delay > 0:
        time.sleep(delay)
    outcome = _send_csv(client, limiter, chat_id, language, attachment)
    if outcome.kind == outcomes.SENT:
        return "sent", None
    if outcome.kind == outcomes.AMBIGUOUS:
        return "unknown", f"the text was sent; the CSV may not have arrived: {outcome.description}"
    return "failed", f"the text was sent; the CSV was not: {outcome.description}"


def send_report(mailing_id: int) -> int:
    """Send the report's copies still pending; returns how many went out (0 when it is not due)."""
    client, limiter = telegram()
    if not reports.start(db.engine, mailing_id):
        return 0
    mailing = db.session.get(Mailing, mailing_id)
    counts = delivery_counts(mailing_id)
    reasons = top_reasons(mailing_id)
    # Sent at the finish, so few may have clicked yet; shown when any have.
    button_clicks = clicks.button_clicks(mailing, counts["sent"], tracking=False)
    default = current_app.config["SETTINGS"].bot_language
    languages = dict(
        db.session.execute(
            db.select(User.tg_id, User.language_code)
            .join(ReportRecipient, ReportRecipient.tg_id == User.tg_id)
            .where(ReportRecipient.mailing_id == mailing_id)
        ).all()
    )
    db.session.rollback()
    reached = 0
    bodies: dict[str, str] | None = None
    attachment: NotReached | None = None
    with tempfile.TemporaryDirectory(prefix="rassylka-report-") as scratch:
        while (chat_id := reports.claim(db.engine, mailing_id)) is not None:
            if bodies is None:
                # Built once, and only when some copy is left to send (a resumed job may find none).
                attachment = write_not_reached(mailing_id, Path(scratch))
                too_large = attachment if attachment is not None and not attachment.attachable else None
                bodies = {
                    language: report_text(mailing, counts, reasons, language, too_large, button_clicks)
                    for language in TEXTS
                }
                db.session.rollback()
                if attachment is not None:
                    log.info(
                        "mailing %s: %d not reached, CSV %s of %d bytes%s",
                        mailing_id,
                        attachment.rows,
                        attachment.path.name,
                        attachment.size,
                        "" if attachment.attachable else " (too large to attach)",
                    )
            language = language_for(languages.get(chat_id), default)
            status, error = _send_copy(client, limiter, chat_id, bodies[language], language, attachment)
            reports.close(
                db.engine, mailing_id, chat_id, status == "sent", error, ambiguous=status == "unknown"
            )
            if status == "sent":
                reached += 1
            else:
                log.info("mailing %s: report to %s ended %s: %s", mailing_id, chat_id, status, error)
    reports.finish(db.engine, mailing_id)
    return reached
