"""A driver: claim rows, reserve paced slots at the shared limiter, send each at its slot, close in batches.

The pipeline of one driver:

- the driver thread keeps a few claimed rows at hand (claimed under a lease, `FOR UPDATE SKIP
  LOCKED`), reserves the next slots at the shared limiter (one Redis round trip for up to
  `slots_per_reservation` slots), marks exactly those rows `sending` in one short transaction and
  hands each row, with its slot time, to the sender threads;
- a sender thread sleeps until the row's slot and makes the HTTP call (no transaction is open);
- one closer thread writes outcomes back in small batches, each row fenced on our lease owner.

So there is no stall at batch boundaries (rows are claimed before they run out), the pacing is
set where the request leaves, and the database sees a few statements per reservation, not three
transactions per message. A crash loses at most the closer's last ~50 ms of outcomes: those rows
stay `sending`, their lease runs out and they become `unknown` — never sent twice.
"""

from __future__ import annotations

import collections
import logging
import os
import queue
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field

from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.engine import Engine

from webapi import monitoring
from webapi.services import sending
from webapi.services.sending import Claim, Closing
from workers import sender
from workers.content import TelegramCall
from workers.rate_limiter import HORIZON, MAX_NAP, RateLimiter, sleep_until
from workers.sender import Outcome, TelegramClient

log = logging.getLogger(__name__)

THREADS = 8
MAX_THREADS = 24
MAX_ATTEMPTS = 5
MAX_BACKOFF = 60.0
# A row marked `sending` waits at most one horizon for its slot, then one HTTP call.
SENDING_LEASE = sender.CALL_SECONDS + 10
BATCH_SECONDS = 2.0
# A batch slowed down by long 429 waits stops starting requests this long after the budget.
HARD_DEADLINE_MARGIN = 60.0
MAX_BATCH = 500
MAX_SLOTS = 64
# Later parts of a two-message delivery (media, then text) are retried here, not re-queued,
# because re-sending the first part would deliver it twice.
PART_ATTEMPTS = 3
# Outcomes are written back at least this often (and in batches of at most CLOSE_BATCH rows).
CLOSE_EVERY = 0.05
CLOSE_BATCH = 500
HEARTBEAT_SECONDS = 2.0
# After a short claim (the mailing is nearly done) ask again only this often.
RECLAIM_SECONDS = 1.0
# A request that could not start within this much of its slot (the machine stalled) is not sent
# late, where it would crowd the next slots' second: its row goes back to pending, no attempt counted.
# Below one slot interval, this keeps any one-second window at rate + 1 at most.
MAX_LATENESS = 0.02
MISSED_SLOT = "missed_slot"


def batch_size(rate: float) -> int:
    """Rows per claim: about BATCH_SECONDS of sending at the full rate."""
    return max(THREADS * 2, min(MAX_BATCH, int(rate * BATCH_SECONDS)))


def claim_lease(size: int, rate: float, drivers: int) -> float:
    """How long claimed rows may wait before others may take them (a driver holds up to two batches)."""
    return 15.0 + 2 * size * drivers / rate


def slots_per_reservation(rate: float) -> int:
    """Slots reserved per limiter round trip: about half a horizon's worth (1 at 25/s, 50 at 1,000/s)."""
    return max(1, min(MAX_SLOTS, int(rate * HORIZON / 2)))


def threads_for(rate: float) -> int:
    """Sender threads: enough for the requests in flight within a horizon at the full rate."""
    return max(THREADS, min(MAX_THREADS, int(rate * 0.02)))


def new_owner(job_id: str | None) -> str:
    """A lease owner name unique to this driver run."""
    return f"{socket.gethostname()}:{os.getpid()}:{job_id or uuid.uuid4().hex[:8]}"


def backoff(attempts: int) -> float:
    """Seconds before the next try after `attempts` transient failures."""
    return min(MAX_BACKOFF, 2.0 ** max(attempts, 1))


