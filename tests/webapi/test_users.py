"""Users: subscribe, read, list, role changes, unsubscribe and the admin key."""

from __future__ import annotations

import pytest

from tests.conftest import ADMIN_KEY, bot_headers

BIG_ID = 2**63 - 1


def test_subscribe_is_an_idempotent_upsert(client, db_session):
    headers = bot_headers(BIG_ID)
    first = client.put(
        f"/api/v1/users/{BIG_ID}", json={"first_name": "Анна", "language_code": "ru"}, headers=headers
    )
    assert first.status_code == 200
    assert first.json["tg_id"] == BIG_ID
    assert (first.json["role"], first.json["status"]) == ("subscriber", "active")
    again = client.put(
        f"/api/v1/users/{BIG_ID}", json={"first_name": "Anna", "username": "anna"}, headers=headers
    )
    assert again.json["first_name"] == "Anna"
    assert again.json["username"] == "anna"
    assert again.json["subscribed_at"] == first.json["subscribed_at"]
    from webapi.models import User

    assert db_session.query(User).count() == 1


def test_unsubscribe_then_resubscribe(client):
    headers = bot_headers(42)
    client.put("/api/v1/users/42", json={"first_name": "A"}, headers=headers)
    left = client.post("/api/v1/users/42/unsubscribe", headers=headers)
    assert left.json["status"] == "unsubscribed"
    back = client.put("/api/v1/users/42", json={"first_name": "A"}, headers=headers)
    assert back.json["status"] == "active"
    assert back.json["subscribed_at"] > left.json["subscribed_at"]


def test_a_user_reads_only_themselves(client, make_user):
    make_user(5)
    make_user(6)
    assert client.get("/api/v1/users/5", headers=bot_headers(5)).json["tg_id"] == 5
    refused = client.get("/api/v1/users/6", headers=bot_headers(5))
    assert refused.status_code == 403
    assert refused.json["error"]["code"] == "forbidden"


def test_unknown_user_is_404(client, admin):
    response = client.get("/api/v1/users/777", headers=admin)
    assert response.status_code == 404
    assert "777" in response.json["error"]["message"]


def test_list_filters_and_paginates(client, admin, make_user):
    for tg_id in range(10, 25):
        make_user(tg_id, status="blocked" if tg_id % 5 == 0 else "active")
    page = client.get("/api/v1/users?status=active&role=subscriber&offset=2&limit=5", headers=admin).json
    assert page["total"] == 12
    assert [u["tg_id"] for u in page["items"]] == [13, 14, 16, 17, 18]
    blocked = client.get("/api/v1/users?status=blocked", headers=admin).json
    assert [u["tg_id"] for u in blocked["items"]] == [10, 15, 20]


def test_admin_changes_a_role_and_it_is_audited(client, admin, make_user, db_session):
    make_user(50)
    response = client.patch("/api/v1/users/50", json={"role": "moderator"}, headers=admin)
    assert response.status_code == 200
    assert response.json["role"] == "moderator"
    from webapi.models import AuditEntry

    entry = db_session.query(AuditEntry).one()
    assert (entry.action, entry.subject, entry.actor_tg_id, entry.object_id) == (
        "user.role_changed",
        "telebot",
        1001,
        "50",
    )
    assert entry.details == {"old": "subscriber", "new": "moderator"}


def test_a_role_change_queues_one_notice_for_the_bot_and_the_same_role_none(client, admin, make_user, redis):
    from webapi import role_notices

    make_user(51, language_code="ru")
    client.patch("/api/v1/users/51", json={"role": "moderator"}, headers=admin)
    client.patch("/api/v1/users/51", json={"role": "moderator"}, headers=admin)
    queued = [role_notices.RoleNotice.decode(raw) for raw in redis.lrange(role_notices.QUEUE, 0, -1)]
    assert queued == [role_notices.RoleNotice(51, "moderator", "ru")]


def test_the_last_admin_cannot_be_demoted(client, admin):
    response = client.patch("/api/v1/users/1001", json={"role": "subscriber"}, headers=admin)
    assert response.status_code == 409
    assert response.json["error"]["code"] == "last_admin"


def test_an_admin_can_be_demoted_when_another_remains(client, admin, make_user):
    make_user(2002, role="admin")
    response = client.patch("/api/v1/users/2002", json={"role": "subscriber"}, headers=admin)
    assert response.json["role"] == "subscriber"


def test_role_change_of_unknown_user_is_404(client, admin):
    assert client.patch("/api/v1/users/999", json={"role": "admin"}, headers=admin).status_code == 404


def test_claim_admin_with_the_right_key(client, make_user, db_session):
    make_user(77)
    response = client.post("/api/v1/users/77/claim-admin", json={"key": ADMIN_KEY}, headers=bot_headers(77))
    assert response.status_code == 200
    assert response.json["role"] == "admin"
    from webapi.models import AuditEntry

    assert db_session.query(AuditEntry.action).scalar() == "user.claimed_admin"


