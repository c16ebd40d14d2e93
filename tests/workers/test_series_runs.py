"""The scheduler's periodic job makes each recurring series' runs a day ahead, at the right local times,
once per occurrence, across daylight saving changes; pause, resume and end act on runs not yet started.

The job is the real one (`workers.jobs.make_series_runs`), run in this process with the clock given.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from webapi.domain import Actor
from webapi.extensions import db
from webapi.models import Mailing, Series
from webapi.services import series as service
from workers.jobs import make_series_runs

ADMIN = Actor("telebot", 1001, "admin")


@pytest.fixture
def zone_app(app, admin):
    """The app with TIMEZONE set by the test (restored afterwards), inside an app context; ADMIN exists."""
    original = app.config["SETTINGS"]

    def use(zone: str) -> None:
        app.config["SETTINGS"] = dataclasses.replace(original, timezone=ZoneInfo(zone))

    with app.app_context():
        yield use
        db.session.rollback()
    app.config["SETTINGS"] = original


def runs(series_id: int) -> list[datetime]:
    """The send times of the series' runs, in order."""
    db.session.rollback()
    return list(
        db.session.scalars(
            select(Mailing.send_at).where(Mailing.series_id == series_id).order_by(Mailing.send_at)
        )
    )


def daily(clock: str = "09:00", **rule) -> dict:
    return {"name": "Digest", "text": "Hello", "rule": {"kind": "daily", "time": clock, **rule}}


def run_job_every_hour(start: datetime, hours: int) -> None:
    for hour in range(hours):
        make_series_runs((start + timedelta(hours=hour)).isoformat())


def test_berlin_runs_stay_at_09_00_local_across_the_spring_change_made_a_day_ahead(zone_app):
    zone_app("Europe/Berlin")
    start = datetime(2027, 3, 25, 12, 0, tzinfo=UTC)
    series = service.create_series(ADMIN, daily(), now=start)
    # Created at noon on 25 March: the run of 26 March 09:00 is within a day, made at once.
    assert runs(series.id) == [datetime(2027, 3, 26, 8, 0, tzinfo=UTC)]
    run_job_every_hour(start, 5 * 24)
    made = runs(series.id)
    assert made == [
        datetime(2027, 3, 26, 8, 0, tzinfo=UTC),
        datetime(2027, 3, 27, 8, 0, tzinfo=UTC),
        datetime(2027, 3, 28, 7, 0, tzinfo=UTC),  # clocks went forward that night: CEST from here
        datetime(2027, 3, 29, 7, 0, tzinfo=UTC),
        datetime(2027, 3, 30, 7, 0, tzinfo=UTC),
        datetime(2027, 3, 31, 7, 0, tzinfo=UTC),
    ]
    assert {moment.astimezone(ZoneInfo("Europe/Berlin")).strftime("%H:%M") for moment in made} == {"09:00"}
    # Each run is a mailing of its own with the occurrence it is.
    rows = db.session.scalars(select(Mailing).where(Mailing.series_id == series.id)).all()
    assert all(row.status == "scheduled" and row.series_occurrence_at == row.send_at for row in rows)
    assert len({row.id for row in rows}) == 6


def test_berlin_autumn_change_and_moscow_without_one(zone_app):
    zone_app("Europe/Berlin")
    start = datetime(2027, 10, 29, 12, 0, tzinfo=UTC)
    berlin = service.create_series(ADMIN, daily("02:30"), now=start)
    zone_app("Europe/Moscow")
    moscow = service.create_series(ADMIN, daily("09:00"), now=start)
    run_job_every_hour(start, 4 * 24)
    assert runs(berlin.id) == [
        datetime(2027, 10, 30, 0, 30, tzinfo=UTC),
        datetime(2027, 10, 31, 0, 30, tzinfo=UTC),  # 02:30 happens twice: the first (CEST) runs, once
        datetime(2027, 11, 1, 1, 30, tzinfo=UTC),
        datetime(2027, 11, 2, 1, 30, tzinfo=UTC),
        datetime(2027, 11, 3, 1, 30, tzinfo=UTC),
    ]
    assert runs(moscow.id) == [datetime(2027, 10, day, 6, 0, tzinfo=UTC) for day in (30, 31)] + [
        datetime(2027, 11, day, 6, 0, tzinfo=UTC) for day in (1, 2, 3)
    ]


