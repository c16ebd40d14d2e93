"""A mailing's history over the API: copies (POST /duplicate), the list latest first, the not-reached CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from tests.support import LEDGER_ERRORS, sent_mailing
from webapi.extensions import db
from webapi.models import AuditEntry

BUTTONS = [
    {"text": "Shop", "url": "https://example.com/shop"},
    {"text": "Blog", "url": "https://example.com/blog"},
    {"text": "App", "url": "tg://resolve?domain=example"},
]
SEGMENT = {"languages": ["ru"], "tags_any": ["vip"]}


def _later(hours: float = 24) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat()


def _create(client, headers, **fields) -> dict:
    body = {"name": "Autumn sale", "text": "<b>Sale</b> today", "send_at": _later(1), **fields}
    response = client.post("/api/v1/mailings", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _duplicate(client, headers, mailing_id: int, **body) -> tuple[int, dict]:
    response = client.post(f"/api/v1/mailings/{mailing_id}/duplicate", json=body, headers=headers)
    return response.status_code, response.get_json()


CONTENT = ("name", "text", "buttons", "media", "segment")


def test_a_finished_mailing_is_copied_with_its_content_buttons_in_order_media_and_segment(
    app, client, admin, db_session
):
    original = _create(
        client,
        admin,
        buttons=BUTTONS,
        media={"type": "photo", "file_id": "https://example.com/cat.png"},
        segment=SEGMENT,
    )
    sent_mailing(app, original["id"], sent=3, blocked=1)
    send_at = _later(48)

    status, copy = _duplicate(client, admin, original["id"], send_at=send_at)

    assert status == 201, copy
    assert {key: copy[key] for key in CONTENT} == {key: original[key] for key in CONTENT}
    assert [b["text"] for b in copy["buttons"]] == ["Shop", "Blog", "App"]
    assert copy["id"] != original["id"]
    assert (copy["status"], copy["version"], copy["started_at"], copy["finished_at"]) == (
        "scheduled",
        1,
        None,
        None,
    )
    assert datetime.fromisoformat(copy["send_at"]) == datetime.fromisoformat(send_at)
    assert copy["author_tg_id"] == 1001
    # The original is as it was, and the copy starts with an empty ledger.
    read = client.get(f"/api/v1/mailings/{original['id']}", headers=admin).get_json()
    assert read["status"] == "finished" and read["buttons"] == BUTTONS
    stats = client.get(f"/api/v1/mailings/{copy['id']}/stats", headers=admin).get_json()
    assert stats["total"] == 0
    entry = db_session.query(AuditEntry).filter_by(action="mailing.duplicated").one()
    assert (entry.object_id, entry.actor_tg_id, entry.details["source_id"]) == (
        str(copy["id"]),
        1001,
        original["id"],
    )


def test_cancelled_and_scheduled_mailings_are_copied_too_and_a_name_may_be_given(app, client, moderator):
    cancelled = _create(client, moderator, text="Tom &amp; Jerry")
    sent_mailing(app, cancelled["id"], status="cancelled", sent=1, cancelled=4)
    status, copy = _duplicate(client, moderator, cancelled["id"], send_at=_later(), name="Again")
    assert status == 201, copy
    assert (copy["name"], copy["text"], copy["status"]) == ("Again", "Tom &amp; Jerry", "scheduled")

    scheduled = _create(client, moderator, text="Plain &lt;3", buttons=BUTTONS[:1])
    status, copy = _duplicate(client, moderator, scheduled["id"], send_at=_later(5))
    assert status == 201, copy
    assert (copy["text"], copy["buttons"], copy["media"]) == ("Plain &lt;3", BUTTONS[:1], None)


def test_a_copy_never_takes_the_original_s_time(app, client, admin):
    original = _create(client, admin)
    sent_mailing(app, original["id"], sent=1)

    status, error = _duplicate(client, admin, original["id"])
    assert status == 422
    assert error["error"]["details"]["send_at"][0]["code"] == "required"

    past = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    status, error = _duplicate(client, admin, original["id"], send_at=past)
    assert status == 422
    assert [p["code"] for p in error["error"]["details"]["send_at"]] == ["send_at_not_future"]
    listed = client.get("/api/v1/mailings", headers=admin).get_json()
    assert [m["id"] for m in listed["items"]] == [original["id"]]


def test_an_unknown_mailing_is_404_and_a_subscriber_is_refused(client, admin, subscriber):
    status, error = _duplicate(client, admin, 987654, send_at=_later())
    assert status == 404 and error["error"]["code"] == "not_found"
    original = _create(client, admin)
    status, error = _duplicate(client, subscriber, original["id"], send_at=_later())
    assert status == 403 and error["error"]["code"] == "forbidden"


def test_a_repeated_duplicate_with_its_idempotency_key_makes_one_copy(client, admin):
    original = _create(client, admin)
    body, key = {"send_at": _later(3)}, {"Idempotency-Key": "copy-0123456789"}
    first = client.post(f"/api/v1/mailings/{original['id']}/duplicate", json=body, headers={**admin, **key})
    again = client.post(f"/api/v1/mailings/{original['id']}/duplicate", json=body, headers={**admin, **key})
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json()["id"] == again.get_json()["id"]
    assert client.get("/api/v1/mailings", headers=admin).get_json()["total"] == 2


def test_the_list_goes_latest_first_by_status(app, client, admin):
    ids = [_create(client, admin, name=f"M{hours}", send_at=_later(hours))["id"] for hours in (1, 2, 3, 4)]
    sent_mailing(app, ids[0], sent=1)
    sent_mailing(app, ids[2], status="cancelled", cancelled=1, start_id=30_000_100)

    query = "status=finished&status=cancelled&order=-send_at"
    page = client.get(f"/api/v1/mailings?{query}", headers=admin).get_json()
    assert ([m["id"] for m in page["items"]], page["total"]) == ([ids[2], ids[0]], 2)
    page = client.get("/api/v1/mailings?order=-send_at&offset=1&limit=2", headers=admin).get_json()
    assert [m["id"] for m in page["items"]] == [ids[2], ids[1]]
    assert client.get("/api/v1/mailings?order=name", headers=admin).status_code == 422


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_the_not_reached_csv_lists_who_did_not_get_it_and_why(app, client, admin):
    mailing = _create(client, admin)
    sent_mailing(app, mailing["id"], sent=5, blocked=2, failed=1, unknown=2, cancelled=1)

    response = client.get(f"/api/v1/mailings/{mailing['id']}/not-reached", headers=admin)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert f"mailing-{mailing['id']}-not-reached.csv" in response.headers["Content-Disposition"]
    header, *rows = _csv(response)
    assert header == ["user_id", "chat_id", "status", "reason"]
    assert [row[2] for row in rows] == ["blocked", "blocked", "failed", "unknown", "unknown", "cancelled"]
    assert rows[0] == ["30000005", "30000005", "blocked", LEDGER_ERRORS["blocked"]]
    assert rows[-1] == ["30000010", "30000010", "cancelled", ""]

    only = client.get(f"/api/v1/mailings/{mailing['id']}/not-reached?status=unknown", headers=admin)
    assert [row[2] for row in _csv(only)[1:]] == ["unknown", "unknown"]
    assert (
        client.get(f"/api/v1/mailings/{mailing['id']}/not-reached?status=sent", headers=admin).status_code
        == 422
    )
    assert client.get("/api/v1/mailings/424242/not-reached", headers=admin).status_code == 404


def test_a_pruned_mailing_keeps_its_counts_but_has_no_csv_or_retry(app, client, admin):
    mailing = _create(client, admin)
    sent_mailing(app, mailing["id"], sent=4, unknown=1)
    with app.app_context():
        db.session.execute(
            text("UPDATE mailings SET deliveries_pruned_at = now() WHERE id = :m"), {"m": mailing["id"]}
        )
        db.session.execute(text("DELETE FROM deliveries WHERE mailing_id = :m"), {"m": mailing["id"]})
        db.session.commit()

    stats = client.get(f"/api/v1/mailings/{mailing['id']}/stats", headers=admin).get_json()
    assert (stats["counts"]["sent"], stats["counts"]["unknown"]) == (4, 1)
    response = client.get(f"/api/v1/mailings/{mailing['id']}/not-reached", headers=admin)
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "deliveries_pruned" and "list of recipients is gone" in error["message"]
    retry = client.post(
        f"/api/v1/mailings/{mailing['id']}/retry", json={"statuses": ["unknown"]}, headers=admin
    )
    assert retry.get_json()["error"]["code"] == "deliveries_pruned"
    # It can still be copied.
    assert _duplicate(client, admin, mailing["id"], send_at=_later())[0] == 201


def test_a_long_csv_comes_whole_in_ledger_order(app, client, admin):
    mailing = _create(client, admin)
    sent_mailing(app, mailing["id"], sent=10, unknown=4_500)
    response = client.get(f"/api/v1/mailings/{mailing['id']}/not-reached", headers=admin)
    header, *rows = _csv(response)
    assert len(rows) == 4_500 and {row[2] for row in rows} == {"unknown"}
    assert [int(row[0]) for row in rows] == list(range(30_000_010, 30_004_510))
