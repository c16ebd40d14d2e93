"""Watching the system: rq-dashboard under /rq and Prometheus metrics at /metrics, both behind basic auth."""

from __future__ import annotations

import hmac
import time
from collections import Counter
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.core import CollectorRegistry, CounterMetricFamily, GaugeMetricFamily
from redis import Redis
from rq import Queue
from sqlalchemy import func, or_, select

from webapi.errors import envelope
from webapi.extensions import db
from webapi.models import DELIVERY_STATUSES, MAILING_STATUSES, Delivery, Mailing

DASHBOARD_PREFIX = "/rq"
QUEUES = ("broadcast", "default")
# Redis keys the sender increments; read at scrape time so every worker process counts.
TELEGRAM_429_KEY = "metrics:telegram_429_total"
OUTCOMES_KEY = "metrics:deliveries_total"
LATENCY_KEY = "metrics:send_latency"
# Wrong admin keys counted and lockouts begun (webapi/services/users.py claim_admin), one hash.
CLAIM_ADMIN_KEY = "metrics:claim_admin"
# When the scheduler last moved due jobs (workers/scheduler.py, every pass): silence means it stopped.
SCHEDULER_LAST_RUN_KEY = "metrics:scheduler_last_pass"
# Telegram's webhook deliveries by result (webapi/resources/telegram_webhook.py), one hash.
WEBHOOK_KEY = "metrics:webhook_updates"
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# The outcome name the sender gives a 429 (workers/sender.py RETRY_AFTER).
THROTTLED = "retry_after"
# rq-dashboard views that change state; a GET to one of them must come from the dashboard itself.
STATE_CHANGING_GET = ("/requeue/",)


def record_sends(redis: Redis, sends: list[tuple[float, str]]) -> None:
    """Count Telegram sends given as (seconds, outcome) pairs: outcomes, latencies, 429s; one round trip."""
    if not sends:
        return
    outcomes = Counter(outcome for _, outcome in sends)
    buckets = Counter(bound for seconds, _ in sends for bound in LATENCY_BUCKETS if seconds <= bound)
    pipe = redis.pipeline(transaction=False)
    for outcome, count in outcomes.items():
        pipe.hincrby(OUTCOMES_KEY, outcome, count)
    for bound, count in buckets.items():
        pipe.hincrby(LATENCY_KEY, f"le_{bound}", count)
    pipe.hincrby(LATENCY_KEY, "count", len(sends))
    pipe.hincrbyfloat(LATENCY_KEY, "sum", sum(seconds for seconds, _ in sends))
    if outcomes[THROTTLED]:
        pipe.incrby(TELEGRAM_429_KEY, outcomes[THROTTLED])
    pipe.execute()


def record_scheduler_pass(redis: Redis) -> None:
    """Note that the scheduler is alive and moving due jobs, now."""
    redis.set(SCHEDULER_LAST_RUN_KEY, repr(time.time()))


def count_webhook_update(redis: Redis, result: str) -> None:
    """Count one webhook delivery: taken, duplicate, refused (wrong secret) or busy."""
    redis.hincrby(WEBHOOK_KEY, result, 1)


def count_claim_failure(redis: Redis, locked: bool) -> None:
    """Count a wrong admin key, and the lockout it began when `locked`."""
    pipe = redis.pipeline(transaction=False)
    pipe.hincrby(CLAIM_ADMIN_KEY, "failures", 1)
    if locked:
        pipe.hincrby(CLAIM_ADMIN_KEY, "lockouts", 1)
    pipe.execute()


# A sending mailing whose rest waits for its canary's verdict makes no progress by design; it is left
# out of the progress metric until the wait is over.
NOT_HOLDING_FOR_CANARY = or_(
    Mailing.canary_until.is_(None), Mailing.canary_passed_at.is_not(None), Mailing.canary_until <= func.now()
)


