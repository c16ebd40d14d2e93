"""The permission table: admins everything, moderators mailings, subscribers only themselves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import bot_headers

OWN_ID = 1003
OTHER_ID = 2000


def _mailing_body():
    return {"name": "n", "text": "t", "send_at": (datetime.now(UTC) + timedelta(days=1)).isoformat()}


# (method, path, body, {role: allowed})
TABLE = [
    ("GET", "/api/v1/users", None, {"admin"}),
    ("GET", f"/api/v1/users/{OTHER_ID}", None, {"admin"}),
    ("PUT", f"/api/v1/users/{OTHER_ID}", {"first_name": "x"}, {"admin"}),
    ("PATCH", f"/api/v1/users/{OTHER_ID}", {"role": "moderator"}, {"admin"}),
    ("POST", f"/api/v1/users/{OTHER_ID}/unsubscribe", None, {"admin"}),
    ("GET", f"/api/v1/users/{OWN_ID}", None, {"admin", "moderator", "subscriber"}),
    ("PUT", f"/api/v1/users/{OWN_ID}", {"first_name": "x"}, {"admin", "moderator", "subscriber"}),
    ("POST", f"/api/v1/users/{OWN_ID}/unsubscribe", None, {"admin", "moderator", "subscriber"}),
    ("GET", "/api/v1/mailings", None, {"admin", "moderator"}),
    ("POST", "/api/v1/mailings", "mailing", {"admin", "moderator"}),
    ("POST", "/api/v1/mailings/validate", {"name": "x"}, {"admin", "moderator"}),
    ("GET", "/api/v1/mailings/{id}", None, {"admin", "moderator"}),
    ("PATCH", "/api/v1/mailings/{id}", {"version": 1, "name": "y"}, {"admin", "moderator"}),
    ("GET", "/api/v1/mailings/{id}/stats", None, {"admin", "moderator"}),
    ("GET", "/api/v1/mailings/{id}/deliveries", None, {"admin", "moderator"}),
    ("DELETE", "/api/v1/mailings/{id}", None, {"admin", "moderator"}),
]


@pytest.mark.parametrize("role", ["admin", "moderator", "subscriber"])
@pytest.mark.parametrize(
    ("method", "path", "body", "allowed"), TABLE, ids=[f"{m} {p}" for m, p, _, _ in TABLE]
)
def test_permission_table(client, make_user, role, method, path, body, allowed):
    make_user(OTHER_ID)
    make_user(9999, role="admin")  # keeps an admin around whatever the acting role is
    make_user(OWN_ID, role=role)
    created = client.post("/api/v1/mailings", json=_mailing_body(), headers=bot_headers(9999)).json
    response = client.open(
        path.replace("{id}", str(created["id"])),
        method=method,
        json=_mailing_body() if body == "mailing" else body,
        headers=bot_headers(OWN_ID),
    )
    if role in allowed:
        assert response.status_code < 400, response.json
    else:
        assert response.status_code == 403
        assert response.json["error"]["code"] == "forbidden"


def test_unknown_bot_user_counts_as_subscriber(client):
    # Someone who never pressed /start may subscribe themselves but read nothing else.
    assert client.put("/api/v1/users/31337", json={}, headers=bot_headers(31337)).status_code == 200
    assert client.get("/api/v1/mailings", headers=bot_headers(4242)).status_code == 403
