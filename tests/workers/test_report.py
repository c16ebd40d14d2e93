"""The report's own ledger: a report job cut short is resumed without anyone's second copy."""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import gzip
import io
import logging
import socket
import threading
import tracemalloc
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import event

from tests.conftest import bot_headers
from tests.workers.conftest import NOT_REACHED_ERRORS
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


# What each copy is made of: the text, then the CSV of those not reached. ---------------------------


def _finished_with_outcomes(ledger, new_mailing, **counts: int) -> int:
    m = new_mailing()["id"]
    ledger.outcomes(m, **counts)
    ledger.sql(FINISHED, m=m)
    return m


def _texts(sandbox, chat_id: int) -> list[str]:
    return [m["text"] for m in sandbox.messages(chat_id) if "Engine test" in m.get("text", "")]


def _documents(sandbox, chat_id: int) -> list[dict]:
    return [m["document"] for m in sandbox.messages(chat_id) if "document" in m]


def _file(sandbox, document: dict) -> bytes:
    response = requests.get(f"{sandbox.url}/sandbox/files/{document['file_id']}", timeout=10)
    response.raise_for_status()
    return response.content


def _csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode())))


def _copies(ledger, m: int) -> dict[int, tuple[str, str | None]]:
    rows = ledger.sql("SELECT tg_id, status, last_error FROM report_recipients WHERE mailing_id = :m", m=m)
    return {tg_id: (status, error) for tg_id, status, error in rows}


def test_every_copy_is_the_text_and_the_csv_uploaded_once(
    telegram_app, admin, moderator, staff_chats, sandbox, new_mailing, ledger
):
    m = _finished_with_outcomes(ledger, new_mailing, sent=10, blocked=3, failed=2, unknown=1)
    with telegram_app.app_context():
        assert report.send_report(m) == 3

    staff = (ADMIN, MODERATOR, staff_chats)
    assert _copies(ledger, m) == dict.fromkeys(staff, ("sent", None))
    documents = {chat: _documents(sandbox, chat) for chat in staff}
    assert all(len(_texts(sandbox, chat)) == 1 and len(documents[chat]) == 1 for chat in staff)
    # Uploaded to the first staff member, re-sent by its file_id to the others: one file in Telegram.
    assert len({documents[chat][0]["file_id"] for chat in staff}) == 1
    assert sandbox.stats()["requests"]["senddocument"] == 3
    (document,) = documents[ADMIN]
    assert document["file_name"] == f"mailing-{m}-not-reached.csv"
    header, *rows = _csv_rows(_file(sandbox, document))
    assert header == ["user_id", "chat_id", "status", "reason"]
    assert sorted(row[2] for row in rows) == ["blocked"] * 3 + ["failed"] * 2 + ["unknown"]
    assert all(row[3] == NOT_REACHED_ERRORS[row[2]] and row[0] == row[1] for row in rows)


def test_everyone_reached_means_no_csv(telegram_app, admin, sandbox, new_mailing, ledger):
    m = _finished_with_outcomes(ledger, new_mailing, sent=5)
    with telegram_app.app_context():
        assert report.send_report(m) == 1
    assert len(_texts(sandbox, ADMIN)) == 1 and _documents(sandbox, ADMIN) == []


def test_the_csv_follows_the_text_no_sooner_than_a_second(telegram_app, admin, sandbox, new_mailing, ledger):
    # Telegram's one message a second in a chat, with no burst at all: a CSV sooner would get a 429.
    sandbox.set_limits(per_chat_rate=1, per_chat_burst=1)
    m = _finished_with_outcomes(ledger, new_mailing, failed=1)
    with telegram_app.app_context():
        assert report.send_report(m) == 1
    stats = sandbox.stats()
    assert stats["chats"][str(ADMIN)] == {"sent": 2, "too_many_requests": 0}
    assert len(_documents(sandbox, ADMIN)) == 1


def test_a_csv_over_the_threshold_is_gzipped(telegram_app, admin, sandbox, new_mailing, ledger, monkeypatch):
    monkeypatch.setattr(report, "GZIP_ABOVE", 200)
    m = _finished_with_outcomes(ledger, new_mailing, blocked=20)
    with telegram_app.app_context():
        assert report.send_report(m) == 1
    (document,) = _documents(sandbox, ADMIN)
    assert document["file_name"] == f"mailing-{m}-not-reached.csv.gz"
    header, *rows = _csv_rows(gzip.decompress(_file(sandbox, document)))
    assert len(rows) == 20 and {row[2] for row in rows} == {"blocked"}


