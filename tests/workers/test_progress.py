"""The author's progress message: one edit at a time, never backwards, through 429s, final without buttons."""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from tests.support import wait_for
from workers import progress

AUTHOR = 1001  # the `admin` fixture, who creates the mailing
STALE = "updated_at = updated_at - interval '1 second'"


def _set(ledger, m: int, status: str, when: str = "updated_at = now()") -> None:
    """Move the mailing to `status`, as a transition does (its `updated_at` moves with it)."""
    ended = ", finished_at = now()" if status in ("finished", "cancelled") else ""
    ledger.sql(f"UPDATE mailings SET status = :s, {when}{ended} WHERE id = :m", s=status, m=m)  # noqa: S608


@pytest.fixture
def sending_mailing(telegram_app, admin, sandbox, new_mailing, ledger):
    """A mailing half sent to 6 subscribers, its progress message announced to the author (in English)."""
    ledger.sql("UPDATE users SET language_code = 'en' WHERE tg_id = :t", t=AUTHOR)
    m = new_mailing()["id"]
    ledger.sql(
        "INSERT INTO users (tg_id, first_name, role, status) "
        "SELECT g, 'S', 'subscriber', 'active' FROM generate_series(30000001, 30000006) g"
    )
    ledger.sql(
        "INSERT INTO deliveries (mailing_id, user_id, chat_id, status, attempts) "
        "SELECT :m, g, g, CASE WHEN g % 2 = 0 THEN 'sent' ELSE 'pending' END, 0 "
        "FROM generate_series(30000001, 30000006) g",
        m=m,
    )
    ledger.sql(
        "UPDATE mailings SET status = 'sending', started_at = now(), updated_at = now() WHERE id = :m", m=m
    )
    with telegram_app.app_context():
        assert progress.announce(m)
    return m


def _progress_message(sandbox) -> dict:
    (message,) = sandbox.messages(AUTHOR)
    return message


def _buttons(message: dict) -> list[str]:
    return [
        b["callback_data"] for row in message.get("reply_markup", {}).get("inline_keyboard", []) for b in row
    ]


def _edits(sandbox) -> int:
    return sandbox.stats()["requests"].get("editmessagetext", 0)


def _update(app, m: int, force: bool = False) -> bool:
    with app.app_context():
        return progress.update(m, force=force)


@pytest.mark.parametrize("final", ["finished", "cancelled"])
def test_a_final_state_is_edited_in_at_once_and_its_buttons_go(
    telegram_app, sandbox, ledger, sending_mailing, final
):
    m = sending_mailing
    # A routine edit skips the author's chat while it had a message from us within the second.
    wait_for(lambda: _update(telegram_app, m), 5, "a routine edit once the chat's second has passed")
    assert not _update(telegram_app, m), "a second routine edit within EDIT_INTERVAL was not throttled"
    assert _edits(sandbox) == 1

    _set(ledger, m, final)
    # Not forced, and inside the throttle's interval: a final state is edited in all the same.
    assert _update(telegram_app, m)
    message = _progress_message(sandbox)
    assert message["text"].startswith(
        f"Engine test — {'✅ Finished' if final == 'finished' else '⏹ Cancelled'}"
    )
    assert message["reply_markup"] == {"inline_keyboard": []}
    # Asked again (every driver's last act asks), the final state already shown costs no request.
    assert _update(telegram_app, m, force=True)
    assert _edits(sandbox) == 2


def test_an_older_state_never_overwrites_a_newer_one(telegram_app, sandbox, ledger, sending_mailing):
    m = sending_mailing
    _set(ledger, m, "finished")
    assert _update(telegram_app, m, force=True)
    edits = _edits(sandbox)

    # A state read before the finish (as a slow worker holds one): status `sending`, an older epoch.
    _set(ledger, m, "sending", when=STALE)
    assert not _update(telegram_app, m, force=True)
    assert _edits(sandbox) == edits
    message = _progress_message(sandbox)
    assert "Finished" in message["text"] and _buttons(message) == []

    # A retry of the finished mailing is a newer state: the message follows the new round.
    _set(ledger, m, "sending")
    assert _update(telegram_app, m, force=True)
    message = _progress_message(sandbox)
    assert "Sending" in message["text"] and _buttons(message) == [f"mc:pause:{m}", f"mc:cancel:{m}"]