class StoreCollector:
    """Reads the ledger, the mailings and the queues at scrape time."""

    def __init__(self, redis: Redis, broadcast_rate: float | None = None):
        self.redis = redis
        self.broadcast_rate = broadcast_rate

    def collect(self):
        """Yield the current metric families."""
        deliveries = GaugeMetricFamily(
            "rassylka_deliveries", "Deliveries in the ledger by status", labels=["status"]
        )
        counts = dict(
            db.session.execute(select(Delivery.status, func.count()).group_by(Delivery.status)).all()
        )
        for status in DELIVERY_STATUSES:
            deliveries.add_metric([status], counts.get(status, 0))
        yield deliveries
        mailings = GaugeMetricFamily("rassylka_mailings", "Mailings by status", labels=["status"])
        counts = dict(db.session.execute(select(Mailing.status, func.count()).group_by(Mailing.status)).all())
        for status in MAILING_STATUSES:
            mailings.add_metric([status], counts.get(status, 0))
        yield mailings
        db.session.rollback()
        depth = GaugeMetricFamily("rassylka_queue_depth", "Jobs waiting in each RQ queue", labels=["queue"])
        for name in QUEUES:
            depth.add_metric([name], Queue(name, connection=self.redis).count)
        yield depth
        outcomes = CounterMetricFamily("rassylka_sends", "Telegram sends by outcome", labels=["outcome"])
        for outcome, value in sorted(self.redis.hgetall(OUTCOMES_KEY).items()):
            outcomes.add_metric([outcome.decode()], int(value))
        yield outcomes
        yield CounterMetricFamily(
            "rassylka_telegram_429",
            "429 answers received from Telegram",
            value=int(self.redis.get(TELEGRAM_429_KEY) or 0),
        )
        yield self._latency()
        claims = {k.decode(): int(v) for k, v in self.redis.hgetall(CLAIM_ADMIN_KEY).items()}
        yield CounterMetricFamily(
            "rassylka_claim_admin_failures",
            "Wrong admin keys counted against their claimant",
            value=claims.get("failures", 0),
        )
        yield CounterMetricFamily(
            "rassylka_claim_admin_lockouts",
            "Claimants locked out of claiming the admin key after too many wrong keys",
            value=claims.get("lockouts", 0),
        )
        yield from self._watch()

    def _watch(self):
        """What dashboards and alerts watch beside the counts: each sending mailing's progress, the
        rate allowed, the scheduler's last pass and the webhook's deliveries."""
        progress = GaugeMetricFamily(
            "rassylka_mailing_deliveries",
            "Deliveries of each mailing now sending, by status",
            labels=["mailing_id", "status"],
        )
        rows = db.session.execute(
            select(Delivery.mailing_id, Delivery.status, func.count())
            .join(Mailing, Mailing.id == Delivery.mailing_id)
            .where(Mailing.status == "sending", NOT_HOLDING_FOR_CANARY)
            .group_by(Delivery.mailing_id, Delivery.status)
        ).all()
        db.session.rollback()
        counts = {(mailing_id, status): count for mailing_id, status, count in rows}
        for mailing_id in sorted({mailing_id for mailing_id, _ in counts}):
            for status in DELIVERY_STATUSES:
                progress.add_metric([str(mailing_id), status], counts.get((mailing_id, status), 0))
        yield progress
        if self.broadcast_rate is not None:
            yield GaugeMetricFamily(
                "rassylka_broadcast_rate_limit",
                "Messages per second mailings may send, all workers together (BROADCAST_RATE)",
                value=self.broadcast_rate,
            )
        yield GaugeMetricFamily(
            "rassylka_scheduler_last_pass_timestamp_seconds",
            "When the scheduler last moved due jobs, Unix time (0: never)",
            value=float(self.redis.get(SCHEDULER_LAST_RUN_KEY) or 0),
        )
        webhook = CounterMetricFamily(
            "rassylka_webhook_updates", "Telegram's webhook deliveries by result", labels=["result"]
        )
        for result, value in sorted(self.redis.hgetall(WEBHOOK_KEY).items()):
            webhook.add_metric([result.decode()], int(value))
        yield webhook

    def _latency(self):
        from prometheus_client.core import HistogramMetricFamily

        raw = {k.decode(): float(v) for k, v in self.redis.hgetall(LATENCY_KEY).items()}
        count = raw.get("count", 0.0)
        buckets = [(str(bound), raw.get(f"le_{bound}", 0.0)) for bound in LATENCY_BUCKETS]
        buckets.append(("+Inf", count))
        return HistogramMetricFamily(
            "rassylka_send_latency_seconds",
            "Latency of Telegram send calls",
            buckets=buckets,
            sum_value=raw.get("sum", 0.0),
        )


