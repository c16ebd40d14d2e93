"""The ledger's narrow windows, hit deterministically: cancel against a late closing, finish against
retry, and a dead driver's rows judged by its start journal."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from webapi.extensions import db
from webapi.services import ledger as delivery_ledger
from webapi.services import start_journal
from webapi.services.ledger import Claim, Closing
from webapi.telegram.rate_limiter import RateLimiter

OWNER = "host:1:driver-test"


@pytest.fixture
def sending_rows(app, admin, subscribers, new_mailing, ledger):
    """A sending mailing whose first `n` rows are claimed by OWNER and marked `sending`."""

    def make(audience: int = 5, marked: int = 3, start_id: int = 10_000_000) -> tuple[int, list[int]]:
        subscribers(audience, start_id=start_id)
        m = new_mailing()["id"]
        with app.app_context():
            assert delivery_ledger.start(m, force=True)
            db.session.commit()
            claims = delivery_ledger.claim_batch(db.engine, m, OWNER, marked, 60)
            marked_ids = delivery_ledger.mark_sending_many(db.engine, [c.id for c in claims], OWNER, 60)
        assert len(marked_ids) == marked
        return m, sorted(marked_ids)

    return make


def _expire(ledger, mailing_id: int) -> None:
    """Every lease of the mailing runs out."""
    ledger.sql(
        "UPDATE deliveries SET lease_expires_at = now() - interval '1 second' WHERE mailing_id = :m",
        m=mailing_id,
    )


def _in_thread(func, *args):
    result = {}
    thread = threading.Thread(target=lambda: result.setdefault("value", func(*args)), daemon=True)
    thread.start()
    return thread, result


def test_a_row_put_back_after_its_mailing_was_cancelled_ends_cancelled(app, sending_rows, ledger):
    m, (first, second, third) = sending_rows()
    # The cancel lands while these requests are in flight: only the pending rows are cancelled.
    ledger.sql("UPDATE mailings SET status = 'cancelled' WHERE id = :m", m=m)
    ledger.sql("UPDATE deliveries SET status = 'cancelled' WHERE mailing_id = :m AND status = 'pending'", m=m)
    with app.app_context():
        closed = delivery_ledger.close_many(
            db.engine,
            OWNER,
            [
                Closing(first, m, "pending", error="429", delay=3, uncount=True),  # a 429
                Closing(second, m, "pending", delay=0, uncount=True),  # a missed slot
                Closing(third, m, "sent", message_id=7),
            ],
        )
    assert closed == 3
    statuses = {row["id"]: row["status"] for row in ledger.rows(m)}
    assert (statuses[first], statuses[second], statuses[third]) == ("cancelled", "cancelled", "sent")
    assert "pending" not in statuses.values()


def test_a_cancel_in_progress_is_waited_for_and_its_rows_never_stay_pending(app, sending_rows, ledger):
    m, (first, *_) = sending_rows()
    with app.app_context(), db.engine.connect() as cancel:
        # A cancel has locked the mailing (its transaction is open) when the closer writes a 429.
        cancel.execute(text("UPDATE mailings SET status = 'cancelled' WHERE id = :m"), {"m": m})
        closing = Closing(first, m, "pending", error="429", delay=3, uncount=True)
        thread, result = _in_thread(delivery_ledger.close_many, db.engine, OWNER, [closing])
        thread.join(timeout=1)
        assert thread.is_alive(), "the closer did not wait for the cancel"
        cancel.execute(
            text("UPDATE deliveries SET status = 'cancelled' WHERE mailing_id = :m AND status = 'pending'"),
            {"m": m},
        )
        cancel.commit()
        thread.join(timeout=10)
    assert result["value"] == 1
    assert {row["id"]: row["status"] for row in ledger.rows(m)}[first] == "cancelled"


def test_finish_waits_for_a_retry_holding_the_mailing_and_sees_its_rows(app, sending_rows, ledger):
    m, marked = sending_rows(audience=2, marked=3)
    ledger.sql("UPDATE deliveries SET status = 'unknown', lease_owner = NULL WHERE mailing_id = :m", m=m)
    with app.app_context(), db.engine.connect() as retry:
        # A retry locks the mailing and puts its unknown rows back to pending (not committed yet).
        retry.execute(text("SELECT id FROM mailings WHERE id = :m FOR UPDATE"), {"m": m})
        retry.execute(
            text("UPDATE deliveries SET status = 'pending' WHERE mailing_id = :m AND status = 'unknown'"),
            {"m": m},
        )
        thread, result = _in_thread(delivery_ledger.finish_if_done, db.engine, m)
        thread.join(timeout=1)
        assert thread.is_alive(), "finish did not wait for the retry"
        retry.commit()
        thread.join(timeout=10)
    assert result["value"] is False
    assert ledger.mailing(m)["status"] == "sending"
    assert ledger.counts(m) == {"pending": 3}


def test_expired_rows_are_judged_by_the_start_journal(app, redis, sending_rows, ledger):
    m, (started, never, late) = sending_rows()
    limiter = RateLimiter(redis, "1:JOURNAL", 100)
    journal = start_journal.open_journal(redis, OWNER)
    # Two requests left (the journal lists them); the third row was marked but never requested.
    assert limiter.start(journal, [(started, 1), (late, 2)]).go
    _expire(ledger, m)

    with app.app_context():
        assert delivery_ledger.expire_leases(db.engine, redis) == [m]
    rows = {row["id"]: row for row in ledger.rows(m)}
    assert rows[never]["status"] == "pending" and rows[never]["lease_owner"] is None
    assert rows[never]["attempts"] == 0  # no request left: the attempt is taken back
    assert rows[started]["status"] == "unknown" and rows[late]["status"] == "unknown"
    # The revoked row is never started by a driver that outlived its lease.
    assert limiter.start(journal, [(never, 3)]).revoked == (never,)

    # The driver was alive after all: what it knew about the late row is written.
    with app.app_context():
        assert delivery_ledger.close_many(db.engine, OWNER, [Closing(late, m, "sent", message_id=9)]) == 1
    assert {row["id"]: row["status"] for row in ledger.rows(m)}[late] == "sent"


def test_a_journal_that_cannot_be_trusted_proves_nothing(app, redis, sending_rows, ledger):
    m, marked = sending_rows()
    journal = start_journal.open_journal(redis, OWNER)
    # A journal opened in another Redis run (a restart or failover restored an old copy).
    redis.hset(journal, "run", "another-run")
    _expire(ledger, m)
    with app.app_context():
        delivery_ledger.expire_leases(db.engine, redis)
    assert ledger.counts(m)["unknown"] == 3 and "sending" not in ledger.counts(m)

    m2, marked2 = sending_rows(start_id=20_000_000)
    redis.delete(journal)  # lost with Redis
    _expire(ledger, m2)
    with app.app_context():
        delivery_ledger.expire_leases(db.engine, redis)
    assert ledger.counts(m2)["unknown"] == 3 and "sending" not in ledger.counts(m2)


def test_renewed_leases_do_not_expire(app, redis, sending_rows, ledger):
    m, marked = sending_rows()
    _expire(ledger, m)
    with app.app_context():
        assert delivery_ledger.renew_leases(db.engine, OWNER, marked, 30) == 3
        assert delivery_ledger.expire_leases(db.engine, redis) == []
    assert ledger.counts(m)["sending"] == 3


def _driver(app, redis, journal_owner: str = OWNER):
    """A driver of OWNER's with a pipeline whose threads are not started (what it submits stays queued)."""
    from workers.engine import Driver, Hooks
    from workers.pipeline import Pipeline

    limiter = RateLimiter(redis, "1:DRIVER", 100)
    driver = Driver(
        db.engine, None, limiter, journal_owner, False, threading.Event(), Hooks(content=lambda m: None)
    )
    driver.pipeline = Pipeline(db.engine, None, limiter, journal_owner, False, 1)
    driver.pipeline.journal = start_journal.open_journal(redis, journal_owner)
    return driver