def test_edits_of_one_mailing_never_overlap_and_the_later_one_reads_the_later_state(
    telegram_app, sandbox, ledger, sending_mailing, wait_for
):
    m = sending_mailing
    sandbox.add_fault("editMessageText", "delay", seconds=1.0, count=2)  # each edit answered a second late
    results = {}

    def first_edit() -> None:
        results["first"] = _update(telegram_app, m, force=True)

    first = threading.Thread(target=first_edit)
    first.start()
    wait_for(lambda: _edits(sandbox) == 1, 30, "the first edit to reach Telegram", every=0.01)
    arrived = time.monotonic()
    # A routine edit gives way at once to the one in flight, without a request.
    assert not _update(telegram_app, m)
    assert _edits(sandbox) == 1

    _set(ledger, m, "finished")
    assert _update(telegram_app, m, force=True)
    waited = time.monotonic() - arrived
    first.join()

    # The second edit went only after the first was answered: two delayed answers one after the other.
    assert waited >= 1.8, f"the edits overlapped: both done {waited:.2f} s after the first arrived"
    assert results["first"] and _edits(sandbox) == 2
    message = _progress_message(sandbox)
    assert "Finished" in message["text"] and _buttons(message) == []


class TooManyRequestsFront:
    """An HTTP front to the sandbox that answers the next `count` editMessageText calls with a 429."""

    def __init__(self, target_url: str, count: int, retry_after: int = 1):
        self.target = target_url.rstrip("/")
        self.left = count
        self.retry_after = retry_after
        self.edits_at: list[float] = []  # monotonic arrival of every editMessageText
        front = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status, payload, kind = front.answer(self.path, body, self.headers.get("Content-Type", ""))
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def answer(self, path: str, body: bytes, content_type: str) -> tuple[int, bytes, str]:
        """A 429 while any is left for an edit; otherwise the sandbox's own answer."""
        if path.lower().endswith("/editmessagetext"):
            self.edits_at.append(time.monotonic())
            if self.left > 0:
                self.left -= 1
                refusal = {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {self.retry_after}",
                    "parameters": {"retry_after": self.retry_after},
                }
                return 429, json.dumps(refusal).encode(), "application/json"
        response = requests.post(
            self.target + path, data=body, headers={"Content-Type": content_type}, timeout=30
        )
        return (
            response.status_code,
            response.content,
            response.headers.get("Content-Type", "application/json"),
        )

    def close(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def front_429(telegram_app, sandbox_server):
    """Route the app's Bot API calls through a TooManyRequestsFront; `make(count)` arms it."""
    fronts = []

    def make(count: int) -> TooManyRequestsFront:
        front = TooManyRequestsFront(sandbox_server.url, count)
        fronts.append(front)
        settings = telegram_app.config["SETTINGS"]
        telegram_app.config["SETTINGS"] = dataclasses.replace(settings, telegram_api_url=front.url)
        telegram_app.extensions.pop("telegram", None)  # the `telegram_app` fixture puts both back
        return front

    yield make
    for front in fronts:
        front.close()


def test_a_429_on_an_edit_holds_every_sender_and_the_edit_goes_after_it(
    telegram_app, sandbox, ledger, sending_mailing, front_429
):
    m = sending_mailing
    front = front_429(count=1)
    _set(ledger, m, "finished")
    assert _update(telegram_app, m)

    first, second = front.edits_at
    assert second - first >= front.retry_after, "the edit was tried again before retry_after"
    message = _progress_message(sandbox)
    assert "Finished" in message["text"] and _buttons(message) == []


def test_a_429_that_does_not_pass_is_given_up_loudly(
    telegram_app, sandbox, ledger, sending_mailing, front_429, caplog
):
    caplog.set_level(logging.WARNING, logger="workers.progress")
    m = sending_mailing
    front = front_429(count=10)
    _set(ledger, m, "cancelled")
    assert not _update(telegram_app, m)
    assert len(front.edits_at) == progress.EDIT_TRIES
    assert any("progress not edited: Too Many Requests" in r.getMessage() for r in caplog.records)
    assert "Sending" in _progress_message(sandbox)["text"]
