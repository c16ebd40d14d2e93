"""The audience fanned out in chunks: first rows at the start, the rest while they send, never twice,
never after a cancel, and no finish before the last chunk is in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from webapi.extensions import db
from webapi.models import Mailing
from webapi.services import ledger as delivery_ledger
from webapi.services import scheduling


def _cursor(ledger, mailing_id: int):
    return ledger.mailing(mailing_id)["fanout_cursor"]


def test_the_start_adds_the_first_chunk_and_the_rest_follow_in_order(app, subscribers, new_mailing, ledger):
    ids = subscribers(25)
    subscribers(3, start_id=20_000_000)
    ledger.sql("UPDATE users SET status = 'unsubscribed' WHERE tg_id = :u", u=ids[3])
    m = new_mailing()["id"]
    with app.app_context():
        assert delivery_ledger.start(m, force=True, first_chunk=10)
        db.session.commit()
        first = {row["user_id"] for row in ledger.rows(m)}
        # The first ten active users by id (the admin 1001 comes first), and nobody unsubscribed.
        assert len(first) == 10 and 1001 in first and ids[3] not in first
        assert _cursor(ledger, m) == max(first)
        # Progress counts the audience still to come, so the figures are right from the start.
        figures = delivery_ledger.progress(db.session.get(Mailing, m))
        assert (figures["to_come"], figures["pending"]) == (18, 28)
        # Every row is final, but the audience is not all in: the mailing may not finish.
        ledger.sql("UPDATE deliveries SET status = 'sent' WHERE mailing_id = :m", m=m)
        assert delivery_ledger.work_left(db.engine, m).fanning
        assert not delivery_ledger.finish_if_done(db.engine, m)

        covered = []
        while (chunk := delivery_ledger.fan_out_chunk(db.engine, m, size=7)) is not None:
            covered.append(chunk)
        assert covered == [7, 7, 4]  # 28 active users: 10 + 7 + 7 + 4 (the last chunk clears the cursor)
        assert _cursor(ledger, m) is None and not delivery_ledger.work_left(db.engine, m).fanning
        db.session.expire_all()
        assert delivery_ledger.progress(db.session.get(Mailing, m))["to_come"] == 0
        users = [row["user_id"] for row in ledger.rows(m)]
        assert len(users) == len(set(users)) == 28
        assert set(users) == {1001, *ids, 20_000_000, 20_000_001, 20_000_002} - {ids[3]}
        assert delivery_ledger.fan_out_chunk(db.engine, m) is None
        ledger.sql("UPDATE deliveries SET status = 'sent' WHERE mailing_id = :m", m=m)
        assert delivery_ledger.finish_if_done(db.engine, m)


def test_a_row_already_past_the_cursor_is_skipped_not_doubled(app, subscribers, new_mailing, ledger):
    ids = subscribers(12)
    m = new_mailing()["id"]
    with app.app_context():
        assert delivery_ledger.start(m, force=True, first_chunk=4)
        db.session.commit()
        # A row past the cursor (no path writes one; the chunk must still go in around it).
        ledger.sql(
            "INSERT INTO deliveries (mailing_id, user_id, chat_id, status, attempts, updated_at) "
            "VALUES (:m, :u, :u, 'sent', 1, now())",
            m=m,
            u=ids[8],
        )
        assert delivery_ledger.fan_out_chunk(db.engine, m, size=100) == 9
    users = [row["user_id"] for row in ledger.rows(m)]
    assert len(users) == len(set(users)) == 13 and ledger.counts(m)["sent"] == 1


def test_a_cancel_stops_the_fan_out_and_one_driver_fans_out_at_a_time(
    app, client, admin, subscribers, new_mailing, ledger
):
    subscribers(20)
    m = new_mailing()["id"]
    with app.app_context():
        assert delivery_ledger.start(m, force=True, first_chunk=5)
        db.session.commit()
        # Another driver holds this mailing's fan-out: we add nothing and say so with 0.
        with db.engine.connect() as other, other.begin():
            other.execute(
                text("SELECT pg_advisory_xact_lock(:k, :m)"), {"k": delivery_ledger.FANOUT_LOCK, "m": m}
            )
            assert delivery_ledger.fan_out_chunk(db.engine, m, size=5) == 0
        assert len(ledger.rows(m)) == 5
        assert delivery_ledger.fan_out_chunk(db.engine, m, size=5) == 5

        assert client.post(f"/api/v1/mailings/{m}/cancel", headers=admin).status_code == 200
        assert delivery_ledger.fan_out_chunk(db.engine, m, size=5) is None
        assert delivery_ledger.fanning_ids(db.engine) == []
    assert ledger.counts(m)["cancelled"] == 10 and len(ledger.rows(m)) == 10


def test_send_now_answers_before_any_row_and_the_drivers_fan_out_the_rest(
    client, admin, sandbox, subscribers, new_mailing, processes, ledger, wait_for
):
    ids = subscribers(120)
    m = new_mailing(text="Everyone, once")["id"]
    response = client.post(f"/api/v1/mailings/{m}/send-now", headers=admin)
    assert response.status_code == 200 and response.get_json()["status"] == "sending"
    assert ledger.rows(m) == []  # nothing fanned out in the request
    assert _cursor(ledger, m) == delivery_ledger.NOTHING_YET

    processes.worker(rate=200)
    wait_for(lambda: ledger.mailing(m)["status"] == "finished", 60, "the mailing to finish")
    assert _cursor(ledger, m) is None
    assert ledger.counts(m)["sent"] == len(ids) + 1  # and the admin
    for chat in [*ids, 1001]:
        assert [msg["text"] for msg in sandbox.messages(chat) if msg["text"] == "Everyone, once"] == [
            "Everyone, once"
        ], chat


def test_the_audience_goes_in_ahead_and_the_start_adds_and_drops_whoever_changed(
    app, subscribers, new_mailing, ledger
):
    ids = subscribers(20)
    m = new_mailing(send_at=datetime.now(UTC) + timedelta(seconds=10))["id"]
    audience = {row[0] for row in ledger.sql("SELECT tg_id FROM users WHERE status = 'active'")}
    with app.app_context():
        # Not within the horizon yet: nothing happens; within it: once.
        assert not delivery_ledger.fan_out_ahead(db.engine, m, 5)
        assert delivery_ledger.fan_out_ahead(db.engine, m, 15)
        assert not delivery_ledger.fan_out_ahead(db.engine, m, 15)
        assert delivery_ledger.fanning_ids(db.engine) == [m]
        while delivery_ledger.fan_out_chunk(db.engine, m, size=7):
            pass
        assert ledger.mailing(m)["status"] == "scheduled" and _cursor(ledger, m) is None
        assert {row["user_id"] for row in ledger.rows(m)} == audience
        # Nobody can take these rows before the start.
        assert delivery_ledger.claim_batch(db.engine, m, "test", 100, 60) == []

        # Meanwhile one subscriber leaves and another, with a lower id than most, joins.
        ledger.sql("UPDATE users SET status = 'unsubscribed', updated_at = now() WHERE tg_id = :u", u=ids[4])
        (newcomer,) = subscribers(1, start_id=5_000)
        assert delivery_ledger.start(m, force=True)
        db.session.commit()
    users = [row["user_id"] for row in ledger.rows(m)]
    assert len(users) == len(set(users))
    assert set(users) == (audience - {ids[4]}) | {newcomer}
    assert _cursor(ledger, m) is None and ledger.mailing(m)["status"] == "sending"


def test_a_mailing_s_audience_is_in_the_ledger_before_its_time_and_each_gets_it_once(
    sandbox, subscribers, new_mailing, processes, ledger, wait_for
):
    ids = subscribers(300)
    send_at = datetime.now(UTC) + timedelta(seconds=scheduling.AHEAD_SECONDS + 6)
    m = new_mailing(text="Ahead of time", send_at=send_at)["id"]
    processes.scheduler()
    processes.worker(rate=200)

    def all_in_while_scheduled() -> bool:
        mailing = ledger.mailing(m)
        assert mailing["status"] == "scheduled", "the audience was not in before the start"
        return mailing["fanout_from"] is not None and mailing["fanout_cursor"] is None

    wait_for(all_in_while_scheduled, scheduling.AHEAD_SECONDS + 5, "the audience to go in ahead")
    audience = {row[0] for row in ledger.sql("SELECT tg_id FROM users WHERE status = 'active'")}
    assert {row["user_id"] for row in ledger.rows(m)} == audience  # the admin too
    assert ledger.counts(m) == {"pending": len(audience)}
    wait_for(lambda: ledger.mailing(m)["status"] == "finished", 60, "the mailing to finish")
    assert ledger.counts(m) == {"sent": len(audience)}
    assert all(len(sandbox.messages(chat_id)) == 1 for chat_id in ids)


def test_only_the_segment_gets_rows_and_the_start_follows_tag_changes(app, subscribers, new_mailing, ledger):
    ids = subscribers(30)
    vip = ids[::3]
    ledger.sql("UPDATE users SET tags = '{vip}' WHERE tg_id = ANY(:u)", u=vip)
    ledger.sql("UPDATE users SET tags = '{vip,stop}' WHERE tg_id = :u", u=vip[0])
    segment = {"tags_any": ["vip"], "tags_none": ["stop"]}
    m = new_mailing(send_at=datetime.now(UTC) + timedelta(seconds=10), segment=segment)["id"]
    inline = new_mailing(segment=segment)["id"]
    with app.app_context():
        # Started at once: the first chunk and the rest hold the segment only.
        assert delivery_ledger.start(inline, force=True, first_chunk=4)
        db.session.commit()
        while delivery_ledger.fan_out_chunk(db.engine, inline, size=3):
            pass
        assert sorted(row["user_id"] for row in ledger.rows(inline)) == vip[1:]
        assert delivery_ledger.progress(db.session.get(Mailing, inline))["to_come"] == 0

        # Ahead of time, then one loses the tag and another gets it before the start.
        assert delivery_ledger.fan_out_ahead(db.engine, m, 15)
        while delivery_ledger.fan_out_chunk(db.engine, m, size=4):
            pass
        assert sorted(row["user_id"] for row in ledger.rows(m)) == vip[1:]
        ledger.sql("UPDATE users SET tags = '{}', updated_at = now() WHERE tg_id = :u", u=vip[1])
        ledger.sql("UPDATE users SET tags = '{vip}', updated_at = now() WHERE tg_id = :u", u=ids[1])
        assert delivery_ledger.start(m, force=True)
        db.session.commit()
    assert sorted(row["user_id"] for row in ledger.rows(m)) == sorted([*vip[2:], ids[1]])


def test_a_segment_changed_after_the_audience_went_in_is_fanned_out_anew(
    app, client, admin, subscribers, new_mailing, ledger
):
    ids = subscribers(10)
    ledger.sql("UPDATE users SET language_code = 'ru' WHERE tg_id = ANY(:u)", u=ids[:4])
    body = new_mailing(send_at=datetime.now(UTC) + timedelta(seconds=30), segment={"languages": ["ru"]})
    m = body["id"]
    with app.app_context():
        assert delivery_ledger.fan_out_ahead(db.engine, m, 60)
        while delivery_ledger.fan_out_chunk(db.engine, m):
            pass
    assert sorted(row["user_id"] for row in ledger.rows(m)) == ids[:4]
    changed = client.patch(
        f"/api/v1/mailings/{m}", json={"version": 1, "segment": {"tags_any": ["nobody"]}}, headers=admin
    )
    assert changed.status_code == 200
    assert ledger.rows(m) == [] and ledger.mailing(m)["fanout_from"] is None
    with app.app_context():
        assert delivery_ledger.start(m, force=True)
        db.session.commit()
    assert ledger.rows(m) == [] and _cursor(ledger, m) is None


def test_the_chunk_that_completes_a_fan_out_brings_the_ledger_s_statistics_up_to_date(
    app, subscribers, new_mailing, ledger, wait_for
):
    def analyzed():
        return ledger.sql(
            "SELECT coalesce(last_analyze, 'epoch') FROM pg_stat_user_tables WHERE relname = 'deliveries'"
        )[0][0]

    subscribers(20)
    m = new_mailing()["id"]
    before = analyzed()
    with app.app_context():
        assert delivery_ledger.start(m, force=True, first_chunk=5)
        db.session.commit()
        assert delivery_ledger.fan_out_chunk(db.engine, m, size=10) == 10
        assert analyzed() == before  # not while rows are still to come
        assert delivery_ledger.fan_out_chunk(db.engine, m, size=10) == 6
    # Planned without them, marking rows `sending` by id would scan the whole mailing.
    wait_for(lambda: analyzed() > before, 10, "deliveries to be analyzed")