def test_the_job_is_idempotent_even_when_two_makers_race_for_one_occurrence(zone_app):
    zone_app("Europe/Moscow")
    start = datetime(2027, 6, 1, 8, 0, tzinfo=UTC)
    series = service.create_series(ADMIN, daily("12:00"), now=start)
    assert make_series_runs(start.isoformat()) == {"made": {}}
    assert make_series_runs(start.isoformat()) == {"made": {}}
    assert len(runs(series.id)) == 1
    # A maker whose cursor lags behind finds the occurrence made and skips it.
    db.session.execute(db.update(Series).where(Series.id == series.id).values(made_until=None, runs_made=0))
    db.session.commit()
    assert make_series_runs(start.isoformat()) == {"made": {}}
    assert runs(series.id) == [datetime(2027, 6, 1, 9, 0, tzinfo=UTC)]
    # And two that race past that check meet the unique (series_id, occurrence): one row stays.
    moment = datetime(2027, 6, 1, 9, 0, tzinfo=UTC)
    twin = Mailing(name="x", text="x", send_at=moment, series_id=series.id, series_occurrence_at=moment)
    db.session.add(twin)
    series_id = series.id
    with pytest.raises(IntegrityError):
        db.session.flush()
    assert runs(series_id) == [moment]


def test_count_and_until_end_the_series_and_a_run_deleted_by_hand_is_not_made_again(zone_app, client, admin):
    zone_app("Europe/Moscow")
    start = datetime(2027, 6, 1, 8, 0, tzinfo=UTC)
    counted = service.create_series(ADMIN, daily("12:00", count=3), now=start)
    until = service.create_series(ADMIN, daily("13:00", until=date(2027, 6, 2)), now=start)
    first_run = runs(counted.id)[0]
    deleted = db.session.scalar(select(Mailing).where(Mailing.series_id == counted.id))
    assert client.delete(f"/api/v1/mailings/{deleted.id}", headers=admin).status_code == 204
    run_job_every_hour(start, 6 * 24)
    assert first_run not in runs(counted.id)
    assert runs(counted.id) == [datetime(2027, 6, day, 9, 0, tzinfo=UTC) for day in (2, 3)]
    assert runs(until.id) == [datetime(2027, 6, day, 10, 0, tzinfo=UTC) for day in (1, 2)]
    assert db.session.get(Series, counted.id).status == "finished"
    assert db.session.get(Series, until.id).status == "finished"


def test_pause_skips_what_falls_in_it_resume_continues_end_removes_what_is_left(zone_app):
    zone_app("Europe/Moscow")
    start = datetime(2027, 6, 1, 8, 0, tzinfo=UTC)
    series = service.create_series(ADMIN, daily("12:00"), now=start)
    assert runs(series.id) == [datetime(2027, 6, 1, 9, 0, tzinfo=UTC)]
    service.pause_series(ADMIN, series.id, now=start)
    run_job_every_hour(start, 3 * 24)
    assert runs(series.id) == []
    resumed_at = start + timedelta(days=3)
    service.resume_series(ADMIN, series.id, now=resumed_at)
    run_job_every_hour(resumed_at, 24)
    assert runs(series.id) == [datetime(2027, 6, day, 9, 0, tzinfo=UTC) for day in (4, 5)]
    # The 4 June run has started; ending removes only the one still to come.
    db.session.execute(
        db.update(Mailing)
        .where(Mailing.send_at == datetime(2027, 6, 4, 9, 0, tzinfo=UTC))
        .values(status="sending")
    )
    db.session.commit()
    service.end_series(ADMIN, series.id, now=resumed_at + timedelta(days=1))
    run_job_every_hour(resumed_at + timedelta(days=1), 48)
    assert runs(series.id) == [datetime(2027, 6, 4, 9, 0, tzinfo=UTC)]


def test_an_edit_remakes_only_runs_not_started_from_the_new_rule(zone_app):
    zone_app("Europe/Berlin")
    start = datetime(2027, 3, 26, 10, 0, tzinfo=UTC)
    series = service.create_series(ADMIN, daily("09:00"), now=start)
    make_series_runs((start + timedelta(hours=23)).isoformat())
    assert runs(series.id) == [
        datetime(2027, 3, 27, 8, 0, tzinfo=UTC),
        datetime(2027, 3, 28, 7, 0, tzinfo=UTC),
    ]
    db.session.execute(
        db.update(Mailing)
        .where(Mailing.send_at == datetime(2027, 3, 27, 8, 0, tzinfo=UTC))
        .values(status="sending")
    )
    db.session.commit()
    changed = service.update_series(
        ADMIN,
        series.id,
        series.version,
        {"text": "New", "rule": {"kind": "weekdays", "weekdays": [0], "time": "18:00"}},
        now=start + timedelta(hours=23, minutes=5),
    )
    assert changed.version == 2
    run_job_every_hour(start + timedelta(hours=23), 5 * 24)
    made = db.session.execute(
        select(Mailing.send_at, Mailing.text).where(Mailing.series_id == series.id).order_by(Mailing.send_at)
    ).all()
    # The started run keeps its time and text; Mondays at 18:00 CEST follow.
    assert [tuple(row) for row in made] == [
        (datetime(2027, 3, 27, 8, 0, tzinfo=UTC), "Hello"),
        (datetime(2027, 3, 29, 16, 0, tzinfo=UTC), "New"),
    ]