def test_a_csv_too_large_to_upload_is_not_attached_and_the_text_says_where_to_get_it(
    telegram_app, admin, staff_chats, sandbox, new_mailing, ledger, monkeypatch
):
    monkeypatch.setattr(report, "UPLOAD_LIMIT", 300)
    ledger.sql("UPDATE users SET language_code = 'en' WHERE tg_id = :t", t=ADMIN)
    m = _finished_with_outcomes(ledger, new_mailing, sent=2, failed=30)
    with telegram_app.app_context():
        assert report.send_report(m) == 2
    path = f"GET /api/v1/mailings/{m}/not-reached"  # as code (the sandbox shows text without its HTML)
    (english,) = _texts(sandbox, ADMIN)
    (russian,) = _texts(sandbox, staff_chats)
    assert "list of the 30 recipients not reached" in english and "Get it from the API:" in english
    assert "Список недоставленных (строк: 30," in russian and "Его можно получить через API:" in russian
    assert all(path in text for text in (english, russian))
    assert sandbox.stats()["requests"].get("senddocument", 0) == 0


@pytest.mark.parametrize(
    "fault",
    [{"kind": "drop"}, {"kind": "error", "status": 502, "deliver": True}],
    ids=["connection-lost", "502"],
)
def test_a_csv_left_in_doubt_leaves_the_copy_unknown_and_the_text_is_never_sent_again(
    telegram_app, admin, moderator, staff_chats, sandbox, new_mailing, ledger, fault
):
    m = _finished_with_outcomes(ledger, new_mailing, unknown=2)
    # The first copy's CSV (the admin's: copies go in id order) may have arrived; no answer says so.
    sandbox.add_fault("sendDocument", count=1, **fault)
    with telegram_app.app_context():
        assert report.send_report(m) == 2

    copies = _copies(ledger, m)
    assert copies[ADMIN][0] == "unknown"
    assert copies[ADMIN][1].startswith("the text was sent; the CSV may not have arrived:")
    assert copies[MODERATOR] == copies[staff_chats] == ("sent", None)
    assert all(len(_texts(sandbox, chat)) == 1 for chat in (ADMIN, MODERATOR, staff_chats))
    # The lost upload gave no file_id, so the next copy uploaded it again; the last re-sent that one.
    assert _documents(sandbox, MODERATOR)[0]["file_id"] == _documents(sandbox, staff_chats)[0]["file_id"]
    assert sandbox.stats()["requests"]["senddocument"] == 3
    assert ledger.mailing(m)["report_sent_at"] is not None


def test_a_csv_refused_leaves_the_copy_failed_with_the_reason(
    telegram_app, admin, moderator, sandbox, new_mailing, ledger, wait_for
):
    m = _finished_with_outcomes(ledger, new_mailing, failed=1)

    def admin_blocks_the_bot_after_the_text() -> None:
        wait_for(lambda: _texts(sandbox, ADMIN), 30, "the admin's report text", every=0.02)
        sandbox.set_status(ADMIN, "blocked")

    # The CSV goes a second after the text: time enough for the admin to block the bot in between.
    blocker = threading.Thread(target=admin_blocks_the_bot_after_the_text)
    blocker.start()
    with telegram_app.app_context():
        assert report.send_report(m) == 1
    blocker.join()

    assert _copies(ledger, m) == {
        ADMIN: ("failed", "the text was sent; the CSV was not: Forbidden: bot was blocked by the user"),
        MODERATOR: ("sent", None),
    }
    assert len(_texts(sandbox, ADMIN)) == 1 and _documents(sandbox, ADMIN) == []


def test_a_text_left_in_doubt_is_final_and_no_csv_follows(
    telegram_app, admin, moderator, sandbox, new_mailing, ledger
):
    m = _finished_with_outcomes(ledger, new_mailing, blocked=1)
    sandbox.add_fault("sendMessage", "drop", count=1)  # delivered, but the answer is lost
    with telegram_app.app_context():
        assert report.send_report(m) == 1
    copies = _copies(ledger, m)
    assert copies[ADMIN][0] == "unknown" and copies[MODERATOR] == ("sent", None)
    assert len(_texts(sandbox, ADMIN)) == 1 and _documents(sandbox, ADMIN) == []
    assert sandbox.stats()["requests"]["sendmessage"] == 2