# A wrong key with ADMIN_KEY's length: shaped like the key, so it counts as a claim.
WRONG_KEY = "x" * len(ADMIN_KEY)


def _claim(client, tg_id: int, key: str):
    return client.post(f"/api/v1/users/{tg_id}/claim-admin", json={"key": key}, headers=bot_headers(tg_id))


def test_wrong_key_changes_nothing_and_is_audited(client, make_user, db_session):
    make_user(78)
    response = _claim(client, 78, WRONG_KEY)
    assert response.status_code == 403
    assert response.json["error"]["code"] == "invalid_key"
    from webapi.models import AuditEntry, User

    assert db_session.get(User, 78).role == "subscriber"
    assert db_session.query(AuditEntry.action).scalar() == "user.claim_admin_failed"


def test_repeated_wrong_keys_lock_the_user_out_even_for_the_right_key_and_say_so(
    client, make_user, db_session
):
    make_user(79)
    codes = [_claim(client, 79, WRONG_KEY[:-1] + str(i)).status_code for i in range(5)]
    assert codes == [403] * 5
    limited = _claim(client, 79, ADMIN_KEY)
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0
    from webapi.models import AuditEntry

    entries = db_session.query(AuditEntry).order_by(AuditEntry.id).all()
    assert [e.action for e in entries] == ["user.claim_admin_failed"] * 5 + ["user.claim_admin_locked"]
    locked = entries[-1]
    assert (locked.actor_tg_id, locked.object_id, locked.details["attempts"]) == (79, "79", 5)
    assert 0 < locked.details["seconds"] <= 15 * 60


def test_wrong_keys_count_per_user_not_per_address(client, make_user):
    # Every bot call comes from one address: one user's wrong keys must not lock anyone else out.
    for tg_id in range(80, 87):
        make_user(tg_id)
    assert [_claim(client, tg_id, WRONG_KEY).status_code for tg_id in range(80, 86)] == [403] * 6
    assert [_claim(client, 80, WRONG_KEY).status_code for _ in range(5)] == [403] * 4 + [429]
    granted = _claim(client, 86, ADMIN_KEY)
    assert granted.status_code == 200 and granted.json["role"] == "admin"


def test_a_payload_not_shaped_like_the_key_is_no_claim(client, make_user, db_session):
    # Referral and UTM deep links arrive as /start payloads too; only the key's length makes a claim.
    make_user(88)
    payloads = [f"promo_autumn_{i}" for i in range(10)] + ["r", ADMIN_KEY + "x", ADMIN_KEY[:-1]]
    for payload in payloads:
        response = _claim(client, 88, payload)
        assert (response.status_code, response.json["error"]["code"]) == (403, "invalid_key")
    from webapi.models import AuditEntry

    assert db_session.query(AuditEntry).count() == 0
    granted = _claim(client, 88, ADMIN_KEY)
    assert granted.status_code == 200 and granted.json["role"] == "admin"


def test_reports_are_on_by_default_and_a_user_turns_them_off(client, make_user, db_session):
    user = client.put("/api/v1/users/92", json={"first_name": "Mo"}, headers=bot_headers(92))
    assert user.json["wants_reports"] is True
    off = client.put("/api/v1/users/92/reports", json={"wants_reports": False}, headers=bot_headers(92))
    assert off.status_code == 200 and off.json["wants_reports"] is False
    assert client.get("/api/v1/users/92", headers=bot_headers(92)).json["wants_reports"] is False
    # /stop and /start again leave the preference alone.
    client.post("/api/v1/users/92/unsubscribe", headers=bot_headers(92))
    again = client.put("/api/v1/users/92", json={"first_name": "Mo"}, headers=bot_headers(92))
    assert again.json["wants_reports"] is False
    from webapi.models import AuditEntry

    entry = db_session.query(AuditEntry).one()
    assert (entry.action, entry.details) == ("user.reports_changed", {"wants_reports": False})
    for bad in ("maybe", 0, "true", None):
        answer = client.put("/api/v1/users/92/reports", json={"wants_reports": bad}, headers=bot_headers(92))
        assert answer.status_code == 422, bad


def test_nobody_claims_for_someone_else(client, make_user):
    make_user(90)
    response = client.post("/api/v1/users/90/claim-admin", json={"key": ADMIN_KEY}, headers=bot_headers(91))
    assert response.status_code == 403


@pytest.mark.parametrize("role", ["subscriber", "moderator"])
def test_only_admins_change_roles(client, make_user, role):
    make_user(60, role=role)
    make_user(61)
    response = client.patch("/api/v1/users/61", json={"role": "admin"}, headers=bot_headers(60))
    assert response.status_code == 403
