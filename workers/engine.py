"""A driver: claim a batch, send it through a thread pool at the shared rate, close each row, repeat."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from webapi.services import sending
from webapi.services.sending import Claim
from workers import sender
from workers.content import TelegramCall
from workers.rate_limiter import RateLimiter
from workers.sender import Outcome, TelegramClient

log = logging.getLogger(__name__)

THREADS = 8
MAX_ATTEMPTS = 5
MAX_BACKOFF = 60.0
# A claimed row waits for its turn at the limiter; a row being sent waits at most one HTTP call.
SENDING_LEASE = sender.CALL_SECONDS + 10
BATCH_SECONDS = 2.0
# A batch slowed down by long 429 waits stops starting requests this long after the budget.
HARD_DEADLINE_MARGIN = 60.0
MAX_BATCH = 500
# Later parts of a two-message delivery (media, then text) are retried here, not re-queued,
# because re-sending the first part would deliver it twice.
PART_ATTEMPTS = 3


def batch_size(rate: float) -> int:
    """Rows per claim: about BATCH_SECONDS of sending at the full rate."""
    return max(THREADS * 2, min(MAX_BATCH, int(rate * BATCH_SECONDS)))


def claim_lease(size: int, rate: float, drivers: int) -> float:
    """How long a claimed batch may wait before others may take its rows."""
    return 15.0 + size * drivers / rate


def new_owner(job_id: str | None) -> str:
    """A lease owner name unique to this driver run."""
    return f"{socket.gethostname()}:{os.getpid()}:{job_id or uuid.uuid4().hex[:8]}"


def backoff(attempts: int) -> float:
    """Seconds before the next try after `attempts` transient failures."""
    return min(MAX_BACKOFF, 2.0 ** max(attempts, 1))


@dataclass
class Delivery:
    """Everything a sender thread needs for one mailing."""

    engine: Engine
    client: TelegramClient
    limiter: RateLimiter
    calls: list[TelegramCall]
    owner: str
    paid: bool
    stop: threading.Event
    # Past this moment (monotonic) no new request starts, so the job ends within its timeout.
    hard_deadline: float = float("inf")

    def _should_stop(self) -> bool:
        return self.stop.is_set() or time.monotonic() > self.hard_deadline

    def send_one(self, claim: Claim) -> str:
        """Send one claimed delivery and close its row; returns what became of it."""
        if not self.limiter.acquire(should_stop=self._should_stop):
            return "stopped"
        chat_id = sending.mark_sending(self.engine, claim.id, self.owner, SENDING_LEASE)
        if chat_id is None:
            return "skipped"
        first = self.calls[0]
        outcome = self.client.call(first.method, first.to(chat_id, self.paid))
        if outcome.kind == sender.MIGRATED:
            # Follow the group to its supergroup once; a second move is an error.
            chat_id = outcome.migrate_to
            self.limiter.acquire()
            outcome = self.client.call(first.method, first.to(chat_id, self.paid))
            if outcome.kind == sender.MIGRATED:
                outcome = Outcome(sender.REJECTED, description=f"chat moved twice: {outcome.description}")
        if outcome.kind == sender.SENT and len(self.calls) > 1:
            outcome = self._send_rest(chat_id, outcome)
        return self._close(claim, chat_id, outcome)

    def _send_rest(self, chat_id: int, first: Outcome) -> Outcome:
        for call in self.calls[1:]:
            for attempt in range(1, PART_ATTEMPTS + 1):
                self.limiter.acquire()
                outcome = self.client.call(call.method, call.to(chat_id, self.paid))
                if outcome.kind == sender.RETRY_AFTER:
                    self.limiter.hold(outcome.retry_after)
                    continue
                if outcome.kind == sender.TRANSIENT and attempt < PART_ATTEMPTS:
                    time.sleep(backoff(attempt))
                    continue
                break
            if outcome.kind == sender.AMBIGUOUS:
                return outcome
            if outcome.kind != sender.SENT:
                return Outcome(
                    sender.REJECTED,
                    description=f"partly delivered: the first message arrived, then {outcome.description}",
                )
        return first

    def _close(self, claim: Claim, chat_id: int, outcome: Outcome) -> str:
        engine, owner = self.engine, self.owner
        kind = outcome.kind
        if kind == sender.SENT:
            sending.complete(engine, claim.id, owner, "sent", chat_id=chat_id, message_id=outcome.message_id)
        elif kind == sender.RETRY_AFTER:
            self.limiter.hold(outcome.retry_after)
            sending.postpone(
                engine, claim.id, owner, outcome.retry_after, outcome.description, count_attempt=False
            )
        elif kind == sender.BLOCKED:
            sending.complete(engine, claim.id, owner, "blocked", error=outcome.description, block_user=True)
        elif kind == sender.AMBIGUOUS:
            sending.complete(engine, claim.id, owner, "unknown", chat_id=chat_id, error=outcome.description)
        elif kind == sender.TRANSIENT:
            attempts = self._attempts(claim.id)
            if attempts < MAX_ATTEMPTS:
                sending.postpone(
                    engine, claim.id, owner, backoff(attempts), outcome.description, chat_id=chat_id
                )
            else:
                error = f"gave up after {attempts} attempts: {outcome.description}"
                sending.complete(engine, claim.id, owner, "failed", chat_id=chat_id, error=error)
        else:
            sending.complete(engine, claim.id, owner, "failed", chat_id=chat_id, error=outcome.description)
        return kind

    def _attempts(self, delivery_id: int) -> int:
        from sqlalchemy import text

        with self.engine.connect() as conn:
            return conn.execute(
                text("SELECT attempts FROM deliveries WHERE id = :id"), {"id": delivery_id}
            ).scalar_one()


def drive(
    delivery: Delivery,
    mailing_id: int,
    rate: float,
    drivers: int,
    budget: float,
    on_batch=None,
) -> str:
    """Send until the mailing is done, stopped or the time budget is spent; returns why it stopped."""
    engine, owner = delivery.engine, delivery.owner
    size = batch_size(rate)
    lease = claim_lease(size, rate, drivers)
    deadline = time.monotonic() + budget
    delivery.hard_deadline = deadline + HARD_DEADLINE_MARGIN
    with ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix=f"send-{mailing_id}") as pool:
        try:
            while True:
                if on_batch is not None:
                    on_batch()
                if time.monotonic() > deadline:
                    return "budget"
                if sending.mailing_status(engine, mailing_id) != "sending":
                    return "stopped"
                batch = sending.claim_batch(engine, mailing_id, owner, size, lease)
                if batch:
                    list(pool.map(delivery.send_one, batch))
                    continue
                sending.expire_leases(engine, mailing_id)
                left = sending.work_left(engine, mailing_id)
                if left.pending == 0:
                    if left.sending == 0 and sending.finish_if_done(engine, mailing_id):
                        return "finished"
                    # Only other drivers' in-flight rows remain: they (or lease expiry) finish it.
                    return "done" if left.sending == 0 else "others"
                time.sleep(min(1.0, left.next_due_in if left.next_due_in is not None else 1.0) or 0.05)
        finally:
            delivery.stop.set()
            sending.release_claims(engine, mailing_id, owner)
