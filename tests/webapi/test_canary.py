"""A mailing's canary through the API (validated, stored, changed, shown), the pause reason, and the
auto-pause settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from webapi.settings import ConfigError, load_settings

BASE = {
    "DATABASE_URL": "postgresql://u@h/db",
    "REDIS_URL": "redis://h",
    "JWT_SECRET_KEY": "s",
    "ADMIN_KEY": "k",
}


def _draft(**fields) -> dict:
    return {
        "name": "With a canary",
        "text": "Hello",
        "send_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
        **fields,
    }


def test_a_canary_is_stored_with_its_defaults_and_shown_alike_in_the_list(client, admin):
    created = client.post("/api/v1/mailings", json=_draft(canary={"percent": 5}), headers=admin)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["canary"] == {"percent": 5.0, "wait_minutes": 10.0, "max_failure_share": 0.2}
    assert (body["canary_until"], body["canary_passed_at"], body["pause_reason"]) == (None, None, None)

    other = client.post(
        "/api/v1/mailings",
        json=_draft(canary={"count": 200, "wait_minutes": 0.5, "max_failure_share": 0}),
        headers=admin,
    ).get_json()
    assert other["canary"] == {"count": 200, "wait_minutes": 0.5, "max_failure_share": 0.0}
    plain = client.post("/api/v1/mailings", json=_draft(), headers=admin).get_json()
    assert plain["canary"] is None

    listed = client.get("/api/v1/mailings", headers=admin).get_json()["items"]
    for item in listed:
        assert item == client.get(f"/api/v1/mailings/{item['id']}", headers=admin).get_json()


@pytest.mark.parametrize(
    ("canary", "field", "words"),
    [
        ({"percent": 5, "count": 10}, "count", "not both"),
        ({"wait_minutes": 5}, "percent", "percent or count"),
        ({}, "percent", "percent or count"),
        ({"percent": 0}, "percent", "greater than 0"),
        ({"percent": 51}, "percent", "less than or equal to 50"),
        ({"count": 0}, "count", "greater than or equal to 1"),
        ({"count": 2.5}, "count", "integer"),
        ({"count": 10, "wait_minutes": -1}, "wait_minutes", "greater than or equal to 0"),
        ({"count": 10, "wait_minutes": 1441}, "wait_minutes", "less than or equal to 1440"),
        ({"count": 10, "max_failure_share": 1.5}, "max_failure_share", "less than or equal to 1"),
        ({"count": 10, "max_failure_share": "a lot"}, "max_failure_share", "number"),
        ({"count": 10, "sample": "random"}, "sample", "Unknown field"),
    ],
)
def test_a_bad_canary_is_refused_naming_the_field(client, admin, canary, field, words):
    response = client.post("/api/v1/mailings", json=_draft(canary=canary), headers=admin)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    messages = " ".join(problem["message"] for problem in error["details"]["canary"][field])
    assert words in messages
    assert client.get("/api/v1/mailings", headers=admin).get_json()["total"] == 0


def test_a_canary_is_changed_or_removed_while_scheduled(client, admin):
    m = client.post("/api/v1/mailings", json=_draft(), headers=admin).get_json()
    url = f"/api/v1/mailings/{m['id']}"
    changed = client.patch(url, json={"version": 1, "canary": {"count": 3}}, headers=admin)
    assert changed.status_code == 200 and changed.get_json()["canary"]["count"] == 3
    removed = client.patch(url, json={"version": 2, "canary": None}, headers=admin)
    assert removed.status_code == 200 and removed.get_json()["canary"] is None


def test_the_pause_reason_is_stored_shown_and_cleared(app, client, admin, db_session):
    from webapi.models import Mailing

    m = client.post("/api/v1/mailings", json=_draft(canary={"count": 1}), headers=admin).get_json()["id"]
    assert client.post(f"/api/v1/mailings/{m}/send-now", headers=admin).status_code == 200
    paused = client.post(f"/api/v1/mailings/{m}/pause", headers=admin).get_json()
    assert paused["pause_reason"] == {"code": "manual"}
    resumed = client.post(f"/api/v1/mailings/{m}/resume", headers=admin).get_json()
    assert resumed["pause_reason"] is None and resumed["canary_passed_at"] is None  # the canary goes on

    # Paused by its canary: resuming lets the rest go.
    mailing = db_session.get(Mailing, m)
    reason = {"code": "canary", "sends": 1, "failed": 1, "share": 1.0, "errors": [{"error": "x", "count": 1}]}
    mailing.status, mailing.pause_reason = "paused", reason
    db_session.commit()
    shown = client.get(f"/api/v1/mailings/{m}", headers=admin).get_json()
    assert shown["pause_reason"] == reason
    resumed = client.post(f"/api/v1/mailings/{m}/resume", headers=admin).get_json()
    assert resumed["status"] == "sending" and resumed["pause_reason"] is None
    assert resumed["canary_passed_at"] is not None
    cancelled = client.post(f"/api/v1/mailings/{m}/cancel", headers=admin).get_json()
    assert cancelled["status"] == "cancelled" and cancelled["pause_reason"] is None


def test_auto_pause_settings_have_sensible_defaults_and_are_checked():
    settings = load_settings(BASE)
    assert (settings.auto_pause_window, settings.auto_pause_failure_share) == (200, 0.5)
    off = load_settings({**BASE, "AUTO_PAUSE_WINDOW": "0", "AUTO_PAUSE_FAILURE_SHARE": "1"})
    assert (off.auto_pause_window, off.auto_pause_failure_share) == (0, 1.0)
    for name, value in (
        ("AUTO_PAUSE_WINDOW", "-1"),
        ("AUTO_PAUSE_WINDOW", "many"),
        ("AUTO_PAUSE_WINDOW", "100001"),
        ("AUTO_PAUSE_FAILURE_SHARE", "0"),
        ("AUTO_PAUSE_FAILURE_SHARE", "1.5"),
        ("AUTO_PAUSE_FAILURE_SHARE", "nan"),
        ("AUTO_PAUSE_FAILURE_SHARE", "half"),
    ):
        with pytest.raises(ConfigError, match=name):
            load_settings({**BASE, name: value})