@dataclass
class Delivery:
    """Everything the sender threads need for one mailing."""

    engine: Engine
    client: TelegramClient
    limiter: RateLimiter
    calls: list[TelegramCall]
    owner: str
    paid: bool
    stop: threading.Event
    # Past this moment (monotonic) no new request starts, so the job ends within its timeout.
    hard_deadline: float = float("inf")
    max_lateness: float = MAX_LATENESS
    # (seconds, outcome) of each first call, for /metrics; flushed with each batch of outcomes.
    timings: collections.deque = field(default_factory=collections.deque)

    def send(self, claim: Claim, chat_id: int, send_at: float | None = None) -> tuple[int, Outcome]:
        """Send one delivery already marked `sending` at its slot `send_at`; returns the chat and outcome."""
        now = time.monotonic()
        if send_at is not None and now - send_at > self.max_lateness:
            return chat_id, Outcome(MISSED_SLOT, description="missed its slot")
        try:
            held = self.limiter.waiting()
        except RedisError as error:
            # Redis is away and nothing has left: back to pending like a missed slot, never `unknown`.
            return chat_id, Outcome(
                MISSED_SLOT, description=f"rate limiter unreachable ({type(error).__name__})"
            )
        if held > 0:
            # A 429 (here or in another worker) began after this slot was reserved: do not send into it.
            return chat_id, Outcome(sender.RETRY_AFTER, description="waiting after a 429", retry_after=held)
        first = self.calls[0]
        started = time.perf_counter()
        outcome = self.client.call(first.method, first.to(chat_id, self.paid))
        self.timings.append((time.perf_counter() - started, outcome.kind))
        if outcome.kind == sender.MIGRATED:
            # Follow the group to its supergroup once; a second move is an error.
            chat_id = outcome.migrate_to
            self.limiter.acquire()
            outcome = self.client.call(first.method, first.to(chat_id, self.paid))
            if outcome.kind == sender.MIGRATED:
                outcome = Outcome(sender.REJECTED, description=f"chat moved twice: {outcome.description}")
        if outcome.kind == sender.SENT and len(self.calls) > 1:
            outcome = self._send_rest(chat_id, outcome)
        if outcome.kind == sender.RETRY_AFTER:
            self.limiter.hold(outcome.retry_after)
        return chat_id, outcome

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

    def close(self, done: list[tuple[Claim, int, Outcome]]) -> None:
        """Write outcomes back: final ones in one fenced statement, retries one by one."""
        engine, owner = self.engine, self.owner
        closings: list[Closing] = []
        missed: list[int] = []
        for claim, chat_id, outcome in done:
            kind = outcome.kind
            if kind == MISSED_SLOT:
                missed.append(claim.id)
            elif kind == sender.SENT:
                closings.append(Closing(claim.id, "sent", chat_id=chat_id, message_id=outcome.message_id))
            elif kind == sender.RETRY_AFTER:
                sending.postpone(
                    engine, claim.id, owner, outcome.retry_after, outcome.description, count_attempt=False
                )
            elif kind == sender.BLOCKED:
                closings.append(Closing(claim.id, "blocked", error=outcome.description, block_user=True))
            elif kind == sender.AMBIGUOUS:
                closings.append(Closing(claim.id, "unknown", chat_id=chat_id, error=outcome.description))
            elif kind == sender.TRANSIENT:
                attempts = self._attempts(claim.id)
                if attempts < MAX_ATTEMPTS:
                    sending.postpone(
                        engine, claim.id, owner, backoff(attempts), outcome.description, chat_id=chat_id
                    )
                else:
                    error = f"gave up after {attempts} attempts: {outcome.description}"
                    closings.append(Closing(claim.id, "failed", chat_id=chat_id, error=error))
            else:
                closings.append(Closing(claim.id, "failed", chat_id=chat_id, error=outcome.description))
        sending.complete_many(engine, owner, closings)
        if missed:
            sending.unmark_many(engine, missed, owner)
            log.info("%d deliveries missed their slot and went back to pending", len(missed))
        self.flush_metrics()

    def flush_metrics(self) -> None:
        """Hand the recorded send timings to /metrics; metrics never hold up or break sending."""
        sends = []
        while self.timings:
            sends.append(self.timings.popleft())
        try:
            monitoring.record_sends(self.limiter.redis, sends)
        except RedisError as error:
            log.warning("send metrics not recorded (%s)", type(error).__name__)

    def _attempts(self, delivery_id: int) -> int:
        with self.engine.connect() as conn:
            return conn.execute(
                text("SELECT attempts FROM deliveries WHERE id = :id"), {"id": delivery_id}
            ).scalar_one()


