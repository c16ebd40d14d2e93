"""Bad input always gets the envelope with a 4xx, never a 500 and never a partial write."""

from __future__ import annotations

import pytest


def _assert_envelope(response, status):
    assert response.status_code == status, response.data[:300]
    body = response.json
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["message"]


def test_malformed_json(client, admin):
    response = client.post(
        "/api/v1/mailings", data="{bad", headers={**admin, "Content-Type": "application/json"}
    )
    _assert_envelope(response, 400)


@pytest.mark.parametrize(
    "body",
    [
        {"name": 5, "text": "t", "send_at": "2031-01-01T00:00:00+00:00"},
        {"name": "n", "text": ["t"], "send_at": "2031-01-01T00:00:00+00:00"},
        {"name": "n", "text": "t", "send_at": "tomorrow"},
        {"name": "n", "text": "t", "send_at": "2031-01-01T00:00:00+00:00", "buttons": "x"},
        {"name": "n", "text": "t", "send_at": "2031-01-01T00:00:00+00:00", "buttons": [{"text": "a"}]},
        {"name": "n", "text": "t", "send_at": "2031-01-01T00:00:00+00:00", "media": {"type": "photo"}},
        {"name": "n", "text": "t", "send_at": "2031-01-01T00:00:00+00:00", "surprise": True},
        [],
        "string",
    ],
)
def test_wrong_types_and_unknown_fields(client, admin, body, db_session):
    _assert_envelope(client.post("/api/v1/mailings", json=body, headers=admin), 422)
    from webapi.models import Mailing

    assert db_session.query(Mailing).count() == 0


def test_oversized_body(client, admin):
    big = {"name": "n", "text": "x" * (1024 * 1024 + 10), "send_at": "2031-01-01T00:00:00+00:00"}
    _assert_envelope(client.post("/api/v1/mailings", json=big, headers=admin), 413)


@pytest.mark.parametrize(
    "query", ["limit=100000", "limit=0", "offset=-1", "limit=abc", "offset=99999999999999"]
)
def test_bad_paging(client, admin, query):
    _assert_envelope(client.get(f"/api/v1/mailings?{query}", headers=admin), 422)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/users/-5",
        "/api/v1/users/9223372036854775808",
        "/api/v1/users/99999999999999999999999",
        "/api/v1/mailings/abc",
        "/api/v1/nowhere",
    ],
)
def test_bad_ids_and_paths(client, admin, path):
    _assert_envelope(client.get(path, headers=admin), 404)


def test_zero_user_id_on_subscribe(client, admin):
    _assert_envelope(client.put("/api/v1/users/0", json={}, headers=admin), 422)


def test_huge_version_number(client, admin):
    _assert_envelope(client.patch("/api/v1/mailings/1", json={"version": 10**30}, headers=admin), 422)


def test_wrong_method(client, admin):
    _assert_envelope(client.delete("/api/v1/users", headers=admin), 405)


@pytest.mark.parametrize("field", ["name", "text"])
def test_sql_looking_input_is_just_text(client, admin, field):
    body = {"name": "n", "text": "t", "send_at": "2031-01-01T00:00:00+00:00"}
    body[field] = "'; DROP TABLE users; --"
    response = client.post("/api/v1/mailings", json=body, headers=admin)
    assert response.status_code == 201
    assert response.json[field] == "'; DROP TABLE users; --"


@pytest.mark.parametrize(
    ("path", "method", "body"),
    [
        ("/api/v1/users/5", "PUT", {"first_name": "a\x00b"}),
        ("/api/v1/mailings", "POST", {"name": "n\x00", "text": "t", "send_at": "2031-01-01T00:00:00+00:00"}),
        ("/api/v1/mailings/validate", "POST", {"buttons": [{"text": "x\x00", "url": "https://e.org"}]}),
    ],
)
def test_nul_characters_are_refused(client, admin, path, method, body):
    response = client.open(path, method=method, json=body, headers=admin)
    _assert_envelope(response, 422)
    assert "NUL" in str(response.json["error"]["details"])
