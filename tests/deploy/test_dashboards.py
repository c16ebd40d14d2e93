"""deploy/grafana/rassylka.json and deploy/prometheus/alerts.yml watch only metrics /metrics exports,
and /metrics exports what they need (each sending mailing's progress, the rate limit, the scheduler's
last pass, the webhook's deliveries)."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from webapi import monitoring

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "deploy" / "grafana" / "rassylka.json"
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"
METRIC = re.compile(r"\brassylka_[a-z0-9_]+")
AUTH = ("watcher", "s3cret-pass")
# What the alerts must cover.
ALERTED = {
    "rassylka_telegram_429_total",
    "rassylka_deliveries",
    "rassylka_mailing_deliveries",
    "rassylka_queue_depth",
    "rassylka_scheduler_last_pass_timestamp_seconds",
}


def _dashboard_expressions() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


def _alert_rules() -> list[dict]:
    return [rule for group in yaml.safe_load(ALERTS.read_text())["groups"] for rule in group["rules"]]


@pytest.fixture
def metrics(app, settings, make_user, db_session, redis) -> str:
    """/metrics with data behind each family: a sending mailing, a held and a scheduled one, counters."""
    from webapi.app import create_app
    from webapi.models import Delivery, Mailing

    watched = create_app(dataclasses.replace(settings, dashboard_user=AUTH[0], dashboard_password=AUTH[1]))
    for tg_id in (1, 2, 3):
        make_user(tg_id)
    now = datetime.now(UTC)
    sending = Mailing(name="m", text="t", send_at=now, status="sending")
    # Sending, but its rest waits for a canary's verdict: no progress expected meanwhile.
    held = Mailing(
        name="c", text="t", send_at=now, status="sending", canary_until=now + timedelta(minutes=30)
    )
    scheduled = Mailing(name="s", text="t", send_at=now + timedelta(days=1), status="scheduled")
    db_session.add_all([sending, held, scheduled])
    db_session.flush()
    assert (sending.id, held.id, scheduled.id) == (1, 2, 3)
    db_session.add_all(
        [
            Delivery(mailing_id=sending.id, user_id=1, status="sent"),
            Delivery(mailing_id=sending.id, user_id=2, status="unknown"),
            Delivery(mailing_id=sending.id, user_id=3, status="pending"),
            Delivery(mailing_id=held.id, user_id=1, status="pending"),
            Delivery(mailing_id=scheduled.id, user_id=1, status="pending"),
        ]
    )
    db_session.commit()
    monitoring.record_sends(redis, [(0.07, "sent"), (3.0, monitoring.THROTTLED), (9.0, "ambiguous")])
    monitoring.record_scheduler_pass(redis)
    monitoring.count_webhook_update(redis, "taken")
    return watched.test_client().get("/metrics", auth=AUTH).data.decode()


@pytest.fixture
def scraped(metrics) -> set[str]:
    """Every metric name /metrics exports."""
    return {sample.name for family in text_string_to_metric_families(metrics) for sample in family.samples}


def test_every_metric_the_dashboard_and_the_alerts_name_is_exported(scraped):
    named = {name for expr in _dashboard_expressions() for name in METRIC.findall(expr)}
    named |= {name for rule in _alert_rules() for name in METRIC.findall(rule["expr"])}
    assert named, "no metric found in the files"
    assert named - scraped == set()


def test_the_dashboard_shows_what_operators_watch():
    expressions = " ".join(_dashboard_expressions())
    for metric in (
        "rassylka_sends_total",
        "rassylka_broadcast_rate_limit",
        "rassylka_telegram_429_total",
        'rassylka_deliveries{status="unknown"}',
        "rassylka_queue_depth",
        "rassylka_mailing_deliveries",
    ):
        assert metric in expressions, metric
    dashboard = json.loads(DASHBOARD.read_text())
    # Importable anywhere: the data source is asked for at import.
    assert dashboard["__inputs"][0]["pluginId"] == "prometheus"
    assert {panel["datasource"]["uid"] for panel in dashboard["panels"]} == {"${DS_PROMETHEUS}"}
    assert len({panel["id"] for panel in dashboard["panels"]}) == len(dashboard["panels"])


def test_the_alerts_cover_429s_unknown_stalls_queues_and_the_scheduler():
    rules = _alert_rules()
    covered = {name for rule in rules for name in METRIC.findall(rule["expr"])}
    assert covered >= ALERTED
    stalled = next(rule for rule in rules if rule["alert"] == "RassylkaMailingStalled")
    assert "offset 5m" in stalled["expr"]
    for rule in rules:
        assert rule["alert"].startswith("Rassylka")
        assert rule["labels"]["severity"] in {"warning", "critical"}
        assert rule["annotations"]["summary"] and rule["annotations"]["description"]


def test_metrics_for_progress_the_limit_the_scheduler_and_the_webhook(metrics, settings, redis):
    progress = {
        (sample.labels["mailing_id"], sample.labels["status"]): sample.value
        for family in text_string_to_metric_families(metrics)
        for sample in family.samples
        if sample.name == "rassylka_mailing_deliveries"
    }
    # Only mailing 1: the held one (canary) and the scheduled one are left out.
    assert {mailing_id for mailing_id, _ in progress} == {"1"}
    assert (progress["1", "sent"], progress["1", "unknown"], progress["1", "pending"]) == (1, 1, 1)
    assert progress["1", "failed"] == 0
    assert f"rassylka_broadcast_rate_limit {settings.broadcast_rate}" in metrics
    last_pass = re.search(r"^rassylka_scheduler_last_pass_timestamp_seconds (\S+)$", metrics, re.M)
    assert float(last_pass.group(1)) == float(redis.get(monitoring.SCHEDULER_LAST_RUN_KEY)) > 0
    assert 'rassylka_webhook_updates_total{result="taken"} 1.0' in metrics


def test_each_scheduler_pass_is_noted_for_the_silence_alert(app, redis):
    from workers.scheduler import PeriodicScheduler

    assert redis.get(monitoring.SCHEDULER_LAST_RUN_KEY) is None
    scheduler = PeriodicScheduler(connection=redis, interval=1)
    scheduler.periodic = ()
    scheduler.enqueue_jobs()
    assert float(redis.get(monitoring.SCHEDULER_LAST_RUN_KEY)) > 0