@dataclass
class Pipeline:
    """A releaser thread that hands each row to the sender threads when its slot comes, the sender
    threads, and one closer thread that writes outcomes back.

    Rows wait for their slot in one queue (in slot order), not in sender threads, so a few threads
    keep up with 1,000 messages a second, and a row reaches a thread only once it is due.
    """

    delivery: Delivery
    threads: int
    scheduled: queue.Queue = field(default_factory=queue.Queue)
    outgoing: queue.Queue = field(default_factory=queue.Queue)
    outcomes: queue.Queue = field(default_factory=queue.Queue)
    senders: list[threading.Thread] = field(default_factory=list)
    others: list[threading.Thread] = field(default_factory=list)

    def start(self, name: str) -> Pipeline:
        """Start the threads."""
        for n in range(self.threads):
            self.senders.append(threading.Thread(target=self._sender, name=f"{name}-send-{n}", daemon=True))
        self.others.append(threading.Thread(target=self._releaser, name=f"{name}-release", daemon=True))
        self.others.append(threading.Thread(target=self._closer, name=f"{name}-close", daemon=True))
        for thread in (*self.senders, *self.others):
            thread.start()
        return self

    def submit(self, send_at: float, claim: Claim, chat_id: int) -> None:
        """Send `claim` (already marked `sending`) to `chat_id` at the monotonic moment `send_at`."""
        self.scheduled.put((send_at, claim, chat_id))

    def behind(self) -> bool:
        """True when due rows wait for a free sender thread (reserve nothing more until they catch up)."""
        return self.outgoing.qsize() > self.threads

    def drain(self, timeout: float = sender.CALL_SECONDS * 4) -> None:
        """Wait until every submitted row is sent and its outcome written back (bounded by `timeout`)."""
        deadline = time.monotonic() + timeout
        for work in (self.scheduled, self.outgoing, self.outcomes):
            with work.all_tasks_done:
                while work.unfinished_tasks and time.monotonic() < deadline:
                    work.all_tasks_done.wait(0.05)

    def stop(self) -> None:
        """Drain, then end the threads."""
        self.drain()
        self.scheduled.put(None)
        for thread in self.senders:
            thread.join(timeout=sender.CALL_SECONDS + 5)
        self.outcomes.put(None)
        for thread in self.others:
            thread.join(timeout=sender.CALL_SECONDS + 5)

    def _releaser(self) -> None:
        while True:
            item = self.scheduled.get()
            if item is None:
                for _ in self.senders:
                    self.outgoing.put(None)
                self.scheduled.task_done()
                return
            sleep_until(item[0])
            self.outgoing.put(item)
            self.scheduled.task_done()

    def _sender(self) -> None:
        delivery = self.delivery
        while True:
            item = self.outgoing.get()
            if item is None:
                self.outgoing.task_done()
                return
            send_at, claim, chat_id = item
            try:
                result = delivery.send(claim, chat_id, send_at)
            except Exception as error:  # a bug must not leave the row hanging nor send it twice
                log.exception("delivery %s: unexpected error while sending", claim.id)
                result = (
                    chat_id,
                    Outcome(sender.AMBIGUOUS, description=f"internal error ({type(error).__name__})"),
                )
            self.outcomes.put((claim, *result))
            self.outgoing.task_done()

    def _closer(self) -> None:
        while True:
            item = self.outcomes.get()
            if item is None:
                self.outcomes.task_done()
                return
            batch = [item]
            flush_at = time.monotonic() + CLOSE_EVERY
            stop = False
            while len(batch) < CLOSE_BATCH:
                try:
                    more = self.outcomes.get(timeout=max(0.0, flush_at - time.monotonic()))
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                batch.append(more)
            try:
                self.delivery.close(batch)
            except Exception:  # the rows stay `sending`; their lease turns them `unknown`, never re-sent
                log.exception("closing %d deliveries failed", len(batch))
            for _ in range(len(batch) + stop):
                self.outcomes.task_done()
            if stop:
                return


