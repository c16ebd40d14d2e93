"""Mailings: create, list, read, change with versions, delete, validate, stats and deliveries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest


def _future(hours: int = 1) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat()


def _draft(**overrides) -> dict:
    draft = {
        "name": "Autumn sale",
        "text": "<b>Sale</b> starts &amp; ends soon",
        "send_at": _future(),
        "buttons": [
            {"text": "Shop", "url": "https://example.org/shop"},
            {"text": "Channel", "url": "tg://resolve?domain=example"},
        ],
        "media": {"type": "photo", "file_id": "AgACAgIAAxkBAAIB"},
    }
    draft.update(overrides)
    return draft


@pytest.fixture
def create(client, admin):
    def create(**overrides):
        response = client.post("/api/v1/mailings", json=_draft(**overrides), headers=admin)
        assert response.status_code == 201, response.json
        return response.json

    return create


def test_create_and_read_back_with_button_order(client, admin, create, db_session):
    created = create(send_at="2031-03-01T12:00:00+03:00")
    assert created["status"] == "scheduled"
    assert created["send_at"] == "2031-03-01T09:00:00+00:00"
    assert created["version"] == 1
    assert created["created_by"] == "telebot"
    assert created["author_tg_id"] == 1001
    read = client.get(f"/api/v1/mailings/{created['id']}", headers=admin).json
    assert [b["text"] for b in read["buttons"]] == ["Shop", "Channel"]
    assert read["media"] == {"type": "photo", "file_id": "AgACAgIAAxkBAAIB"}
    from webapi.models import AuditEntry

    assert db_session.query(AuditEntry.action).scalar() == "mailing.created"


def test_invalid_mailing_is_refused_with_field_errors_and_nothing_saved(client, admin, db_session):
    response = client.post(
        "/api/v1/mailings",
        headers=admin,
        json=_draft(
            text="<b>open",
            send_at=(datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
            buttons=[{"text": "x", "url": "javascript:alert(1)"}],
        ),
    )
    assert response.status_code == 422
    details = response.json["error"]["details"]
    assert set(details) == {"text", "send_at", "buttons"}
    assert details["text"] == [
        {
            "code": "html_unclosed_tag",
            "params": {"tag": "b", "at": 1},
            "message": "Unclosed <b> tag opened at character 1: add </b>.",
        }
    ]
    assert [problem["code"] for problem in details["send_at"]] == ["send_at_not_future"]
    (button,) = details["buttons"]
    assert (button["code"], button["params"]) == (
        "button_link_wrong_scheme",
        {"button": 1, "got": "javascript:"},
    )
    assert "Button 1" in button["message"]
    from webapi.models import Mailing

    assert db_session.query(Mailing).count() == 0


def test_naive_send_time_is_refused(client, admin):
    response = client.post("/api/v1/mailings", headers=admin, json=_draft(send_at="2031-01-01T10:00:00"))
    assert response.status_code == 422
    assert "send_at" in response.json["error"]["details"]


def test_list_orders_by_send_time_with_total_and_offset(client, admin, create):
    for hours in (5, 1, 3, 2, 4):
        create(name=f"in {hours}h", send_at=_future(hours))
    page = client.get("/api/v1/mailings?offset=2&limit=2", headers=admin).json
    assert page["total"] == 5
    assert [m["name"] for m in page["items"]] == ["in 3h", "in 4h"]


def test_list_filters_by_status(client, admin, create, db_session):
    first = create()
    create()
    from webapi.models import Mailing

    db_session.get(Mailing, first["id"]).status = "finished"
    db_session.commit()
    page = client.get("/api/v1/mailings?status=scheduled", headers=admin).json
    assert page["total"] == 1
    both = client.get("/api/v1/mailings?status=scheduled&status=finished", headers=admin).json
    assert both["total"] == 2


def test_listed_mailings_read_exactly_as_each_mailing_reads(client, admin, create, db_session):
    # The list dumps its rows without the schema (webapi/resources/mailings.py): it must say the same.
    create(name="plain", media=None, buttons=[], send_at="2031-03-01T12:00:00+03:00")
    started = create(name="with all")
    from webapi.models import Mailing

    mailing = db_session.get(Mailing, started["id"])
    mailing.status, mailing.started_at = "sending", datetime(2030, 1, 2, 3, 4, 5, 6789, tzinfo=UTC)
    db_session.commit()
    for query in ("", "?status=sending&status=scheduled"):
        page = client.get(f"/api/v1/mailings{query}", headers=admin)
        assert page.status_code == 200 and page.mimetype == "application/json"
        assert list(page.json) == ["items", "total", "offset", "limit"]
        for item in page.json["items"]:
            read = client.get(f"/api/v1/mailings/{item['id']}", headers=admin)
            assert list(item.items()) == list(read.json.items())
            assert page.get_data(as_text=True).count(read.get_data(as_text=True).strip()) == 1


def test_list_past_the_end_still_has_the_total(client, admin, create):
    create()
    create()
    page = client.get("/api/v1/mailings?offset=5&status=scheduled", headers=admin).json
    assert page == {"items": [], "total": 2, "offset": 5, "limit": 20}
    assert client.get("/api/v1/mailings?status=finished", headers=admin).json["total"] == 0


def test_quick_dump_refuses_what_it_cannot_mirror():
    import marshmallow as ma

    from webapi.resources.common import dict_dumper

    with pytest.raises(TypeError):
        dict_dumper(ma.Schema.from_dict({"rate": ma.fields.Decimal()}))
    with pytest.raises(TypeError):
        dict_dumper(ma.Schema.from_dict({"when": ma.fields.AwareDateTime(format="%Y")}))


def test_update_with_current_version_then_stale_version_conflicts(client, admin, moderator, create):
    mailing = create()
    url = f"/api/v1/mailings/{mailing['id']}"
    changed = client.patch(
        url,
        headers=moderator,
        json={
            "version": 1,
            "name": "Renamed",
            "buttons": [{"text": "B", "url": "https://b.example"}, {"text": "A", "url": "https://a.example"}],
        },
    )
    assert changed.status_code == 200
    assert changed.json["version"] == 2
    assert [b["text"] for b in changed.json["buttons"]] == ["B", "A"]
    stale = client.patch(url, headers=admin, json={"version": 1, "name": "Lost update"})
    assert stale.status_code == 409
    assert stale.json["error"]["code"] == "version_conflict"
    assert stale.json["error"]["details"] == {"current_version": 2}
    assert client.get(url, headers=admin).json["name"] == "Renamed"


def test_update_validates_the_merged_mailing(client, admin, create):
    mailing = create()
    # The caption would be too long for the photo only if the text rules were ignored: 5000 is over any limit.
    response = client.patch(
        f"/api/v1/mailings/{mailing['id']}", headers=admin, json={"version": 1, "text": "x" * 5000}
    )
    assert response.status_code == 422
    assert "text" in response.json["error"]["details"]


def test_removing_media_requires_text(client, admin, create):
    mailing = create(text="")
    response = client.patch(
        f"/api/v1/mailings/{mailing['id']}", headers=admin, json={"version": 1, "media": None}
    )
    assert response.status_code == 422
    assert "text" in response.json["error"]["details"]


def test_only_scheduled_mailings_change_or_delete(client, admin, create, db_session):
    mailing = create()
    from webapi.models import Mailing

    db_session.get(Mailing, mailing["id"]).status = "sending"
    db_session.commit()
    url = f"/api/v1/mailings/{mailing['id']}"
    assert client.patch(url, headers=admin, json={"version": 1, "name": "x"}).status_code == 409
    refused = client.delete(url, headers=admin)
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "wrong_status"


def test_delete_scheduled(client, admin, create, db_session):
    mailing = create()
    assert client.delete(f"/api/v1/mailings/{mailing['id']}", headers=admin).status_code == 204
    assert client.get(f"/api/v1/mailings/{mailing['id']}", headers=admin).status_code == 404
    from webapi.models import AuditEntry

    assert [e.action for e in db_session.query(AuditEntry).order_by(AuditEntry.id)] == [
        "mailing.created",
        "mailing.deleted",
    ]


def test_validate_checks_partial_drafts_and_saves_nothing(client, admin, db_session):
    ok = client.post("/api/v1/mailings/validate", headers=admin, json={"name": "Only a name"})
    assert ok.json == {"valid": True, "errors": {}}
    bad = client.post("/api/v1/mailings/validate", headers=admin, json={"text": "<foo>x</foo>"})
    assert bad.status_code == 200
    assert bad.json["valid"] is False
    (problem,) = bad.json["errors"]["text"]
    assert (problem["code"], problem["params"]["tag"], problem["params"]["at"]) == (
        "html_unknown_tag",
        "foo",
        1,
    )
    assert "<foo>" in problem["message"]
    assert (bad.json["text"], bad.json["text_format"], bad.json["html_problem"]) == (
        "<foo>x</foo>",
        "html",
        None,
    )
    from webapi.models import Mailing

    assert db_session.query(Mailing).count() == 0


def test_stats_and_deliveries(client, admin, create, make_user, db_session):
    mailing = create()
    from webapi.models import Delivery

    for tg_id, status in ((1, "sent"), (2, "sent"), (3, "blocked"), (4, "pending")):
        make_user(tg_id)
        db_session.add(Delivery(mailing_id=mailing["id"], user_id=tg_id, status=status))
    db_session.commit()
    stats = client.get(f"/api/v1/mailings/{mailing['id']}/stats", headers=admin).json
    assert stats["total"] == 4
    assert stats["counts"]["sent"] == 2
    assert stats["counts"]["unknown"] == 0
    page = client.get(f"/api/v1/mailings/{mailing['id']}/deliveries?status=sent&limit=1", headers=admin).json
    assert page["total"] == 2
    assert [d["user_id"] for d in page["items"]] == [1]


def test_stats_of_unknown_mailing_is_404(client, admin):
    assert client.get("/api/v1/mailings/12345/stats", headers=admin).status_code == 404
    assert client.get("/api/v1/mailings/12345/deliveries", headers=admin).status_code == 404


def test_an_idempotency_key_makes_creating_safe_to_repeat(client, admin, moderator, db_session):
    from webapi.models import AuditEntry, Mailing

    draft = _draft()
    keyed = {**admin, "Idempotency-Key": "save-7f3c9a1e"}
    first = client.post("/api/v1/mailings", json=draft, headers=keyed)
    assert first.status_code == 201
    # The answer was lost; the same request again: the same mailing, not a second one.
    again = client.post("/api/v1/mailings", json=draft, headers=keyed)
    assert again.status_code == 200 and again.json == first.json
    # The same moment written in another offset is the same request.
    moscow = datetime.fromisoformat(draft["send_at"]).astimezone(timezone(timedelta(hours=3))).isoformat()
    assert (
        client.post("/api/v1/mailings", json={**draft, "send_at": moscow}, headers=keyed).status_code == 200
    )

    # Another request under the same key is refused, naming the mailing the key made.
    changed = client.post("/api/v1/mailings", json=_draft(name="Other"), headers=keyed)
    assert changed.status_code == 422
    assert changed.json["error"]["code"] == "idempotency_key_reused"
    assert changed.json["error"]["details"] == {"mailing_id": first.json["id"]}
    # A key belongs to its caller: another user's same key makes their own mailing.
    other = client.post(
        "/api/v1/mailings", json=draft, headers={**moderator, "Idempotency-Key": "save-7f3c9a1e"}
    )
    assert other.status_code == 201 and other.json["id"] != first.json["id"]

    assert db_session.query(Mailing).count() == 2
    assert db_session.query(AuditEntry).filter_by(action="mailing.created").count() == 2


@pytest.mark.parametrize("key", ["short", "has space in it", "x" * 129, "ключ-ключ-ключ"])
def test_a_malformed_idempotency_key_is_refused(client, admin, db_session, key):
    from webapi.models import Mailing

    headers = {**admin, "Idempotency-Key": key}
    response = client.post("/api/v1/mailings", json=_draft(), headers=headers)
    assert response.status_code == 422 and "Idempotency-Key" in str(response.json["error"]["details"])
    assert db_session.query(Mailing).count() == 0


def test_concurrent_repeats_of_one_key_make_one_mailing(live_api, admin, db_session):
    from concurrent.futures import ThreadPoolExecutor

    import requests

    from webapi.models import Mailing

    draft, headers = _draft(), {**admin, "Idempotency-Key": "double-click-42"}

    def post(_):
        response = requests.post(f"{live_api}/api/v1/mailings", json=draft, headers=headers, timeout=30)
        return response.status_code, response.json()["id"]

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(post, range(8)))
    assert sorted(status for status, _ in answers) == [200] * 7 + [201]
    assert len({mailing_id for _, mailing_id in answers}) == 1
    assert db_session.query(Mailing).count() == 1


def test_field_errors_of_the_schemas_take_the_same_shape(client, admin):
    response = client.post(
        "/api/v1/mailings/validate", headers=admin, json={"name": 5, "colour": "red", "text_format": "rtf"}
    )
    assert response.status_code == 422
    details = response.json["error"]["details"]
    assert details["name"] == [{"code": "invalid", "params": {}, "message": "Not a valid string."}]
    assert details["colour"] == [{"code": "unknown", "params": {}, "message": "Unknown field."}]
    assert [problem["code"] for problem in details["text_format"]] == ["invalid"]


@pytest.mark.parametrize(
    ("text", "text_format", "stored", "used", "why"),
    [
        ("Tom & Jerry: 5 < 6", "auto", "Tom &amp; Jerry: 5 &lt; 6", "plain", None),
        ("<b>Sale</b> & more", "plain", "&lt;b>Sale&lt;/b> &amp; more", "plain", None),
        ("<b>Sale</b> starts", "auto", "<b>Sale</b> starts", "html", None),
        ("<b>Sale starts", "auto", "&lt;b>Sale starts", "plain", "html_unclosed_tag"),
    ],
)
def test_validate_reads_the_text_in_the_format_asked(client, admin, text, text_format, stored, used, why):
    body = {"text": text, "text_format": text_format}
    response = client.post("/api/v1/mailings/validate", headers=admin, json=body)
    assert response.status_code == 200
    assert (response.json["valid"], response.json["text"], response.json["text_format"]) == (
        True,
        stored,
        used,
    )
    assert (response.json["html_problem"] or {}).get("code") == why


def test_plain_text_is_refused_as_html_by_default_and_stored_escaped_when_asked(client, admin):
    refused = client.post("/api/v1/mailings/validate", headers=admin, json={"text": "Tom & Jerry: 5 < 6"})
    assert refused.json["valid"] is False
    assert refused.json["errors"]["text"][0]["code"] == "html_unescaped_amp"

    created = client.post(
        "/api/v1/mailings", headers=admin, json=_draft(text="Tom & Jerry: 5 < 6", text_format="plain")
    )
    assert created.status_code == 201, created.json
    assert created.json["text"] == "Tom &amp; Jerry: 5 &lt; 6"
    changed = client.patch(
        f"/api/v1/mailings/{created.json['id']}",
        headers=admin,
        json={"version": 1, "text": "<i>Tom</i> & Jerry", "text_format": "auto"},
    )
    assert changed.status_code == 200, changed.json
    assert changed.json["text"] == "&lt;i>Tom&lt;/i> &amp; Jerry"
