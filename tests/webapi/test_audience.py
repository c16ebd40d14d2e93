"""Audience: sources from /start payloads, tags on users, a mailing's segment and its count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import ADMIN_KEY, bot_headers


def _subscribe(client, tg_id: int, **profile):
    response = client.put(
        f"/api/v1/users/{tg_id}", json={"first_name": "S", **profile}, headers=bot_headers(tg_id)
    )
    assert response.status_code == 200, response.json
    return response.json


def test_a_start_payload_is_the_source_first_kept_last_too(client):
    first = _subscribe(client, 7, source="src_vk_autumn")
    assert (first["first_source"], first["last_source"]) == ("src_vk_autumn", "src_vk_autumn")
    assert first["tags"] == ["src:src_vk_autumn"]
    plain = _subscribe(client, 7)  # a plain /start changes no source
    assert (plain["first_source"], plain["last_source"]) == ("src_vk_autumn", "src_vk_autumn")
    again = _subscribe(client, 7, source="tg-ads")
    assert (again["first_source"], again["last_source"]) == ("src_vk_autumn", "tg-ads")
    assert again["tags"] == ["src:src_vk_autumn", "src:tg-ads"]
    assert _subscribe(client, 7, source="tg-ads")["tags"] == ["src:src_vk_autumn", "src:tg-ads"]


def test_the_admin_key_is_never_a_source(client):
    user = _subscribe(client, 8, source=ADMIN_KEY)
    assert user["first_source"] is None and user["tags"] == []


@pytest.mark.parametrize("source", ["has space", "ключ", "a" * 65, "", "semi;colon"])
def test_a_source_telegram_would_not_allow_is_refused(client, source):
    response = client.put(
        "/api/v1/users/9", json={"first_name": "S", "source": source}, headers=bot_headers(9)
    )
    assert response.status_code == 422
    assert "source" in response.json["error"]["details"]


def test_tags_one_by_one_and_in_bulk(client, admin, make_user):
    for tg_id in (11, 12, 13):
        make_user(tg_id)
    tagged = client.put("/api/v1/users/11/tags/vip", headers=admin)
    assert tagged.status_code == 200 and tagged.json["tags"] == ["vip"]
    assert client.put("/api/v1/users/11/tags/vip", headers=admin).json["tags"] == ["vip"]  # idempotent
    bulk = client.post(
        "/api/v1/users/tags",
        json={"tg_ids": [11, 12, 99], "add": ["клиент", "vip"], "remove": []},
        headers=admin,
    )
    assert bulk.status_code == 200
    assert bulk.json == {"changed": 2, "missing": [99]}
    assert client.get("/api/v1/users/12", headers=admin).json["tags"] == ["vip", "клиент"]
    counts = client.get("/api/v1/users/tags", headers=admin).json
    assert counts == [{"tag": "vip", "users": 2}, {"tag": "клиент", "users": 2}]
    removed = client.delete("/api/v1/users/11/tags/vip", headers=admin)
    assert removed.json["tags"] == ["клиент"]
    assert client.post(
        "/api/v1/users/tags", json={"tg_ids": [11, 12], "remove": ["клиент"]}, headers=admin
    ).json == {"changed": 2, "missing": []}


def test_bad_tags_are_refused_naming_the_field(client, admin, moderator, make_user):
    make_user(11)
    assert client.put("/api/v1/users/11/tags/two%20words", headers=admin).status_code == 422
    assert client.put("/api/v1/users/11/tags/vip", headers=moderator).status_code == 403
    assert client.put("/api/v1/users/404/tags/vip", headers=admin).status_code == 404
    bad = client.post("/api/v1/users/tags", json={"tg_ids": [11], "add": ["a,b"]}, headers=admin)
    assert bad.status_code == 422 and "add" in bad.json["error"]["details"]
    too_big = client.post("/api/v1/users/tags", json={"tg_ids": [2**63], "add": ["vip"]}, headers=admin)
    assert too_big.status_code == 422 and "tg_ids" in too_big.json["error"]["details"]
    nothing = client.post("/api/v1/users/tags", json={"tg_ids": [11, 12]}, headers=admin)
    assert nothing.status_code == 200 and nothing.json == {"changed": 0, "missing": [12]}


def _audience(client, headers, segment):
    return client.post("/api/v1/mailings/audience", json={"segment": segment}, headers=headers)


def test_the_audience_of_a_segment_is_counted_now(client, admin, make_user, db_session):
    from webapi.models import User

    old = datetime.now(UTC) - timedelta(days=30)
    make_user(21, language_code="ru", tags=["vip"], subscribed_at=old)
    make_user(22, language_code="en-GB", tags=["vip", "src:vk"], subscribed_at=old)
    make_user(23, language_code="en", tags=["src:vk"], subscribed_at=datetime.now(UTC))
    make_user(24, language_code="ru", status="unsubscribed", tags=["vip"])
    make_user(25, role="moderator", language_code="ru")
    assert db_session.query(User).count() == 6  # with the admin

    def count(segment):
        response = _audience(client, admin, segment)
        assert response.status_code == 200, response.json
        return response.json["count"]

    everyone = _audience(client, admin, None).json
    assert (everyone["count"], everyone["total"], everyone["segment"]) == (5, 5, None)
    assert count({}) == 5
    assert count({"languages": ["EN"]}) == 2  # en-GB counts as en
    assert count({"roles": ["moderator", "admin"]}) == 2
    assert count({"tags_any": ["vip"]}) == 2
    assert count({"tags_all": ["vip", "src:vk"]}) == 1
    assert count({"tags_none": ["vip"]}) == 3
    assert count({"sources": ["vk"]}) == 2
    assert count({"subscribed_before": (old + timedelta(days=1)).isoformat()}) == 2
    assert count({"subscribed_after": (old + timedelta(days=1)).isoformat(), "sources": ["vk"]}) == 1
    shown = _audience(client, admin, {"languages": ["RU", "ru"], "tags_any": []}).json["segment"]
    assert shown == {"languages": ["ru"]}


@pytest.mark.parametrize(
    ("segment", "field"),
    [
        ({"languages": ["english"]}, "languages"),
        ({"roles": ["owner"]}, "roles"),
        ({"tags_any": ["no spaces please"]}, "tags_any"),
        ({"sources": ["bad/source"]}, "sources"),
        ({"tag": ["vip"]}, "tag"),
        ({"subscribed_after": "2026-01-01T00:00:00"}, "subscribed_after"),
        (
            {
                "subscribed_after": "2026-02-01T00:00:00+00:00",
                "subscribed_before": "2026-01-01T00:00:00+00:00",
            },
            "subscribed_before",
        ),
        ({"tags_all": ["t"] * 51}, "tags_all"),
    ],
)
def test_a_bad_segment_is_refused_naming_the_field(client, admin, segment, field):
    for response in (
        _audience(client, admin, segment),
        client.post(
            "/api/v1/mailings",
            json={
                "name": "n",
                "text": "t",
                "send_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
                "segment": segment,
            },
            headers=admin,
        ),
    ):
        assert response.status_code == 422
        assert field in response.json["error"]["details"]["segment"]


def test_a_mailing_keeps_its_segment_and_it_can_change_while_scheduled(client, admin):
    send_at = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    created = client.post(
        "/api/v1/mailings",
        json={"name": "n", "text": "t", "send_at": send_at, "segment": {"tags_any": ["vip"]}},
        headers=admin,
    )
    assert created.status_code == 201
    assert created.json["segment"] == {"tags_any": ["vip"]}
    listed = client.get("/api/v1/mailings", headers=admin).json["items"][0]
    assert listed["segment"] == {"tags_any": ["vip"]}
    changed = client.patch(
        f"/api/v1/mailings/{created.json['id']}",
        json={"version": 1, "segment": {"languages": ["ru"]}},
        headers=admin,
    )
    assert changed.status_code == 200 and changed.json["segment"] == {"languages": ["ru"]}
    cleared = client.patch(
        f"/api/v1/mailings/{created.json['id']}", json={"version": 2, "segment": None}, headers=admin
    )
    assert cleared.json["segment"] is None


def test_invite_links_count_whom_they_brought(client, admin, moderator):
    made = client.post("/api/v1/invite-links", json={"name": "VK autumn ads"}, headers=admin)
    assert made.status_code == 201
    link = made.json
    assert link["source"].startswith("src_vk_autumn_ads_") and (link["brought"], link["active"]) == (0, 0)
    chosen = client.post(
        "/api/v1/invite-links", json={"name": "Канал", "source": "tg-channel"}, headers=admin
    )
    assert chosen.json["source"] == "tg-channel"
    taken = client.post("/api/v1/invite-links", json={"name": "Again", "source": "tg-channel"}, headers=admin)
    assert taken.status_code == 409 and taken.json["error"]["code"] == "conflict"
    bad = client.post("/api/v1/invite-links", json={"name": " ", "source": "a b"}, headers=admin)
    assert bad.status_code == 422 and set(bad.json["error"]["details"]) == {"name", "source"}
    for tg_id in (31, 32, 33):
        _subscribe(client, tg_id, source=link["source"])
    _subscribe(client, 33, source="tg-channel")  # came back through another link: still brought by the first
    client.post("/api/v1/users/32/unsubscribe", headers=bot_headers(32))
    listed = client.get("/api/v1/invite-links", headers=admin).json
    assert [(x["source"], x["brought"], x["active"]) for x in listed] == [
        ("tg-channel", 0, 0),
        (link["source"], 3, 2),
    ]
    assert client.get("/api/v1/invite-links", headers=moderator).status_code == 403
    assert client.delete(f"/api/v1/invite-links/{link['id']}", headers=admin).status_code == 204
    assert client.delete(f"/api/v1/invite-links/{link['id']}", headers=admin).status_code == 404
    assert client.get("/api/v1/users/31", headers=admin).json["first_source"] == link["source"]
