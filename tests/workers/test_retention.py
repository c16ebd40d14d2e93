"""A bounded ledger: counts kept on the mailing at its finish, old per-recipient rows pruned in batches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

from webapi.extensions import db
from webapi.services import ledger as delivery_ledger
from webapi.services import retention
from webapi.settings import ConfigError, load_settings

DAYS = 90


def _all(**counts: int) -> dict[str, int]:
    return {
        "pending": 0,
        "sending": 0,
        "sent": 0,
        "blocked": 0,
        "failed": 0,
        "unknown": 0,
        "cancelled": 0,
    } | counts


def _sending(ledger, mailing_id: int) -> None:
    ledger.sql(
        "UPDATE mailings SET status = 'sending', started_at = now() - interval '1 hour' WHERE id = :m",
        m=mailing_id,
    )


def _finish(app, mailing_id: int) -> bool:
    with app.app_context():
        return delivery_ledger.finish_if_done(db.engine, mailing_id)


def _ended(ledger, mailing_id: int, days_ago: float, status: str = "finished", reported: bool = True) -> None:
    """Move a mailing's end (and start) `days_ago` into the past, its report sent or not."""
    ledger.sql(
        "UPDATE mailings SET status = :s, started_at = now() - make_interval(days => :d + 1),"
        " finished_at = now() - make_interval(secs => :d * 86400),"
        " report_sent_at = CASE WHEN :r THEN now() ELSE NULL END WHERE id = :m",
        m=mailing_id,
        s=status,
        d=days_ago,
        r=reported,
    )


def _prune(app, **options) -> retention.Pruned:
    with app.app_context():
        return retention.prune(db.engine, DAYS, **options)


def _stats(client, admin, mailing_id: int) -> dict:
    response = client.get(f"/api/v1/mailings/{mailing_id}/stats", headers=admin)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


# Counts on the mailing. ------------------------------------------------------------------------------


def test_the_finish_keeps_the_ledgers_counts_on_the_mailing(app, new_mailing, ledger):
    m = new_mailing()["id"]
    ledger.outcomes(m, sent=30, blocked=4, failed=2, unknown=3, cancelled=1)
    _sending(ledger, m)
    assert ledger.mailing(m)["delivery_counts"] is None

    assert _finish(app, m)

    stored = ledger.mailing(m)["delivery_counts"]
    assert stored == ledger.counts(m) == {"sent": 30, "blocked": 4, "failed": 2, "unknown": 3, "cancelled": 1}


def test_a_mailing_with_rows_in_flight_is_not_finished_and_gets_no_counts(app, new_mailing, ledger):
    m = new_mailing()["id"]
    ledger.outcomes(m, sent=5, pending=1)
    _sending(ledger, m)

    assert not _finish(app, m)
    assert ledger.mailing(m)["delivery_counts"] is None


def test_a_retry_clears_the_counts_and_its_finish_counts_again(app, client, admin, new_mailing, ledger):
    m = new_mailing()["id"]
    ledger.outcomes(m, sent=10, unknown=4, failed=2)
    _sending(ledger, m)
    assert _finish(app, m)
    assert ledger.mailing(m)["delivery_counts"] == {"sent": 10, "unknown": 4, "failed": 2}

    retried = client.post(f"/api/v1/mailings/{m}/retry", json={"statuses": ["unknown"]}, headers=admin)
    assert retried.status_code == 200, retried.get_json()
    assert retried.get_json()["requeued"] == 4
    assert ledger.mailing(m)["delivery_counts"] is None
    # The round sends: three arrive, one is refused.
    ledger.sql(
        "UPDATE deliveries SET status = CASE WHEN user_id = (SELECT max(user_id) FROM deliveries"
        " WHERE mailing_id = :m AND status = 'pending') THEN 'failed' ELSE 'sent' END"
        " WHERE mailing_id = :m AND status = 'pending'",
        m=m,
    )
    assert _finish(app, m)

    assert ledger.mailing(m)["delivery_counts"] == ledger.counts(m) == {"sent": 13, "failed": 3}


# Pruning. --------------------------------------------------------------------------------------------