def test_rows_whose_mark_went_unanswered_go_back_to_pending(app, redis, sending_rows, ledger):
    m, marked = sending_rows()
    with app.app_context():
        driver = _driver(app, redis)
        # The mark committed but its answer was lost (Postgres went away): the driver cannot tell.
        driver.unresolved = [Claim(i, m, 0, 0) for i in marked]
        driver._settle_unresolved()
    rows = {row["id"]: row for row in ledger.rows(m)}
    assert all(rows[i]["status"] == "pending" and rows[i]["lease_owner"] is None for i in marked)
    assert all(rows[i]["attempts"] == 0 for i in marked)
    assert driver.unresolved == []


def test_a_driver_may_send_a_row_it_claims_again_after_its_lease_was_revoked(
    app, redis, sending_rows, ledger
):
    m, (first, *_) = sending_rows()
    with app.app_context():
        driver = _driver(app, redis)
        _expire(ledger, m)
        delivery_ledger.expire_leases(db.engine, redis)  # never started: back to pending, revoked
        assert driver.limiter.start(driver.pipeline.journal, [(first, 1)]).revoked == (first,)
        claims = delivery_ledger.claim_batch(db.engine, m, OWNER, 10, 60)
        driver._send_rows(claims, [0.0] * len(claims))
        submitted = driver.pipeline.scheduled.get_nowait()
    assert submitted.claim.mailing_id == m
    # The fresh mark superseded the revocation: this attempt may leave.
    assert driver.limiter.start(driver.pipeline.journal, [(first, 1)]).revoked == ()
