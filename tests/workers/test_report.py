"""The report's own ledger: a report job cut short is resumed without anyone's second copy."""

from __future__ import annotations

from webapi.extensions import db
from webapi.services import reports
from workers import report

ADMIN, MODERATOR = 1001, 1002


FINISHED = "UPDATE mailings SET status = 'finished', started_at = now(), finished_at = now() WHERE id = :m"


def _reports_in(sandbox, chat_id: int) -> int:
    """Report copies in a chat (in the reader's language; each names the mailing)."""
    return len([m for m in sandbox.messages(chat_id) if "Engine test" in m.get("text", "")])


def test_a_report_cut_short_is_resumed_and_nobody_gets_two(
    telegram_app, admin, moderator, staff_chats, sandbox, new_mailing, ledger
):
    m = new_mailing()["id"]
    ledger.sql(FINISHED, m=m)
    with telegram_app.app_context():
        # A first report job snapshots the staff, sends the moderator's copy (recorded as sent)
        # and dies during the admin's request: that claim's lease runs out.
        assert reports.start(db.engine, m)
        assert reports.claim(db.engine, m, lease_seconds=0) == ADMIN
        assert reports.claim(db.engine, m) == MODERATOR
        assert reports.close(db.engine, m, MODERATOR, sent=True)
        assert not reports.finish(db.engine, m)  # copies are left to send

        # The next job (the reconcile enqueues it) sends only what was never tried.
        assert report.send_report(m) == 1
        # A duplicate job afterwards finds nothing due.
        assert report.send_report(m) == 0

    copies = dict(ledger.sql("SELECT tg_id, status FROM report_recipients WHERE mailing_id = :m", m=m))
    assert copies == {ADMIN: "unknown", MODERATOR: "sent", staff_chats: "sent"}
    assert ledger.mailing(m)["report_sent_at"] is not None
    assert _reports_in(sandbox, staff_chats) == 1
    assert _reports_in(sandbox, ADMIN) == 0 and _reports_in(sandbox, MODERATOR) == 0


def test_a_copy_closed_after_its_lease_ran_out_stays_unknown(
    telegram_app, admin, moderator, sandbox, new_mailing, ledger
):
    m = new_mailing()["id"]
    ledger.sql(FINISHED, m=m)
    with telegram_app.app_context():
        assert reports.start(db.engine, m)
        assert reports.claim(db.engine, m, lease_seconds=0) == ADMIN
        # Another job expires the claim before the slow one answers: the late answer changes nothing.
        assert reports.start(db.engine, m)
        assert not reports.close(db.engine, m, ADMIN, sent=True)
    copies = dict(ledger.sql("SELECT tg_id, status FROM report_recipients WHERE mailing_id = :m", m=m))
    assert copies == {ADMIN: "unknown", MODERATOR: "pending"}