def _credentials_match(user: str, password: str) -> bool:
    auth = request.authorization
    if auth is None or auth.type != "basic":
        return False
    user_ok = hmac.compare_digest((auth.username or "").encode(), user.encode())
    password_ok = hmac.compare_digest((auth.password or "").encode(), password.encode())
    return user_ok and password_ok


def _same_origin() -> bool:
    """True when the browser says the request comes from this site (or from no site: typed, curl)."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site in {"same-origin", "none"}
    source = request.headers.get("Origin") or request.headers.get("Referer")
    if source is None:
        return True
    return urlsplit(source).netloc == request.host


def _challenge() -> Response:
    return Response(
        response=current_app.json.dumps(envelope(401, "Dashboard credentials are required.")),
        status=401,
        mimetype="application/json",
        headers={"WWW-Authenticate": 'Basic realm="rassylka"'},
    )


def guard(user: str, password: str, prefix: str):
    """A before_request hook: basic auth on `prefix`, and no cross-site state changes."""

    def check():
        path = request.path
        if not (path == "/metrics" or path.startswith(prefix + "/") or path == prefix):
            return None
        if not _credentials_match(user, password):
            return _challenge()
        changes_state = request.method not in {"GET", "HEAD", "OPTIONS"} or any(
            marker in path for marker in STATE_CHANGING_GET
        )
        if changes_state and not _same_origin():
            return Response(
                current_app.json.dumps(envelope(403, "Cross-site requests cannot change the queues.")),
                status=403,
                mimetype="application/json",
            )
        return None

    return check


def mount_dashboard(app: Flask, redis_url: str, prefix: str = DASHBOARD_PREFIX) -> None:
    """Register rq-dashboard's blueprint under `prefix`, connected to our Redis."""
    import rq_dashboard

    app.config.from_object(rq_dashboard.default_settings)
    app.config["RQ_DASHBOARD_REDIS_URL"] = redis_url
    rq_dashboard.web.setup_rq_connection(app)
    app.register_blueprint(rq_dashboard.blueprint, url_prefix=prefix)


def init_app(app: Flask, settings) -> None:
    """Mount the dashboard and /metrics when DASHBOARD_USER and DASHBOARD_PASSWORD are set; else neither."""
    if not (settings.dashboard_user and settings.dashboard_password):
        return
    app.before_request(guard(settings.dashboard_user, settings.dashboard_password, DASHBOARD_PREFIX))
    mount_dashboard(app, settings.redis_url)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector(app.extensions["redis"], settings.broadcast_rate))

    @app.get("/metrics")
    def metrics():
        return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


def create_dashboard_app() -> Flask:
    """The `dashboard` process: rq-dashboard alone, refusing to start without credentials."""
    from webapi.settings import exit_on_config_error, load_settings

    def build() -> Flask:
        settings = load_settings(require=("REDIS_URL", "DASHBOARD_USER", "DASHBOARD_PASSWORD"))
        app = Flask("rassylka-dashboard")
        app.before_request(guard(settings.dashboard_user, settings.dashboard_password, DASHBOARD_PREFIX))
        mount_dashboard(app, settings.redis_url)
        app.add_url_rule("/", "index", lambda: ("", 302, {"Location": DASHBOARD_PREFIX + "/"}))
        return app

    return exit_on_config_error(build)