def drive(
    delivery: Delivery,
    mailing_id: int,
    rate: float,
    drivers: int,
    budget: float,
    on_batch=None,
) -> str:
    """Send until the mailing is done, stopped or the time budget is spent; returns why it stopped."""
    engine, owner, limiter = delivery.engine, delivery.owner, delivery.limiter
    size = batch_size(rate)
    lease = claim_lease(size, rate, drivers)
    slots = slots_per_reservation(rate)
    deadline = time.monotonic() + budget
    delivery.hard_deadline = deadline + HARD_DEADLINE_MARGIN
    threads = threads_for(rate)
    pipeline = Pipeline(delivery, threads).start(f"mailing-{mailing_id}")
    at_hand: collections.deque[Claim] = collections.deque()
    next_beat = next_claim = 0.0
    try:
        while True:
            now = time.monotonic()
            if on_batch is not None and now >= next_beat:
                on_batch()
                next_beat = time.monotonic() + HEARTBEAT_SECONDS
            if now > deadline:
                return "budget"
            if delivery.stop.is_set() or now > delivery.hard_deadline:
                return "stopped"
            if len(at_hand) < max(slots, size // 2) and now >= next_claim:
                if sending.mailing_status(engine, mailing_id) != "sending":
                    return "stopped"
                batch = sending.claim_batch(engine, mailing_id, owner, size, lease)
                at_hand.extend(batch)
                if len(batch) < size:
                    next_claim = time.monotonic() + RECLAIM_SECONDS
            if not at_hand:
                why = _when_nothing_at_hand(pipeline, engine, mailing_id)
                if why is not None:
                    return why
                next_claim = 0.0
                continue
            if pipeline.behind():
                # The senders are behind: reserve nothing more until they catch up.
                time.sleep(0.002)
                continue
            try:
                times, wait = limiter.reserve(min(slots, len(at_hand)))
            except RedisError as error:
                # Nothing is reserved, so nothing is sent; ask again until Redis is back (or the budget ends).
                log.warning("mailing %s: rate limiter unreachable (%s)", mailing_id, type(error).__name__)
                time.sleep(MAX_NAP)
                continue
            if not times:
                time.sleep(min(wait, MAX_NAP))
                continue
            rows = [at_hand.popleft() for _ in times]
            marked = sending.mark_sending_many(engine, [row.id for row in rows], owner, SENDING_LEASE)
            if not marked and sending.mailing_status(engine, mailing_id) != "sending":
                return "stopped"  # paused or cancelled: stop spending shared slots at once
            for send_at, row in zip(times, rows, strict=True):
                chat_id = marked.get(row.id)
                if chat_id is not None:
                    pipeline.submit(send_at, row, chat_id)
    finally:
        # Rows already marked `sending` go out (their slots are at most one horizon away).
        pipeline.stop()
        delivery.stop.set()
        sending.release_claims(engine, mailing_id, owner)


def _when_nothing_at_hand(pipeline: Pipeline, engine: Engine, mailing_id: int) -> str | None:
    """Nothing left to claim: let our rows finish, then finish the mailing, hand over, or wait."""
    pipeline.drain()
    sending.expire_leases(engine, mailing_id)
    left = sending.work_left(engine, mailing_id)
    if left.pending == 0:
        if left.sending == 0 and sending.finish_if_done(engine, mailing_id):
            return "finished"
        # Only other drivers' in-flight rows remain: they (or lease expiry) finish it.
        return "done" if left.sending == 0 else "others"
    time.sleep(min(1.0, left.next_due_in if left.next_due_in is not None else 1.0) or 0.05)
    return None
