"""Recurring mailings: the rule's instants (daylight saving included), the API, pause, resume, end, edits."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

import pytest

from webapi.series_rules import Rule, next_occurrence, occurrences, read_rule

BERLIN = ZoneInfo("Europe/Berlin")
MOSCOW = ZoneInfo("Europe/Moscow")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def instants(rule: Rule, zone: ZoneInfo, after: datetime, n: int) -> list[datetime]:
    return list(islice(occurrences(rule, zone, after), n))


# The rule's instants: a pure computation


def test_berlin_keeps_09_00_local_across_both_daylight_saving_changes():
    daily = Rule("daily", time(9, 0))
    # Clocks go forward on Sunday 28 March 2027: 09:00 is 08:00 UTC before, 07:00 UTC after.
    spring = instants(daily, BERLIN, utc(2027, 3, 26, 0, 0), 4)
    assert spring == [utc(2027, 3, 26, 8), utc(2027, 3, 27, 8), utc(2027, 3, 28, 7), utc(2027, 3, 29, 7)]
    # And back on Sunday 31 October 2027.
    autumn = instants(daily, BERLIN, utc(2027, 10, 29, 12, 0), 4)
    assert autumn == [utc(2027, 10, 30, 7), utc(2027, 10, 31, 8), utc(2027, 11, 1, 8), utc(2027, 11, 2, 8)]
    assert {moment.astimezone(BERLIN).strftime("%H:%M") for moment in spring + autumn} == {"09:00"}


def test_moscow_has_no_daylight_saving_09_00_is_always_06_00_utc():
    daily = Rule("daily", time(9, 0))
    around_changes = instants(daily, MOSCOW, utc(2027, 3, 26), 4) + instants(
        daily, MOSCOW, utc(2027, 10, 29), 4
    )
    assert {moment.time() for moment in around_changes} == {time(6, 0)}
    assert [m.day for m in around_changes] == [26, 27, 28, 29, 29, 30, 31, 1]


def test_a_skipped_time_runs_later_by_the_gap_and_a_repeated_one_at_its_first_instant():
    night = Rule("daily", time(2, 30))
    # 28 March 2027 in Berlin has no 02:30 (02:00 → 03:00): it runs at 03:30 CEST.
    skipped = next_occurrence(night, BERLIN, utc(2027, 3, 27, 12))
    assert skipped == utc(2027, 3, 28, 1, 30)
    assert skipped.astimezone(BERLIN).strftime("%H:%M %Z") == "03:30 CEST"
    # 31 October 2027 has 02:30 twice (CEST, then CET): it runs once, at the first.
    doubled = instants(night, BERLIN, utc(2027, 10, 30, 12), 2)
    assert doubled == [utc(2027, 10, 31, 0, 30), utc(2027, 11, 1, 1, 30)]
    assert doubled[0].astimezone(BERLIN).strftime("%H:%M %Z") == "02:30 CEST"


def test_weekdays_and_monthly_with_a_day_past_a_short_months_end():
    mon_fri = Rule("weekdays", time(18, 15), weekdays=(0, 4))
    found = instants(mon_fri, MOSCOW, utc(2027, 3, 1), 4)  # Monday 1 March 2027
    assert [m.astimezone(MOSCOW).strftime("%a %d %H:%M") for m in found] == [
        "Mon 01 18:15",
        "Fri 05 18:15",
        "Mon 08 18:15",
        "Fri 12 18:15",
    ]
    last_day = Rule("monthly", time(10, 0), day=31)
    days = [m.astimezone(BERLIN).date() for m in instants(last_day, BERLIN, utc(2027, 1, 1), 4)]
    assert days == [date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31), date(2027, 4, 30)]
    leap = [
        m.astimezone(BERLIN).date()
        for m in instants(Rule("monthly", time(10), day=30), BERLIN, utc(2028, 2, 1), 1)
    ]
    assert leap == [date(2028, 2, 29)]


def test_until_is_an_inclusive_local_date_and_a_rule_that_never_runs_is_refused():
    rule = Rule("daily", time(9, 0), until=date(2027, 3, 28))
    assert instants(rule, BERLIN, utc(2027, 3, 26), 10) == [
        utc(2027, 3, 26, 8),
        utc(2027, 3, 27, 8),
        utc(2027, 3, 28, 7),
    ]
    now = utc(2027, 1, 1)
    never, errors = read_rule(
        {"kind": "monthly", "day": 15, "time": "10:00", "until": date(2027, 1, 10)}, BERLIN, now
    )
    assert never is None and [p.code for p in errors["until"]] == ["rule_never_runs"]
    bad, errors = read_rule(
        {"kind": "weekly", "time": "24:00", "weekdays": [7], "day": 0, "count": 0, "until": date(2026, 1, 1)},
        BERLIN,
        now,
    )
    assert bad is None
    assert {field: [p.code for p in problems] for field, problems in errors.items()} == {
        "kind": ["rule_kind_unknown"],
        "time": ["rule_time_invalid"],
        "weekdays": ["rule_weekday_invalid"],
        "day": ["rule_day_invalid"],
        "count": ["rule_count_invalid"],
        "until": ["rule_until_past"],
    }


# The API


def _local_clock(hours: float) -> str:
    """HH:MM in Moscow `hours` from now (whole minutes, so the run made now is that far ahead)."""
    return (datetime.now(UTC) + timedelta(hours=hours)).astimezone(MOSCOW).strftime("%H:%M")


def _body(**rule) -> dict:
    return {
        "name": "Morning digest",
        "text": "<b>Good morning</b>",
        "buttons": [{"text": "Read", "url": "https://example.org/news"}],
        "rule": {"kind": "daily", "time": _local_clock(2), **rule},
    }


@pytest.fixture
def create(client, admin):
    def create(**rule):
        response = client.post("/api/v1/series", json=_body(**rule), headers=admin)
        assert response.status_code == 201, response.json
        return response.json

    return create


def test_create_makes_the_run_due_within_a_day_and_the_run_carries_the_series(client, admin, create):
    series = create(count=3)
    assert series["status"] == "active" and series["timezone"] == "Europe/Moscow"
    assert series["rule"] == {
        "kind": "daily",
        "weekdays": [],
        "day": None,
        "time": series["rule"]["time"],
        "until": None,
        "count": 3,
    }
    assert series["runs_made"] == 1 and len(series["scheduled_runs"]) == 1
    run = client.get(f"/api/v1/mailings/{series['scheduled_runs'][0]['id']}", headers=admin).json
    assert run["series_id"] == series["id"] and run["status"] == "scheduled"
    assert run["text"] == "<b>Good morning</b>" and [b["text"] for b in run["buttons"]] == ["Read"]
    assert run["send_at"] == series["next_run_at"]
    assert (
        datetime.fromisoformat(run["send_at"]).astimezone(MOSCOW).strftime("%H:%M") == series["rule"]["time"]
    )
    listed = client.get("/api/v1/mailings", headers=admin).json["items"]
    assert [(m["id"], m["series_id"]) for m in listed] == [(run["id"], series["id"])]
    assert client.get("/api/v1/series", headers=admin).json["total"] == 1


def test_next_run_is_computed_when_no_run_is_made_yet(client, admin):
    body = _body()
    body["rule"] = {"kind": "monthly", "day": 1, "time": "10:00"}
    body["starts_on"] = "2030-01-01"
    created = client.post("/api/v1/series", json=body, headers=admin).json
    assert created["runs_made"] == 0 and created["scheduled_runs"] == []
    assert created["next_run_at"] == "2030-01-01T07:00:00+00:00"
    read = client.get(f"/api/v1/series/{created['id']}", headers=admin).json
    assert read["next_run_at"] == "2030-01-01T07:00:00+00:00"


@pytest.mark.parametrize(
    ("rule", "field", "code"),
    [
        ({"kind": "weekdays", "time": "09:00"}, "weekdays", "rule_weekdays_missing"),
        ({"kind": "weekdays", "time": "09:00", "weekdays": [1, 9]}, "weekdays", "rule_weekday_invalid"),
        ({"kind": "monthly", "time": "09:00"}, "day", "rule_day_missing"),
        ({"kind": "monthly", "time": "09:00", "day": 32}, "day", "rule_day_invalid"),
        ({"kind": "daily", "time": "09:00", "day": 3}, "day", "rule_day_unexpected"),
        ({"kind": "daily", "time": "09:00", "weekdays": [3]}, "weekdays", "rule_weekdays_unexpected"),
        ({"kind": "daily", "time": "9:00"}, "time", "rule_time_invalid"),
        ({"kind": "hourly", "time": "09:00"}, "kind", "rule_kind_unknown"),
        ({"kind": "daily", "time": "09:00", "count": 0}, "count", "rule_count_invalid"),
        ({"kind": "daily", "time": "09:00", "until": "2020-01-01"}, "until", "rule_until_past"),
    ],
)
def test_bad_rules_answer_422_naming_the_field_and_save_nothing(client, admin, rule, field, code):
    body = {**_body(), "rule": rule}
    response = client.post("/api/v1/series", json=body, headers=admin)
    assert response.status_code == 422, response.json
    error = response.json["error"]
    assert error["code"] == "validation_error"
    assert [p["code"] for p in error["details"]["rule"][field]] == [code]
    assert client.get("/api/v1/series", headers=admin).json["total"] == 0
    assert client.get("/api/v1/mailings", headers=admin).json["total"] == 0


def test_bad_content_and_a_missing_rule_are_refused(client, admin):
    no_rule = {key: value for key, value in _body().items() if key != "rule"}
    response = client.post("/api/v1/series", json=no_rule, headers=admin)
    assert response.status_code == 422 and response.json["error"]["details"]["rule"][0]["code"] == "required"
    response = client.post("/api/v1/series", json={**_body(), "text": "<b>open"}, headers=admin)
    assert response.status_code == 422
    assert response.json["error"]["details"]["text"][0]["code"] == "html_unclosed_tag"


def test_pause_removes_unstarted_runs_resume_makes_them_again_end_is_final(client, admin, create):
    series = create()
    run_id = series["scheduled_runs"][0]["id"]
    paused = client.post(f"/api/v1/series/{series['id']}/pause", headers=admin).json
    assert paused["status"] == "paused" and paused["scheduled_runs"] == [] and paused["next_run_at"] is None
    assert paused["runs_made"] == 0
    assert client.get(f"/api/v1/mailings/{run_id}", headers=admin).status_code == 404
    again = client.post(f"/api/v1/series/{series['id']}/pause", headers=admin)
    assert again.status_code == 409 and again.json["error"]["code"] == "series_wrong_status"
    resumed = client.post(f"/api/v1/series/{series['id']}/resume", headers=admin).json
    assert resumed["status"] == "active" and len(resumed["scheduled_runs"]) == 1
    assert resumed["scheduled_runs"][0]["send_at"] == series["scheduled_runs"][0]["send_at"]
    ended = client.post(f"/api/v1/series/{series['id']}/end", headers=admin).json
    assert ended["status"] == "ended" and ended["scheduled_runs"] == [] and ended["next_run_at"] is None
    assert ended["ended_at"] is not None
    assert client.post(f"/api/v1/series/{series['id']}/resume", headers=admin).status_code == 409
    assert client.get("/api/v1/mailings", headers=admin).json["total"] == 0


def test_an_edit_changes_only_runs_not_yet_started(client, admin, create, db_session):
    from webapi.models import Mailing

    series = create()
    started_id = series["scheduled_runs"][0]["id"]
    # That run has started: it is a mailing of its own now and keeps what it was made with.
    db_session.get(Mailing, started_id).status = "sending"
    db_session.commit()
    clock = _local_clock(3)
    changed = client.patch(
        f"/api/v1/series/{series['id']}",
        json={"version": series["version"], "text": "Evening news", "rule": {"kind": "daily", "time": clock}},
        headers=admin,
    )
    assert changed.status_code == 200, changed.json
    series_now = changed.json
    assert series_now["text"] == "Evening news" and series_now["rule"]["time"] == clock
    assert client.get(f"/api/v1/mailings/{started_id}", headers=admin).json["text"] == "<b>Good morning</b>"
    new_runs = series_now["scheduled_runs"]
    assert len(new_runs) == 1 and new_runs[0]["id"] != started_id
    new_run = client.get(f"/api/v1/mailings/{new_runs[0]['id']}", headers=admin).json
    assert new_run["text"] == "Evening news"
    assert datetime.fromisoformat(new_run["send_at"]).astimezone(MOSCOW).strftime("%H:%M") == clock
    stale = client.patch(f"/api/v1/series/{series['id']}", json={"version": 1, "name": "x"}, headers=admin)
    assert stale.status_code == 409 and stale.json["error"]["code"] == "version_conflict"
    assert client.get("/api/v1/series/999", headers=admin).status_code == 404


def test_an_unchanged_content_edit_of_a_paused_series_makes_no_run(client, admin, create):
    series = create()
    paused = client.post(f"/api/v1/series/{series['id']}/pause", headers=admin).json
    changed = client.patch(
        f"/api/v1/series/{series['id']}",
        json={"version": paused["version"], "name": "Renamed"},
        headers=admin,
    ).json
    assert changed["name"] == "Renamed" and changed["status"] == "paused" and changed["scheduled_runs"] == []


def test_a_run_cancelled_before_its_time_is_not_made_again_after_a_pause(client, admin, create):
    series = create()
    run_id = series["scheduled_runs"][0]["id"]
    assert client.post(f"/api/v1/mailings/{run_id}/cancel", headers=admin).status_code == 200
    client.post(f"/api/v1/series/{series['id']}/pause", headers=admin)
    resumed = client.post(f"/api/v1/series/{series['id']}/resume", headers=admin)
    assert resumed.status_code == 200, resumed.json
    assert resumed.json["scheduled_runs"] == [] and resumed.json["runs_made"] == 1
    # Its next time is the day after the cancelled one.
    cancelled_at = datetime.fromisoformat(series["scheduled_runs"][0]["send_at"])
    assert datetime.fromisoformat(resumed.json["next_run_at"]) == cancelled_at + timedelta(days=1)
    assert client.get(f"/api/v1/mailings/{run_id}", headers=admin).json["status"] == "cancelled"


def test_an_idempotency_key_makes_a_repeated_create_safe(client, admin):
    body = _body()
    headers = {**admin, "Idempotency-Key": "series-key-0001"}
    first = client.post("/api/v1/series", json=body, headers=headers)
    again = client.post("/api/v1/series", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json["id"] == first.json["id"] and again.json["runs_made"] == 1
    changed = client.post("/api/v1/series", json={**body, "name": "Other"}, headers=headers)
    assert changed.status_code == 422
    assert changed.json["error"]["code"] == "idempotency_key_reused"
    assert changed.json["error"]["details"] == {"series_id": first.json["id"]}
    assert client.get("/api/v1/series", headers=admin).json["total"] == 1
    assert client.get("/api/v1/mailings", headers=admin).json["total"] == 1
