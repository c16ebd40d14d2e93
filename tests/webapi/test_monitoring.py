"""The dashboard and /metrics: off without credentials, behind basic auth, no cross-site changes."""

from __future__ import annotations

import dataclasses

import pytest

from webapi import monitoring

AUTH = ("watcher", "s3cret-pass")


@pytest.fixture(scope="module")
def watched(app, settings):
    """A second app built with dashboard credentials set."""
    from webapi.app import create_app

    return create_app(dataclasses.replace(settings, dashboard_user=AUTH[0], dashboard_password=AUTH[1]))


def test_without_credentials_neither_is_mounted(client):
    assert client.get("/rq/").status_code == 404
    assert client.get("/metrics").status_code == 404


@pytest.mark.parametrize("path", ["/rq/", "/rq/0/data/queues.json", "/metrics"])
def test_credentials_are_required(watched, path):
    client = watched.test_client()
    for auth in (None, ("watcher", "wrong"), ("someone", AUTH[1])):
        response = client.get(path, auth=auth)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert client.get(path, auth=AUTH).status_code == 200


def test_cross_site_state_changes_are_refused(watched):
    client = watched.test_client()
    for headers in (
        {"Sec-Fetch-Site": "cross-site"},
        {"Origin": "https://evil.example"},
        {"Referer": "https://evil.example/page"},
    ):
        assert client.get("/rq/requeue/default", auth=AUTH, headers=headers).status_code == 403
        assert client.post("/rq/queue/default/compact", auth=AUTH, headers=headers).status_code == 403
    # The dashboard's own pages may still do it.
    same = client.post("/rq/requeue/default", auth=AUTH, headers={"Sec-Fetch-Site": "same-origin"})
    assert same.status_code == 200


def test_metrics_read_the_ledger_queues_and_counters(watched, make_user, db_session, redis):
    from datetime import UTC, datetime

    from webapi.models import Delivery, Mailing

    make_user(1)
    make_user(2)
    mailing = Mailing(name="m", text="t", send_at=datetime.now(UTC), status="sending")
    db_session.add(mailing)
    db_session.flush()
    db_session.add_all(
        [
            Delivery(mailing_id=mailing.id, user_id=1, status="sent"),
            Delivery(mailing_id=mailing.id, user_id=2, status="blocked"),
        ]
    )
    db_session.commit()
    monitoring.record_sends(redis, [(0.07, "sent"), (3.0, monitoring.THROTTLED)])
    body = watched.test_client().get("/metrics", auth=AUTH).data.decode()
    assert 'rassylka_deliveries{status="sent"} 1.0' in body
    assert 'rassylka_deliveries{status="blocked"} 1.0' in body
    assert 'rassylka_mailings{status="sending"} 1.0' in body
    assert 'rassylka_queue_depth{queue="broadcast"} 0.0' in body
    assert 'rassylka_sends_total{outcome="sent"} 1.0' in body
    assert 'rassylka_sends_total{outcome="retry_after"} 1.0' in body
    assert "rassylka_telegram_429_total 1.0" in body
    assert 'rassylka_send_latency_seconds_bucket{le="0.1"} 1.0' in body
    assert 'rassylka_send_latency_seconds_bucket{le="+Inf"} 2.0' in body


def test_metrics_count_wrong_admin_keys_and_lockouts(watched, make_user):
    from tests.conftest import ADMIN_KEY, bot_headers

    client = watched.test_client()

    def claim(tg_id: int, key: str) -> int:
        url = f"/api/v1/users/{tg_id}/claim-admin"
        return client.post(url, json={"key": key}, headers=bot_headers(tg_id)).status_code

    make_user(5)
    make_user(6)
    wrong = "y" * len(ADMIN_KEY)
    assert [claim(5, wrong) for _ in range(6)] == [403] * 5 + [429]
    assert claim(6, wrong) == 403
    assert claim(6, "promo_autumn_1") == 403  # not shaped like the key: not counted
    body = client.get("/metrics", auth=AUTH).data.decode()
    assert "rassylka_claim_admin_failures_total 6.0" in body
    assert "rassylka_claim_admin_lockouts_total 1.0" in body
