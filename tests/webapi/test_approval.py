"""Two-person approval through the API: who may approve, what takes an approval back, and that nothing
starts a mailing still waiting for it."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from tests.conftest import bot_headers
from webapi.extensions import db
from webapi.services import ledger

AUTHOR, SECOND, THIRD = 1001, 1002, 1005


@pytest.fixture
def threshold(app):
    """APPROVAL_THRESHOLD for one test: set(n), or None to turn approval off."""
    original = app.config["SETTINGS"]

    def set_to(value: int | None) -> None:
        app.config["SETTINGS"] = dataclasses.replace(original, approval_threshold=value)

    yield set_to
    app.config["SETTINGS"] = original


@pytest.fixture
def staff(make_user):
    """The author (an admin), a moderator and another admin, and two subscribers: 5 active users."""
    make_user(AUTHOR, role="admin")
    make_user(SECOND, role="moderator")
    make_user(THIRD, role="admin")
    make_user(3001)
    make_user(3002)
    return {who: bot_headers(who) for who in (AUTHOR, SECOND, THIRD)}


def _create(client, headers, **fields) -> dict:
    body = {
        "name": "Big one",
        "text": "<b>Hello</b> everyone",
        "send_at": (datetime.now(UTC) + timedelta(days=1)).isoformat(),
        **fields,
    }
    response = client.post("/api/v1/mailings", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _approve(client, headers, mailing_id: int, **query):
    return client.post(f"/api/v1/mailings/{mailing_id}/approve", query_string=query, headers=headers)


def _audit(app, mailing_id: int) -> list[tuple[str, int | None]]:
    with app.app_context():
        rows = db.session.execute(
            text("SELECT action, actor_tg_id FROM audit_log WHERE object_id = :m ORDER BY id"),
            {"m": str(mailing_id)},
        ).all()
        db.session.remove()
    return [(row.action, row.actor_tg_id) for row in rows]


def _move_send_at(app, mailing_id: int, when: datetime) -> None:
    with app.app_context():
        db.session.execute(
            text("UPDATE mailings SET send_at = :t WHERE id = :m"), {"t": when, "m": mailing_id}
        )
        db.session.commit()
        db.session.remove()


def test_without_the_setting_nothing_needs_approval(client, staff, threshold):
    threshold(None)
    mailing = _create(client, staff[AUTHOR])
    assert mailing["approval"] == {"required": False, "approved_by": None, "approved_at": None}

    refused = _approve(client, staff[SECOND], mailing["id"])

    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "approval_not_required"


def test_an_audience_within_the_threshold_needs_none(client, staff, threshold):
    threshold(5)  # five active users: not more than five
    assert _create(client, staff[AUTHOR])["approval"]["required"] is False
    threshold(4)
    assert _create(client, staff[AUTHOR])["approval"]["required"] is True
    # A segment that holds nobody is within any threshold.
    small = _create(client, staff[AUTHOR], segment={"tags_any": ["nobody-has-this"]})
    assert small["approval"]["required"] is False


def test_the_author_may_not_approve_a_second_person_may_and_again_changes_nothing(
    app, client, staff, threshold
):
    threshold(1)
    mailing = _create(client, staff[AUTHOR])
    assert mailing["approval"] == {"required": True, "approved_by": None, "approved_at": None}

    by_author = _approve(client, staff[AUTHOR], mailing["id"])
    assert by_author.status_code == 403
    assert by_author.get_json()["error"]["code"] == "approval_by_author"

    approved = _approve(client, staff[SECOND], mailing["id"], version=mailing["version"])
    assert approved.status_code == 200, approved.get_json()
    approval = approved.get_json()["approval"]
    assert approval["required"] is True and approval["approved_by"] == SECOND
    assert datetime.fromisoformat(approval["approved_at"]) <= datetime.now(UTC)
    assert approved.get_json()["status"] == "scheduled"  # its time has not come
    assert approved.get_json()["version"] == mailing["version"]  # approving is no edit

    again = _approve(client, staff[THIRD], mailing["id"])
    assert again.status_code == 200
    assert again.get_json()["approval"] == approval  # still the first approval
    listed = client.get("/api/v1/mailings", headers=staff[AUTHOR]).get_json()["items"]
    assert listed[0]["approval"] == approval
    assert _audit(app, mailing["id"]).count(("mailing.approved", SECOND)) == 1
    assert ("mailing.approved", THIRD) not in _audit(app, mailing["id"])


def test_a_subscriber_may_not_approve(client, staff, threshold, make_user):
    threshold(1)
    mailing = _create(client, staff[AUTHOR])
    refused = _approve(client, bot_headers(make_user(4000)), mailing["id"])
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize(
    "change",
    [
        {"text": "Another text"},
        {"send_at": (datetime.now(UTC) + timedelta(days=2)).isoformat()},
        {"segment": {"roles": ["subscriber", "admin"]}},
        {"buttons": [{"text": "Go", "url": "https://example.com"}]},
        {"media": {"type": "photo", "file_id": "https://example.com/cat.jpg"}},
    ],
    ids=["text", "send_at", "segment", "buttons", "media"],
)
def test_a_change_to_what_it_sends_when_or_to_whom_takes_the_approval_back(
    app, client, staff, threshold, change
):
    threshold(1)
    mailing = _create(client, staff[AUTHOR])
    approved = _approve(client, staff[SECOND], mailing["id"]).get_json()

    changed = client.patch(
        f"/api/v1/mailings/{mailing['id']}",
        json={"version": approved["version"], **change},
        headers=staff[AUTHOR],
    )

    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["approval"] == {"required": True, "approved_by": None, "approved_at": None}
    assert ("mailing.approval_reset", AUTHOR) in _audit(app, mailing["id"])
    # The approval of the old version does not count for the new one.
    stale = _approve(client, staff[SECOND], mailing["id"], version=approved["version"])
    assert stale.status_code == 409
    assert stale.get_json()["error"]["code"] == "version_conflict"
    assert _approve(client, staff[SECOND], mailing["id"]).get_json()["approval"]["approved_by"] == SECOND


def test_renaming_it_or_saving_it_unchanged_keeps_the_approval(app, client, staff, threshold):
    threshold(1)
    mailing = _create(client, staff[AUTHOR])
    approved = _approve(client, staff[SECOND], mailing["id"]).get_json()
    same = {"text": mailing["text"], "buttons": [], "media": None, "segment": None}

    renamed = client.patch(
        f"/api/v1/mailings/{mailing['id']}",
        json={"version": approved["version"], "name": "New name", **same},
        headers=staff[AUTHOR],
    )

    assert renamed.status_code == 200
    assert renamed.get_json()["approval"] == approved["approval"]
    assert "mailing.approval_reset" not in [action for action, _ in _audit(app, mailing["id"])]


def test_send_now_waits_for_the_approval(client, staff, threshold):
    threshold(1)
    mailing = _create(client, staff[AUTHOR])

    refused = client.post(f"/api/v1/mailings/{mailing['id']}/send-now", headers=staff[AUTHOR])
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "approval_required"
    assert client.get(f"/api/v1/mailings/{mailing['id']}", headers=staff[AUTHOR]).get_json()["status"] == (
        "scheduled"
    )

    _approve(client, staff[SECOND], mailing["id"])
    started = client.post(f"/api/v1/mailings/{mailing['id']}/send-now", headers=staff[AUTHOR])
    assert started.status_code == 200
    assert started.get_json()["status"] == "sending"


def test_a_due_mailing_waits_and_starts_once_approved(app, client, staff, threshold):
    threshold(1)
    mailing = _create(client, staff[AUTHOR])
    _move_send_at(app, mailing["id"], datetime.now(UTC) - timedelta(minutes=1))

    with app.app_context():
        # Every starter asks the ledger: none of them sees it, and a forced start refuses it too.
        assert mailing["id"] not in ledger.due_mailing_ids()
        assert ledger.seconds_to_next_start() is None
        assert ledger.start(mailing["id"]) is False
        assert ledger.start(mailing["id"], force=True) is False
        db.session.rollback()
        db.session.remove()

    approved = _approve(client, staff[THIRD], mailing["id"])

    assert approved.status_code == 200
    assert approved.get_json()["status"] == "sending"
    assert ("mailing.started", THIRD) in _audit(app, mailing["id"])


def test_only_a_scheduled_mailing_can_be_approved(client, staff, threshold):
    threshold(1)
    mailing = _create(client, staff[AUTHOR])
    client.post(f"/api/v1/mailings/{mailing['id']}/cancel", headers=staff[AUTHOR])

    refused = _approve(client, staff[SECOND], mailing["id"])

    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "wrong_status"
    assert _approve(client, staff[SECOND], 987654).status_code == 404


def _client_token(app, name: str, role: str) -> dict[str, str]:
    output = app.test_cli_runner().invoke(args=["tokens", "issue", name, "--role", role]).output
    return {"Authorization": f"Bearer {output.strip().splitlines()[-1]}"}


def test_an_api_client_may_not_approve_its_own_mailing(app, client, make_user, threshold):
    threshold(0)
    make_user(3001)
    ops, crm = _client_token(app, "ops", "admin"), _client_token(app, "crm", "moderator")
    mailing = _create(client, ops)

    assert _approve(client, ops, mailing["id"]).get_json()["error"]["code"] == "approval_by_author"
    approval = _approve(client, crm, mailing["id"]).get_json()["approval"]
    assert approval["approved_by"] is None and approval["approved_at"] is not None


def test_the_threshold_setting_is_read_and_checked():
    from webapi.settings import ConfigError, load_settings

    assert load_settings({}).approval_threshold is None
    assert load_settings({"APPROVAL_THRESHOLD": "1000"}).approval_threshold == 1000
    assert load_settings({"APPROVAL_THRESHOLD": "0"}).approval_threshold == 0
    for bad in ("-1", "many", "1.5"):
        with pytest.raises(ConfigError, match="APPROVAL_THRESHOLD"):
            load_settings({"APPROVAL_THRESHOLD": bad})


def test_a_large_run_of_a_recurring_series_waits_for_approval_too(app, staff, threshold):
    from webapi.domain import Actor
    from webapi.models import Mailing
    from webapi.services import series

    threshold(1)
    body = {"name": "Digest", "text": "Hello", "rule": {"kind": "daily", "time": "12:00"}}
    start = datetime(2027, 6, 1, 8, 0, tzinfo=UTC)
    with app.app_context():
        made = series.create_series(Actor("telebot", AUTHOR, "admin"), body, now=start)
        run = db.session.scalars(db.select(Mailing).where(Mailing.series_id == made.id)).one()
        assert run.approval == {"required": True, "approved_by": None, "approved_at": None}
        db.session.rollback()
        db.session.remove()


def test_approving_before_its_time_puts_back_a_start_job_that_fired_while_it_waited(
    app, client, staff, threshold
):
    from rq_scheduler import Scheduler

    from webapi.services import scheduling

    threshold(1)
    mailing = _create(client, staff[AUTHOR])
    start_job = scheduling.start_job_id(mailing["id"])
    with app.app_context():
        scheduling.unschedule_start(mailing["id"])  # as if it had fired, 2 s ahead, and found it waiting
        scheduler = Scheduler(connection=app.extensions["redis"])
        assert start_job not in scheduler

        _approve(client, staff[SECOND], mailing["id"])

        assert start_job in scheduler