def test_the_prune_deletes_only_old_ended_mailings_rows_in_batches_and_stats_stay_right(
    app, client, admin, new_mailing, ledger
):
    old = new_mailing(name="old")["id"]
    ledger.outcomes(old, sent=1_800, blocked=400, failed=150, unknown=150)
    _sending(ledger, old)
    assert _finish(app, old)
    _ended(ledger, old, DAYS + 1)
    before = _stats(client, admin, old)
    assert before["deliveries_pruned_at"] is None and before["total"] == 2_500

    cancelled = new_mailing(name="cancelled long ago")["id"]
    ledger.outcomes(cancelled, sent=700, cancelled=300)
    _ended(ledger, cancelled, DAYS + 30, status="cancelled", reported=False)

    recent = new_mailing(name="recent")["id"]
    ledger.outcomes(recent, sent=100)
    _ended(ledger, recent, DAYS - 1)
    unreported = new_mailing(name="report not sent")["id"]
    ledger.outcomes(unreported, sent=100)
    _ended(ledger, unreported, DAYS + 1, reported=False)
    scheduled = new_mailing(name="scheduled")["id"]

    deletes: list[int] = []
    trail: list[str] = []  # D for a delete, C for a commit

    def deleted(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.startswith("DELETE FROM deliveries"):
            deletes.append(cursor.rowcount)
            trail.append("D")

    def committed(conn) -> None:
        trail.append("C")

    with app.app_context():
        event.listen(db.engine, "after_cursor_execute", deleted)
        event.listen(db.engine, "commit", committed)
        try:
            pruned = retention.prune(db.engine, DAYS, batch=1_000)
        finally:
            event.remove(db.engine, "after_cursor_execute", deleted)
            event.remove(db.engine, "commit", committed)

    assert sorted(pruned.mailings) == sorted([old, cancelled]) and pruned.complete
    assert pruned.rows == sum(deletes) == 3_500
    # Every batch is its own transaction of at most `batch` rows: 3 for the old mailing, 1 for the other.
    assert len(deletes) >= 4 and max(deletes) <= 1_000
    assert "DD" not in "".join(trail) and trail[-1] == "C", trail  # a commit after each delete
    assert ledger.counts(old) == {} and ledger.counts(cancelled) == {}
    assert ledger.counts(recent) == {"sent": 100} and ledger.counts(unreported) == {"sent": 100}
    assert ledger.mailing(scheduled)["deliveries_pruned_at"] is None

    after = _stats(client, admin, old)
    assert after["deliveries_pruned_at"] is not None
    assert {k: after[k] for k in ("counts", "total", "status")} == {
        k: before[k] for k in ("counts", "total", "status")
    }
    assert after["progress"]["done"] == 2_500 and after["progress"]["pending"] == 0
    assert _stats(client, admin, cancelled)["counts"] == _all(sent=700, cancelled=300)
    read = client.get(f"/api/v1/mailings/{old}", headers=admin).get_json()
    assert read["deliveries_pruned_at"] == after["deliveries_pruned_at"]

    page = client.get(f"/api/v1/mailings/{old}/deliveries?status=blocked", headers=admin)
    assert page.status_code == 200
    assert page.get_json() == {
        "items": [],
        "total": 0,
        "offset": 0,
        "limit": page.get_json()["limit"],
        "pruned_at": after["deliveries_pruned_at"],
    }
    kept = client.get(f"/api/v1/mailings/{recent}/deliveries", headers=admin).get_json()
    assert kept["total"] == 100 and kept["pruned_at"] is None

    retried = client.post(f"/api/v1/mailings/{old}/retry", json={"statuses": ["failed"]}, headers=admin)
    assert retried.status_code == 409
    assert retried.get_json()["error"]["code"] == "deliveries_pruned"
    assert ledger.mailing(old)["status"] == "finished"

    again = _prune(app)
    assert again.mailings == [] and again.rows == 0


def test_a_sending_or_paused_mailing_is_never_pruned_however_old_its_rows(
    app, client, admin, new_mailing, ledger
):
    retried = new_mailing(name="retried")["id"]
    ledger.outcomes(retried, sent=50, unknown=50)
    _sending(ledger, retried)
    assert _finish(app, retried)
    _ended(ledger, retried, DAYS + 10)
    assert (
        client.post(
            f"/api/v1/mailings/{retried}/retry", json={"statuses": ["unknown"]}, headers=admin
        ).status_code
        == 200
    )
    paused = new_mailing(name="paused")["id"]
    ledger.outcomes(paused, sent=20, pending=30)
    ledger.sql(
        "UPDATE mailings SET status = 'paused', started_at = now() - interval '200 days' WHERE id = :m",
        m=paused,
    )

    pruned = _prune(app)

    assert pruned.mailings == [] and pruned.rows == 0
    assert ledger.counts(retried) == {"sent": 50, "pending": 50}
    assert ledger.counts(paused) == {"sent": 20, "pending": 30}


def test_the_delete_itself_refuses_a_mailing_that_is_sending_again(app, new_mailing, ledger):
    """Even marked pruned, a mailing that is somehow sending keeps its rows: each batch checks."""
    m = new_mailing()["id"]
    ledger.outcomes(m, sent=30)
    _ended(ledger, m, DAYS + 1)
    ledger.sql("UPDATE mailings SET deliveries_pruned_at = now(), status = 'sending' WHERE id = :m", m=m)

    with app.app_context():
        pruned = retention.Pruned()
        assert retention._delete_rows(db.engine, m, 10, float("inf"), pruned)

    assert pruned.rows == 0 and ledger.counts(m) == {"sent": 30}


def test_a_prune_cut_short_after_the_mark_is_carried_on_with_the_counts_it_took(
    app, client, admin, new_mailing, ledger
):
    m = new_mailing()["id"]
    ledger.outcomes(m, sent=40, blocked=10)
    _ended(ledger, m, DAYS + 1)  # counted by no finish: the prune counts it under the lock
    with app.app_context():
        assert retention._mark(db.engine, m, datetime.now(UTC) - timedelta(days=DAYS))
    marked = ledger.mailing(m)
    assert marked["delivery_counts"] == {"sent": 40, "blocked": 10} and marked["deliveries_pruned_at"]
    assert ledger.counts(m) == {"sent": 40, "blocked": 10}  # the job stopped here
    assert _stats(client, admin, m)["counts"] == _all(sent=40, blocked=10)

    pruned = _prune(app, batch=7)

    assert pruned.mailings == [m] and pruned.rows == 50 and ledger.counts(m) == {}
    assert ledger.mailing(m)["deliveries_pruned_at"] == marked["deliveries_pruned_at"]
    assert _stats(client, admin, m)["counts"] == _all(sent=40, blocked=10)


def test_a_cancelled_mailing_with_a_send_still_in_flight_waits(app, new_mailing, ledger):
    m = new_mailing()["id"]
    ledger.outcomes(m, sent=10, sending=1)
    _ended(ledger, m, DAYS + 1, status="cancelled", reported=False)

    assert _prune(app).rows == 0 and ledger.counts(m) == {"sent": 10, "sending": 1}
    ledger.sql("UPDATE deliveries SET status = 'unknown' WHERE mailing_id = :m AND status = 'sending'", m=m)
    assert _prune(app).rows == 11


def test_the_periodic_job_prunes_with_the_settings_retention(app, new_mailing, ledger):
    from webapi.jobs import PRUNE_DELIVERIES, periodic_jobs
    from workers import jobs

    assert PRUNE_DELIVERIES in {periodic.kind for periodic in periodic_jobs(30)}
    old, kept = new_mailing()["id"], new_mailing()["id"]
    ledger.outcomes(old, sent=25)
    ledger.outcomes(kept, sent=25)
    _ended(ledger, old, 91)
    _ended(ledger, kept, 89)

    summary = jobs.prune_deliveries()

    assert summary["mailings"] == [old] and summary["rows"] == 25 and summary["complete"]
    assert ledger.counts(old) == {} and ledger.counts(kept) == {"sent": 25}


# The setting. ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "days"), [(None, 90), ("", 90), ("0", 90), (" 30 ", 30), ("1", 1), ("36500", 36500)]
)
def test_delivery_retention_days_defaults_to_ninety(value, days):
    environ = {} if value is None else {"DELIVERY_RETENTION_DAYS": value}
    assert load_settings(environ).delivery_retention_days == days


@pytest.mark.parametrize("value", ["-1", "abc", "1.5", "36501", "1e3", "٣", "90d"])
def test_delivery_retention_days_must_be_whole_days(value):
    with pytest.raises(ConfigError, match="DELIVERY_RETENTION_DAYS must be whole days"):
        load_settings({"DELIVERY_RETENTION_DAYS": value})
