"""The permission table, generated as a matrix: every operation in the OpenAPI document × every role.

Admins may do everything; moderators everything on mailings; a subscriber only their own
subscription. A new endpoint fails `test_every_operation_is_in_the_table` until it is added here.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import bot_headers

OWN_ID = 1003
OTHER_ID = 2000
ADMIN_ID = 9999
EVERYONE = {"admin", "moderator", "subscriber"}
STAFF = {"admin", "moderator"}
ADMINS = {"admin"}


def _mailing_body() -> dict:
    return {"name": "n", "text": "t", "send_at": (datetime.now(UTC) + timedelta(days=1)).isoformat()}


# Open to anyone: health, and the click redirect of URL buttons (its signed token is its credential);
# Telegram's webhook takes no JWT either: the webhook's secret header is its credential.
OPEN = ("/health", "/r/{token}", "/telegram/webhook")
# (method, path template, concrete path, body, roles allowed)
TABLE = [
    ("GET", "/api/v1/users", "/api/v1/users", None, ADMINS),
    ("GET", "/api/v1/users/{tg_id}", f"/api/v1/users/{OTHER_ID}", None, ADMINS),
    ("PUT", "/api/v1/users/{tg_id}", f"/api/v1/users/{OTHER_ID}", {"first_name": "x"}, ADMINS),
    ("PATCH", "/api/v1/users/{tg_id}", f"/api/v1/users/{OTHER_ID}", {"role": "moderator"}, ADMINS),
    ("POST", "/api/v1/users/{tg_id}/unsubscribe", f"/api/v1/users/{OTHER_ID}/unsubscribe", None, ADMINS),
    (
        "PUT",
        "/api/v1/users/{tg_id}/reports",
        f"/api/v1/users/{OTHER_ID}/reports",
        {"wants_reports": False},
        ADMINS,
    ),
    (
        "POST",
        "/api/v1/users/{tg_id}/claim-admin",
        f"/api/v1/users/{OTHER_ID}/claim-admin",
        {"key": "k"},
        set(),
    ),
    ("GET", "/api/v1/users/tags", "/api/v1/users/tags", None, ADMINS),
    ("POST", "/api/v1/users/tags", "/api/v1/users/tags", {"tg_ids": [OTHER_ID], "add": ["vip"]}, ADMINS),
    ("PUT", "/api/v1/users/{tg_id}/tags/{tag}", f"/api/v1/users/{OTHER_ID}/tags/vip", None, ADMINS),
    ("DELETE", "/api/v1/users/{tg_id}/tags/{tag}", f"/api/v1/users/{OTHER_ID}/tags/vip", None, ADMINS),
    ("GET", "/api/v1/invite-links", "/api/v1/invite-links", None, ADMINS),
    ("POST", "/api/v1/invite-links", "/api/v1/invite-links", {"name": "ads"}, ADMINS),
    ("DELETE", "/api/v1/invite-links/{link_id}", "/api/v1/invite-links/1", None, ADMINS),
    ("GET", "/api/v1/mailings", "/api/v1/mailings", None, STAFF),
    ("POST", "/api/v1/mailings/audience", "/api/v1/mailings/audience", {"segment": None}, STAFF),
    ("POST", "/api/v1/mailings", "/api/v1/mailings", "mailing", STAFF),
    ("POST", "/api/v1/mailings/validate", "/api/v1/mailings/validate", {"name": "x"}, STAFF),
    (
        "POST",
        "/api/v1/mailings/test",
        "/api/v1/mailings/test",
        {"chat_id": OWN_ID, "draft": {"text": "t"}},
        STAFF,
    ),
    ("GET", "/api/v1/mailings/{mailing_id}", "/api/v1/mailings/{id}", None, STAFF),
    ("PATCH", "/api/v1/mailings/{mailing_id}", "/api/v1/mailings/{id}", {"version": 1, "name": "y"}, STAFF),
    ("DELETE", "/api/v1/mailings/{mailing_id}", "/api/v1/mailings/{id}", None, STAFF),
    ("GET", "/api/v1/mailings/{mailing_id}/stats", "/api/v1/mailings/{id}/stats", None, STAFF),
    ("GET", "/api/v1/mailings/{mailing_id}/deliveries", "/api/v1/mailings/{id}/deliveries", None, STAFF),
    ("POST", "/api/v1/mailings/{mailing_id}/test", "/api/v1/mailings/{id}/test", {"chat_id": OWN_ID}, STAFF),
    ("POST", "/api/v1/mailings/{mailing_id}/send-now", "/api/v1/mailings/{id}/send-now", None, STAFF),
    # Staff other than the author (the table's mailing is another admin's); the author: approval_by_author.
    ("POST", "/api/v1/mailings/{mailing_id}/approve", "/api/v1/mailings/{id}/approve", None, STAFF),
    ("POST", "/api/v1/mailings/{mailing_id}/pause", "/api/v1/mailings/{id}/pause", None, STAFF),
    ("POST", "/api/v1/mailings/{mailing_id}/resume", "/api/v1/mailings/{id}/resume", None, STAFF),
    ("POST", "/api/v1/mailings/{mailing_id}/cancel", "/api/v1/mailings/{id}/cancel", None, STAFF),
    (
        "POST",
        "/api/v1/mailings/{mailing_id}/retry",
        "/api/v1/mailings/{id}/retry",
        {"statuses": ["unknown"]},
        STAFF,
    ),
    (
        "POST",
        "/api/v1/mailings/{mailing_id}/duplicate",
        "/api/v1/mailings/{id}/duplicate",
        {"send_at": (datetime.now(UTC) + timedelta(days=1)).isoformat()},
        STAFF,
    ),
    ("GET", "/api/v1/mailings/{mailing_id}/not-reached", "/api/v1/mailings/{id}/not-reached", None, STAFF),
    ("GET", "/api/v1/series", "/api/v1/series", None, STAFF),
    (
        "POST",
        "/api/v1/series",
        "/api/v1/series",
        {"name": "n", "text": "t", "rule": {"kind": "daily", "time": "09:00"}},
        STAFF,
    ),
    ("GET", "/api/v1/series/{series_id}", "/api/v1/series/1", None, STAFF),
    ("PATCH", "/api/v1/series/{series_id}", "/api/v1/series/1", {"version": 1, "name": "y"}, STAFF),
    ("POST", "/api/v1/series/{series_id}/pause", "/api/v1/series/1/pause", None, STAFF),
    ("POST", "/api/v1/series/{series_id}/resume", "/api/v1/series/1/resume", None, STAFF),
    ("POST", "/api/v1/series/{series_id}/end", "/api/v1/series/1/end", None, STAFF),
]
# What a subscriber may do to their own subscription (and everyone else too).
OWN = [
    ("GET", f"/api/v1/users/{OWN_ID}", None),
    ("PUT", f"/api/v1/users/{OWN_ID}", {"first_name": "x"}),
    ("POST", f"/api/v1/users/{OWN_ID}/unsubscribe", None),
    ("PUT", f"/api/v1/users/{OWN_ID}/reports", {"wants_reports": False}),
    ("POST", f"/api/v1/users/{OWN_ID}/claim-admin", {"key": "wrong"}),
]


def test_every_operation_is_in_the_table(client):
    spec = client.get("/openapi.json").json
    documented = {
        (method.upper(), path)
        for path, operations in spec["paths"].items()
        for method in operations
        if method in {"get", "put", "post", "patch", "delete"} and path not in OPEN
    }
    assert documented == {(method, template) for method, template, *_ in TABLE}


@pytest.fixture
def world(client, make_user):
    """A target user, an admin who owns a mailing, and the acting user in the role under test."""
    make_user(OTHER_ID)
    make_user(ADMIN_ID, role="admin")
    created = client.post("/api/v1/mailings", json=_mailing_body(), headers=bot_headers(ADMIN_ID)).json
    return created["id"]


@pytest.mark.parametrize("role", sorted(EVERYONE))
@pytest.mark.parametrize(
    ("method", "template", "path", "body", "allowed"), TABLE, ids=[f"{m} {t}" for m, t, *_ in TABLE]
)
def test_permission_matrix(client, make_user, world, role, method, template, path, body, allowed):
    make_user(OWN_ID, role=role)
    response = client.open(
        path.replace("{id}", str(world)),
        method=method,
        json=_mailing_body() if body == "mailing" else body,
        headers=bot_headers(OWN_ID),
    )
    if role in allowed:
        assert response.status_code not in (401, 403), response.json
    else:
        assert response.status_code == 403, response.json
        assert response.json["error"]["code"] == "forbidden"


@pytest.mark.parametrize("role", sorted(EVERYONE))
@pytest.mark.parametrize(("method", "path", "body"), OWN, ids=[f"{m} {p}" for m, p, _ in OWN])
def test_everyone_manages_their_own_subscription(client, make_user, world, role, method, path, body):
    make_user(OWN_ID, role=role)
    response = client.open(path, method=method, json=body, headers=bot_headers(OWN_ID))
    assert response.status_code not in (401, 403) or response.json["error"]["code"] == "invalid_key"


def test_unknown_bot_user_counts_as_subscriber(client):
    # Someone who never pressed /start may subscribe themselves but read nothing else.
    assert client.put("/api/v1/users/31337", json={}, headers=bot_headers(31337)).status_code == 200
    assert client.get("/api/v1/mailings", headers=bot_headers(4242)).status_code == 403