class RefusingFront:
    """127.0.0.1:`port` in front of the sandbox: connections are refused (nothing listens) until `open()`."""

    def __init__(self, target_url: str):
        target = urlsplit(target_url)
        self.target = (target.hostname, target.port)
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))  # bound but not listening: a connect is refused
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.sockets: list[socket.socket] = [self.listener]

    def open(self) -> None:
        """Listen and forward every connection to the sandbox."""
        self.listener.listen(16)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                near, _ = self.listener.accept()
                far = socket.create_connection(self.target)
                self.sockets += [near, far]
                for source, sink in ((near, far), (far, near)):
                    threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while chunk := source.recv(65536):
                sink.sendall(chunk)
            sink.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        """Close every socket (the threads end with them)."""
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


def test_a_refused_connection_is_tried_again_and_the_copy_goes_once(
    telegram_app, sandbox_server, admin, sandbox, new_mailing, ledger, wait_for, caplog
):
    caplog.set_level(logging.INFO, logger="webapi.telegram.paced")
    m = _finished_with_outcomes(ledger, new_mailing, failed=1)
    front = RefusingFront(sandbox_server.url)
    settings = telegram_app.config["SETTINGS"]
    telegram_app.config["SETTINGS"] = dataclasses.replace(settings, telegram_api_url=front.url)
    telegram_app.extensions.pop("telegram", None)  # the `telegram_app` fixture puts both back

    def refused() -> bool:
        return any("cannot connect to Telegram" in r.getMessage() for r in caplog.records)

    def telegram_comes_back() -> None:
        wait_for(refused, 30, "a refused connection", every=0.02)
        front.open()

    opener = threading.Thread(target=telegram_comes_back)
    opener.start()
    try:
        with telegram_app.app_context():
            assert report.send_report(m) == 1
    finally:
        opener.join()
        front.close()

    assert refused()
    assert _copies(ledger, m) == {ADMIN: ("sent", None)}
    assert len(_texts(sandbox, ADMIN)) == 1 and len(_documents(sandbox, ADMIN)) == 1


def test_the_csv_of_a_hundred_thousand_streams_from_a_server_side_cursor(
    app, admin, new_mailing, ledger, tmp_path
):
    m = _finished_with_outcomes(ledger, new_mailing, sent=50_000, blocked=60_000, unknown=40_000)
    cursors = []

    def named(conn, cursor, statement, parameters, context, executemany) -> None:
        if "FROM deliveries" in statement and "ORDER BY id" in statement:
            cursors.append(cursor.name)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", named)
        tracemalloc.start()
        try:
            built = report.write_not_reached(m, tmp_path)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
            event.remove(db.engine, "before_cursor_execute", named)

    assert cursors and cursors[0] is not None, "the rows did not come through a server-side cursor"
    assert built.rows == 100_000 and built.path.name.endswith(".csv.gz") and built.attachable
    with gzip.open(built.path, "rt", newline="") as unpacked:
        plain_size = sum(len(line.encode()) for line in unpacked)
    # The file is several megabytes; what the build holds in memory at once is a fetch of rows.
    assert plain_size > 4_000_000 and peak < plain_size / 4, (peak, plain_size, built.size)


# Who gets a copy. ------------------------------------------------------------------------------------


def test_staff_who_sent_stop_still_get_the_report_unless_they_turned_reports_off(
    telegram_app, admin, make_user, client, sandbox, new_mailing, ledger
):
    left, quiet, gone = 1005, 1006, 1007
    for tg_id in (left, quiet, gone):
        make_user(tg_id, role="moderator")
        sandbox.create_user("Moderator", id=tg_id)
    # One sent /stop, one turned reports off in /adminmenu, one blocked the bot.
    assert client.post(f"/api/v1/users/{left}/unsubscribe", headers=bot_headers(left)).status_code == 200
    off = client.put(
        f"/api/v1/users/{quiet}/reports", json={"wants_reports": False}, headers=bot_headers(quiet)
    )
    assert off.status_code == 200
    ledger.sql("UPDATE users SET status = 'blocked' WHERE tg_id = :t", t=gone)
    m = _finished_with_outcomes(ledger, new_mailing, sent=3)
    with telegram_app.app_context():
        assert report.send_report(m) == 2
    assert set(_copies(ledger, m)) == {ADMIN, left}
    assert len(_texts(sandbox, left)) == 1
    assert _texts(sandbox, quiet) == [] and _texts(sandbox, gone) == []
