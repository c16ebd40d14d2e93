"""Soak with chaos: a paid mailing at a high rate while workers are SIGKILLed and Redis and Postgres restart.

The short default (2,000 recipients at 500/s, 3 workers, 3 kills, one Redis and one Postgres restart)
runs in the normal suite; `make chaos` runs 20,000 recipients at 1,000/s with a kill every 3 s for as
long as it sends. Environment: CHAOS_RECIPIENTS, CHAOS_RATE, CHAOS_WORKERS, CHAOS_KILLS (0: no cap),
CHAOS_KILL_EVERY (seconds), CHAOS_DEADLINE (seconds to finish). The figures are printed as one JSON
line (run with -s to see them). How the `unknown` bound is counted: the top of tests/chaos/chaos.py.
"""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from telegram_sandbox.client import SandboxClient
from tests.chaos.chaos import ADMIN_ID, TOKEN, Chaos, Plan, wait_for

PLAN = Plan.from_env()


def _copies(url: str, chats: list[int], text: str) -> dict[int, int]:
    """How many messages with the mailing's text each chat holds, read from the sandbox's chat logs."""

    def read(chunk: list[int]) -> dict[int, int]:
        client = SandboxClient(url, token=TOKEN)
        found = {}
        for chat_id in chunk:
            messages = [m for m in client.messages(chat_id) if m.get("text") == text]
            found[chat_id] = max([len(messages), *(m["copies"] for m in messages)])
        return found

    chunks = [chats[i::4] for i in range(4)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        return {chat: n for part in pool.map(read, chunks) for chat, n in part.items()}


@pytest.mark.timeout(int(PLAN.deadline) + 300)
def test_soak_with_chaos(soak):
    plan, ledger, sandbox = soak.plan, soak.ledger, soak.sandbox
    text = f"Chaos soak {uuid.uuid4().hex[:8]}"
    body = {
        "name": "Chaos soak",
        "text": text,
        "send_at": (datetime.now(UTC) + timedelta(days=1)).isoformat(),
    }
    created = soak.client.post("/api/v1/mailings", json=body, headers=soak.admin)
    assert created.status_code == 201, created.get_json()
    mailing_id = created.get_json()["id"]
    response = soak.client.post(f"/api/v1/mailings/{mailing_id}/send-now", headers=soak.admin)
    assert response.status_code == 200, response.get_json()

    chaos = Chaos(soak.stack, ledger, mailing_id, plan)
    chaos.start()
    try:

        def finished_and_reported() -> bool:
            if chaos.error is not None:
                raise AssertionError("the chaos script failed") from chaos.error
            status, reported = ledger.query(
                "SELECT status, report_sent_at FROM mailings WHERE id = %s", (mailing_id,)
            )[0]
            return status == "finished" and reported is not None

        wait_for(finished_and_reported, plan.deadline, "the mailing to finish and claim its report", 0.5)
        reports = wait_for(
            lambda: [m for m in sandbox.messages(ADMIN_ID) if "Mailing finished" in m.get("text", "")],
            60,
            "the report to reach the admin",
        )
    finally:
        chaos.stop()
    assert chaos.error is None, chaos.error

    counts = ledger.counts(mailing_id)
    ledger_rows = ledger.query(
        "SELECT id, user_id, status FROM deliveries WHERE mailing_id = %s", (mailing_id,)
    )
    rows = {user: status for _, user, status in ledger_rows}
    unknown = {(delivery, user) for delivery, user, status in ledger_rows if status == "unknown"}
    seconds = ledger.query(
        "SELECT extract(epoch FROM finished_at - started_at) FROM mailings WHERE id = %s", (mailing_id,)
    )[0][0]
    stats = sandbox.stats(TOKEN)
    received = {int(chat): counters["sent"] for chat, counters in stats["chats"].items()}
    copies = _copies(soak.stack.sandbox_url, [*soak.subscribers, ADMIN_ID], text)

    not_final = [user for user, status in rows.items() if status in ("pending", "sending")]
    sent_not_received = [user for user, status in rows.items() if status == "sent" and copies[user] == 0]
    # Subscribers get nothing but the mailing; the admin also gets the progress message and the report.
    duplicates = sorted(
        {user for user in soak.subscribers if received.get(user, 0) > 1}
        | {user for user, n in copies.items() if n > 1}
    )
    # The requests in flight at the kills and restarts (how they are counted: tests/chaos/chaos.py).
    in_flight = set().union(
        *(kill.in_flight or () for kill in chaos.kills), *chaos.restart_in_flight.values()
    )
    unexplained = sorted(delivery for delivery, _ in unknown if delivery not in in_flight)
    figures = {
        "recipients": len(rows),
        "rate_target": plan.rate,
        "seconds": round(float(seconds), 1),
        "msgs_per_s": round(len(rows) / float(seconds), 1),
        "kills": len(chaos.kills),
        "kills_of_busy_workers": sum(kill.busy for kill in chaos.kills),
        "in_flight_at_kills": [len(kill.in_flight or ()) for kill in chaos.kills],
        "in_flight_at_restarts": {name: len(ids) for name, ids in chaos.restart_in_flight.items()},
        "redis_restarts": chaos.redis_restarts,
        "postgres_restarts": chaos.postgres_restarts,
        "unplanned_exits": soak.stack.exits,
        "counts": counts,
        "sent": counts.get("sent", 0),
        "unknown": counts.get("unknown", 0),
        "failed": counts.get("failed", 0),
        "unknown_bound": len(in_flight),
        "unknown_received": sum(copies[user] > 0 for _, user in unknown),
        "duplicates": len(duplicates),
        "lost": len(not_final) + len(sent_not_received),
        "reports": len(reports),
        "violations": stats["violations"],
        "too_many_requests": stats["too_many_requests"],
        "max_in_any_second": stats["max_in_any_second"],
        "seed": chaos.seed,
        "events": chaos.events,
    }
    print("\nchaos soak:", json.dumps(figures))

    # The chaos happened, mid-send.
    assert chaos.redis_restarts == 1 and chaos.postgres_restarts == 1, chaos.events
    assert len(chaos.kills) >= (plan.max_kills or 2), chaos.events
    # Nothing lost: every delivery final, every `sent` one received by Telegram.
    assert len(rows) == plan.recipients + 1  # the admin is a subscriber too
    assert not not_final, not_final[:20]
    assert not sent_not_received, sent_not_received[:20]
    assert set(counts) <= {"sent", "unknown"}, counts
    # Nothing duplicated.
    assert not duplicates, duplicates[:20]
    # Unknown only for what was in flight at a kill or a restart, so never more than those.
    assert not unexplained, ledger.query(
        "SELECT id, last_error, attempts FROM deliveries WHERE id = ANY(%s)", (unexplained[:20],)
    )
    assert len(unknown) <= len(in_flight)
    # Exactly one report, and Telegram's limit was never exceeded.
    assert len(reports) == 1, reports
    assert stats["violations"] == 0
