"""Every authentication failure answers 401 with the envelope; open endpoints stay open."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from tests.conftest import JWT_SECRET
from webapi import tokens


def _encode(payload: dict, key: str = JWT_SECRET, algorithm: str = "HS256") -> str:
    return jwt.encode(payload, key, algorithm=algorithm)


def _claims(**overrides) -> dict:
    now = datetime.now(UTC)
    claims = {
        "sub": "telebot",
        "tg_id": 1001,
        "iss": tokens.ISSUER,
        "aud": tokens.AUDIENCE,
        "iat": now,
        "nbf": now,
        "exp": now + timedelta(minutes=1),
        "type": "access",
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _unsigned(payload: dict) -> str:
    def part(obj: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj, default=str).encode()).rstrip(b"=").decode()

    body = {k: int(v.timestamp()) if isinstance(v, datetime) else v for k, v in payload.items()}
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(body)}."


def _tampered() -> str:
    header, body, signature = _encode(_claims()).split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=="))
    claims["tg_id"] = 1
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


BAD_TOKENS = {
    "expired": lambda: _encode(_claims(exp=datetime.now(UTC) - timedelta(minutes=5))),
    "not yet valid": lambda: _encode(_claims(nbf=datetime.now(UTC) + timedelta(minutes=5))),
    "no expiry": lambda: _encode(_claims(exp=None)),
    "other key": lambda: _encode(_claims(), key="another-secret-" + "y" * 32),
    "alg none": lambda: _unsigned(_claims()),
    "HS512": lambda: _encode(_claims(), algorithm="HS512"),
    "wrong issuer": lambda: _encode(_claims(iss="someone-else")),
    "wrong audience": lambda: _encode(_claims(aud="another-api")),
    "no audience": lambda: _encode(_claims(aud=None)),
    "tampered payload": _tampered,
    "bot token without user": lambda: _encode(_claims(tg_id=None)),
    "unknown subject": lambda: _encode(_claims(sub="mallory")),
    "garbage": lambda: "not.a.jwt",
}


@pytest.mark.parametrize("case", sorted(BAD_TOKENS))
def test_bad_tokens_are_refused_with_the_envelope(client, admin, case):
    response = client.get("/api/v1/mailings", headers={"Authorization": f"Bearer {BAD_TOKENS[case]()}"})
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_missing_token_is_refused(client):
    response = client.get("/api/v1/users")
    assert response.status_code == 401
    assert response.json == {
        "error": {"code": "unauthorized", "message": "A bearer token is required.", "details": None}
    }


def test_valid_bot_token_is_accepted(client, admin):
    assert client.get("/api/v1/mailings", headers=admin).status_code == 200


def test_small_clock_skew_is_tolerated(client, make_user):
    make_user(7, role="admin")
    token = _encode(_claims(tg_id=7, nbf=datetime.now(UTC) + timedelta(seconds=3)))
    assert client.get("/api/v1/mailings", headers={"Authorization": f"Bearer {token}"}).status_code == 200


@pytest.mark.parametrize("path", ["/health", "/openapi.json", "/docs"])
def test_open_endpoints_need_no_token(client, path):
    assert client.get(path).status_code == 200


def test_the_click_redirect_needs_no_token(client):
    # Subscribers' browsers follow it; the signed click token is its only credential (test_clicks.py).
    response = client.get("/r/" + "A" * 40)
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


def test_the_telegram_webhook_takes_its_secret_header_not_a_token(client, admin):
    # Telegram signs its deliveries with the webhook's secret (tests/webapi/test_telegram_webhook.py);
    # a bearer token opens nothing there, and without webhook mode no secret matches.
    for headers in ({}, admin, {"X-Telegram-Bot-Api-Secret-Token": "guess", **admin}):
        response = client.post("/telegram/webhook", json={"update_id": 1}, headers=headers)
        assert response.status_code == 401
        assert response.json["error"]["code"] == "unauthorized"


def test_every_other_path_in_the_spec_requires_a_token(client):
    spec = client.get("/openapi.json").json
    for path, operations in spec["paths"].items():
        if path in ("/health", "/r/{token}"):  # the click redirect is open: its token is its credential
            continue
        if path == "/telegram/webhook":  # the webhook's secret header, not a JWT (the test below)
            continue
        concrete = re.sub(r"\{[a-z_]+\}", "1", path)
        for method in operations:
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            response = client.open(concrete, method=method.upper(), json={})
            assert response.status_code == 401, (method, path)


def test_docs_page_loads_swagger_ui_from_the_app_itself(client):
    page = client.get("/docs").data.decode()
    assert "/docs/assets/swagger-ui-bundle.js" in page
    asset = client.get("/docs/assets/swagger-ui-bundle.js")
    assert asset.status_code == 200
    assert b"SwaggerUIBundle" in asset.data


def test_each_request_is_its_own_caller_within_one_app_context(app, client, admin, subscriber):
    # An app context may outlive a request (CLI commands, jobs); no caller's identity may leak.
    with app.app_context():
        assert client.get("/api/v1/users/1001", headers=admin).status_code == 200
        assert client.get("/api/v1/users/1001", headers=subscriber).status_code == 403


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/api/v1/mailings/1/duplicate"), ("GET", "/api/v1/mailings/1/not-reached")],
)
@pytest.mark.parametrize("case", ["none", "expired", "other key"])
def test_a_mailing_s_copy_and_its_not_reached_list_need_a_valid_token(client, admin, method, path, case):
    headers = {} if case == "none" else {"Authorization": f"Bearer {BAD_TOKENS[case]()}"}
    body = {"send_at": (datetime.now(UTC) + timedelta(days=1)).isoformat()}
    response = client.open(path, method=method, json=body if method == "POST" else None, headers=headers)
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/series"),
        ("POST", "/api/v1/series"),
        ("GET", "/api/v1/series/1"),
        ("PATCH", "/api/v1/series/1"),
        ("POST", "/api/v1/series/1/pause"),
        ("POST", "/api/v1/series/1/resume"),
        ("POST", "/api/v1/series/1/end"),
    ],
)
@pytest.mark.parametrize("case", ["none", "expired", "tampered payload"])
def test_recurring_series_need_a_valid_token(client, admin, method, path, case):
    headers = {} if case == "none" else {"Authorization": f"Bearer {BAD_TOKENS[case]()}"}
    body = {"name": "n", "text": "t", "rule": {"kind": "daily", "time": "09:00"}}
    response = client.open(
        path, method=method, json=body if method in ("POST", "PATCH") else None, headers=headers
    )
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"


@pytest.mark.parametrize("case", ["none", "expired", "other key"])
def test_approving_a_mailing_needs_a_valid_token(client, admin, case):
    headers = {} if case == "none" else {"Authorization": f"Bearer {BAD_TOKENS[case]()}"}
    response = client.post("/api/v1/mailings/1/approve", query_string={"version": 1}, headers=headers)
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"
