"""A driver's threads: a releaser that lets each request go at its slot, the wire, and one closer.

- The releaser takes requests in slot order. Just before a few of them are due it asks the
  limiter, in one round trip, whether they may start (no 429 wait, breaker closed, their chats
  not messaged within the last second) and records the first parts in the driver's start journal;
  then it hands them to the wire's loop, each to be written at its slot.
- The wire (`webapi/telegram/wire.py`, one asyncio loop thread over keep-alive connections)
  writes each request at its slot, unless the slot is already too far past, and the answer
  becomes a closing, or the next part of a two-part delivery. No transaction is open meanwhile.
- The closer writes closings back in small batches, each row fenced on our lease. When Postgres
  is away it keeps them, and every later one, and tries again until it answers: an outcome a
  live worker knows is never dropped. A batch Postgres refuses for any other reason is written
  row by row, so one bad row never costs the others their outcome.
"""

from __future__ import annotations

import collections
import functools
import heapq
import itertools
import logging
import queue
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from redis.exceptions import RedisError
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from webapi import monitoring
from webapi.services import ledger, start_journal
from webapi.services.auto_pause import FailureWindow
from webapi.services.ledger import Claim, Closing
from webapi.telegram import outcomes
from webapi.telegram.client import CALL_SECONDS, TelegramClient
from webapi.telegram.outcomes import Outcome
from webapi.telegram.rate_limiter import CHAT_GAP, RateLimiter, sleep_until
from webapi.telegram.render import TelegramCall
from webapi.telegram.wire import Wire

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
MAX_BACKOFF = 60.0
# Later parts of a two-part delivery (media, then text) are retried here, never the first part.
PART_ATTEMPTS = 3
# Outcomes are written back at least this often (and in batches of at most CLOSE_BATCH rows).
CLOSE_EVERY = 0.1
CLOSE_BATCH = 500
# While Postgres is away the closer tries again after these pauses (doubling).
RETRY_FIRST, RETRY_MOST = 0.2, 2.0
# How long a stopping driver waits for Postgres to take its last outcomes.
HOLD_OUTCOMES_SECONDS = 300.0
# The releaser asks the limiter about requests due within this lead: a 429 wait that begins later
# than that before a request is missed (the sender checks this process's own waits once more).
START_LEAD = 0.003
# ... and about the requests due within this span after the first of them, in the same round trip
# (so a 429 another process met is seen at most START_LEAD + START_SPAN late, 20 requests at 1,000/s,
# each of which Telegram refuses; and a chat's gap counts from up to that much before its request).
START_SPAN = 0.02

# Kinds of outcome that never reached Telegram (besides sender's): no attempt is counted.
MISSED_SLOT = "missed_slot"  # the request could not leave in time, or the limiter was away
CHAT_BUSY = "chat_busy"  # the chat had a message from us less than CHAT_GAP ago
REVOKED = "revoked"  # the lease expirer gave the row to others: not ours to send or close
UNSENT = (MISSED_SLOT, CHAT_BUSY, REVOKED, outcomes.RETRY_AFTER)
NO_CONNECTION = Outcome(MISSED_SLOT, description="missed its slot (no free connection)")


def backoff(attempts: int) -> float:
    """Seconds before the next try after `attempts` transient failures."""
    return min(MAX_BACKOFF, 2.0 ** max(attempts, 1))


def database_away(error: BaseException) -> bool:
    """True for errors that say Postgres cannot be reached (as opposed to refusing a statement)."""
    if isinstance(error, OperationalError | InterfaceError):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


@dataclass(slots=True)
class Attempt:
    """One request to make: a part of a claimed delivery, at its slot."""

    claim: Claim
    chat_id: int
    part: int = 0
    slot: float = 0.0  # monotonic moment it may leave
    tries: int = 0  # tries of a later part
    first_message_id: int | None = None


@dataclass
class Pipeline:
    """The threads that send a driver's requests and write their outcomes back."""

    engine: Engine
    client: TelegramClient
    limiter: RateLimiter
    owner: str
    paid: bool
    connections: int
    calls: dict[int, list[TelegramCall]] = field(default_factory=dict)  # by mailing id
    journal: str = ""
    scheduled: queue.Queue = field(default_factory=queue.Queue)
    outcomes: queue.Queue = field(default_factory=queue.Queue)
    # Rows submitted and not yet closed: delivery id → mailing id.
    in_flight: dict[int, int] = field(default_factory=dict)
    # (seconds, kind) of each call, for /metrics.
    timings: collections.deque = field(default_factory=collections.deque)
    _follow_ups: list = field(default_factory=list)
    _order: itertools.count = field(default_factory=itertools.count)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    wire: Wire | None = None
    _helpers: ThreadPoolExecutor | None = None
    _workers: list[threading.Thread] = field(default_factory=list)
    _closer: threading.Thread | None = None
    database_ok: bool = True
    # Mailings whose first request has been cleared to leave here.
    started_mailings: set[int] = field(default_factory=set)
    # Chats whose cleared request never left (it missed its slot): their gap is given back.
    unsent_chats: collections.deque = field(default_factory=collections.deque)
    # Auto-pause: each mailing's last `failure_window` outcomes written here (0: not watched), and
    # the mailings whose failures went above `failure_share` of them, with the reason, for the driver.
    failure_window: int = 0
    failure_share: float = 1.0
    windows: dict[int, FailureWindow] = field(default_factory=dict)
    tripped: dict[int, dict] = field(default_factory=dict)

    def start(self, name: str) -> Pipeline:
        """Open the start journal and start the threads."""
        self.journal = start_journal.open_journal(self.limiter.redis, self.owner)
        self.wire = Wire(self.client.base_url, self.client.token, self.connections, self.limiter.rate)
        self.wire.start(f"{name}-wire")
        # For the rare calls that block (following a group to its supergroup).
        self._helpers = ThreadPoolExecutor(max_workers=2, thread_name_prefix=f"{name}-help")
        self._workers.append(threading.Thread(target=self._releaser, name=f"{name}-release", daemon=True))
        self._closer = threading.Thread(target=self._close_loop, name=f"{name}-close", daemon=True)
        for thread in (*self._workers, self._closer):
            thread.start()
        return self

    def submit(self, attempt: Attempt) -> None:
        """Send `attempt` at its slot (its row is already marked `sending`)."""
        with self._lock:
            self.in_flight[attempt.claim.id] = attempt.claim.mailing_id
        self.scheduled.put(attempt)

    def due_follow_ups(self, until: float, most: int) -> list[Attempt]:
        """Later parts due by the monotonic moment `until` (at most `most`), oldest first."""
        taken = []
        with self._lock:
            while self._follow_ups and len(taken) < most and self._follow_ups[0][0] <= until:
                taken.append(heapq.heappop(self._follow_ups)[2])
        return taken

    def follow_ups_due(self, until: float) -> int:
        """How many later parts are due by the monotonic moment `until`."""
        with self._lock:
            return sum(1 for due, _, _ in self._follow_ups if due <= until)

    def busy_with(self, mailing_id: int) -> bool:
        """True while any row of this mailing is in flight here."""
        with self._lock:
            return mailing_id in self.in_flight.values()

    def holding(self) -> list[int]:
        """Ids of the rows in flight here (their leases must not run out)."""
        with self._lock:
            return list(self.in_flight)

    def forget_failures(self, mailing_id: int) -> None:
        """Judge a mailing on the outcomes written from now on only (it joins, or rejoins after a resume)."""
        with self._lock:
            self.windows.pop(mailing_id, None)
            self.tripped.pop(mailing_id, None)

    def take_tripped(self) -> list[tuple[int, dict]]:
        """The mailings whose recent sends failed too often (each handed over once), with the reason."""
        with self._lock:
            taken, self.tripped = list(self.tripped.items()), {}
            for mailing_id, _ in taken:
                self.windows.pop(mailing_id, None)
        return taken

    def _watch_failures(self, closings: list[Closing]) -> None:
        if not self.failure_window:
            return
        with self._lock:
            for closing in closings:
                window = self.windows.get(closing.mailing_id)
                if window is None:
                    window = self.windows[closing.mailing_id] = FailureWindow(self.failure_window)
                window.add(closing.status, closing.error)
            for mailing_id, window in self.windows.items():
                if mailing_id not in self.tripped and window.tripped(self.failure_share):
                    self.tripped[mailing_id] = window.reason(self.failure_share)

    def behind(self) -> bool:
        """True when Telegram answers too slowly for the requests due (reserve nothing until it does)."""
        return self.wire is not None and self.wire.behind()

    def idle(self) -> bool:
        """True when nothing is in flight."""
        with self._lock:
            return not self.in_flight

    def stop(self, hold_outcomes: float = HOLD_OUTCOMES_SECONDS) -> None:
        """Let every request in flight finish (later parts included), write all outcomes, end the threads."""
        deadline = time.monotonic() + hold_outcomes
        while not self.idle() and time.monotonic() < deadline:
            # A stopping driver reserves nothing more: later parts take their slots here.
            for attempt in self.due_follow_ups(time.monotonic(), 1_000):
                if self.limiter.acquire(deadline=deadline):
                    attempt.slot = time.monotonic()
                    self.scheduled.put(attempt)
            time.sleep(0.02)
        if not self.idle():
            log.error("%d outcomes could not be written before the driver stopped", len(self.holding()))
        self.scheduled.put(None)
        self.outcomes.put(None)
        for thread in (*self._workers, self._closer):
            thread.join(timeout=CALL_SECONDS + 5)
        if self.wire is not None:
            self.wire.stop()
        if self._helpers is not None:
            self._helpers.shutdown(wait=False)

    # --- the releaser ---

    def _releaser(self) -> None:
        waiting: collections.deque[Attempt] = collections.deque()
        lead = START_LEAD
        stopping = False
        while True:
            if not waiting:
                if stopping:
                    return
                item = self.scheduled.get()
                if item is None:
                    stopping = True
                    continue
                waiting.append(item)
            sleep_until(waiting[0].slot - lead)
            # Everything else already due within the lead goes in the same round trip.
            while not stopping:
                try:
                    item = self.scheduled.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stopping = True
                else:
                    waiting.append(item)
            # One round trip for the requests due within START_SPAN of the first (about 20 at
            # 1,000/s): asked one by one, the start checks alone would cost a round trip a message.
            until = max(time.monotonic() + lead, waiting[0].slot + START_SPAN)
            group = []
            while waiting and waiting[0].slot <= until:
                group.append(waiting.popleft())
            # The wire's loop writes each at its own slot.
            cleared = self._cleared(group)
            if cleared:
                self.wire.at([(attempt.slot, functools.partial(self._fire, attempt)) for attempt in cleared])

    def _cleared(self, group: list[Attempt]) -> list[Attempt]:
        """The attempts that may leave now; the others are settled as not sent."""
        firsts = [(a.claim.id, a.chat_id) for a in group if a.part == 0]
        later = [(a.claim.id, a.chat_id) for a in group if a.part > 0]
        try:
            verdict = self.limiter.start(self.journal, firsts, later)
            if verdict.lost:
                # Redis lost the journal: a new one cannot prove anything about the old rows.
                self.journal = start_journal.open_journal(self.limiter.redis, self.owner, partial=True)
                verdict = self.limiter.start(self.journal, firsts, later)
        except RedisError as error:
            for attempt in group:
                self._settle(
                    attempt, Outcome(MISSED_SLOT, description=f"limiter away ({type(error).__name__})")
                )
            return []
        if not verdict.go:
            why = "waiting after a 429" if verdict.held else "Telegram is in trouble: sending paused"
            for attempt in group:
                self._settle(
                    attempt, Outcome(outcomes.RETRY_AFTER, description=why, retry_after=verdict.held)
                )
            return []
        cleared = []
        for attempt in group:
            if attempt.part == 0 and attempt.claim.id in verdict.revoked:
                self._settle(attempt, Outcome(REVOKED))
            elif attempt.claim.id in verdict.busy:
                self._settle(
                    attempt, Outcome(CHAT_BUSY, description="another message to this chat just left")
                )
            else:
                cleared.append(attempt)
                self.started_mailings.add(attempt.claim.mailing_id)
        return cleared

    # --- at the slot, in the wire's loop ---

    def _fire(self, attempt: Attempt) -> None:
        """Write the request now, unless its slot is too far past or a 429 wait began since."""
        try:
            now = time.monotonic()
            latest = attempt.slot + self.limiter.max_lateness
            if now > latest:
                self._unsent(attempt, Outcome(MISSED_SLOT, description="missed its slot"))
                return
            if self.limiter.local_hold_until > now:
                # A 429 in this process began after the slot was reserved: do not send into it.
                hold = self.limiter.local_hold_until - now
                self._unsent(attempt, Outcome(outcomes.RETRY_AFTER, retry_after=hold))
                return
            call = self.calls[attempt.claim.mailing_id][attempt.part]
            answered = functools.partial(self._answered, attempt, time.perf_counter())
            params = call.to(attempt.chat_id, self.paid, attempt.claim.names, attempt.claim.user_id)
            self.wire.post(call.method, params, latest, answered)
        except Exception as error:  # a bug must not leave the row hanging nor send it twice
            self._internal_error(attempt, error)

    def _answered(self, attempt: Attempt, started: float, outcome: Outcome | None) -> None:
        try:
            if outcome is None:  # no connection was free in time: nothing was written
                self._unsent(attempt, NO_CONNECTION)
                return
            self.timings.append((time.perf_counter() - started, outcome.kind))
            if outcome.kind == outcomes.MIGRATED and attempt.part == 0:
                self._helpers.submit(self._follow_migration, attempt, outcome)
                return
            self._after_call(attempt, outcome)
        except Exception as error:
            self._internal_error(attempt, error)

    def _follow_migration(self, attempt: Attempt, outcome: Outcome) -> None:
        """Follow the group to its supergroup once (a second move is an error); in a helper thread."""
        try:
            call = self.calls[attempt.claim.mailing_id][attempt.part]
            attempt.chat_id = outcome.migrate_to
            self.limiter.acquire()
            params = call.to(attempt.chat_id, self.paid, attempt.claim.names, attempt.claim.user_id)
            outcome = self.client.call(call.method, params)
            if outcome.kind == outcomes.MIGRATED:
                outcome = Outcome(outcomes.REJECTED, description=f"chat moved twice: {outcome.description}")
            self._after_call(attempt, outcome)
        except Exception as error:
            self._internal_error(attempt, error)

    def _unsent(self, attempt: Attempt, outcome: Outcome) -> None:
        """A cleared request that never left: settled as not sent, its chat free again."""
        self.unsent_chats.append(attempt.chat_id)
        self._settle(attempt, outcome)

    def _after_call(self, attempt: Attempt, outcome: Outcome) -> None:
        try:
            if outcome.kind == outcomes.RETRY_AFTER:
                self.limiter.hold(outcome.retry_after)
            if outcome.kind in outcomes.TROUBLED:
                self.limiter.tally(1, 1)
        except RedisError:
            log.warning("a 429 wait or a troubled answer could not be shared through Redis")
        self._settle(attempt, outcome)

    def _internal_error(self, attempt: Attempt, error: Exception) -> None:
        log.exception("delivery %s: unexpected error while sending", attempt.claim.id, exc_info=error)
        self._settle(
            attempt, Outcome(outcomes.AMBIGUOUS, description=f"internal error ({type(error).__name__})")
        )

    def _settle(self, attempt: Attempt, outcome: Outcome) -> None:
        """Turn an outcome into the next part to send, or a closing for the closer."""
        claim, kind = attempt.claim, outcome.kind
        parts = len(self.calls[claim.mailing_id])
        if attempt.part > 0:
            self._settle_later_part(attempt, outcome, parts)
            return
        if kind == outcomes.SENT and parts > 1:
            self._follow_up(Attempt(claim, attempt.chat_id, 1, first_message_id=outcome.message_id), CHAT_GAP)
            return
        self._close(attempt, self._closing(attempt, outcome), answered=kind not in UNSENT)

    def _settle_later_part(self, attempt: Attempt, outcome: Outcome, parts: int) -> None:
        kind, claim = outcome.kind, attempt.claim
        if kind == outcomes.SENT:
            if attempt.part + 1 < parts:
                self._follow_up(
                    Attempt(
                        claim, attempt.chat_id, attempt.part + 1, first_message_id=attempt.first_message_id
                    ),
                    CHAT_GAP,
                )
                return
            closing = Closing(claim.id, claim.mailing_id, "sent", attempt.chat_id, attempt.first_message_id)
        elif kind in UNSENT:
            self._follow_up(attempt, max(outcome.retry_after, CHAT_GAP if kind == CHAT_BUSY else 0.05))
            return
        elif kind == outcomes.TRANSIENT and attempt.tries + 1 < PART_ATTEMPTS:
            attempt.tries += 1
            self._follow_up(attempt, backoff(attempt.tries))
            return
        elif kind == outcomes.AMBIGUOUS:
            closing = Closing(
                claim.id, claim.mailing_id, "unknown", attempt.chat_id, error=outcome.description
            )
        else:
            error = f"partly delivered: the first message arrived, then {outcome.description}"
            closing = Closing(claim.id, claim.mailing_id, "failed", attempt.chat_id, error=error)
        self._close(attempt, closing, answered=kind not in UNSENT)

    def _follow_up(self, attempt: Attempt, after: float) -> None:
        with self._lock:
            heapq.heappush(self._follow_ups, (time.monotonic() + after, next(self._order), attempt))

    @staticmethod
    def _closing(attempt: Attempt, outcome: Outcome) -> Closing | None:
        claim, kind, chat_id = attempt.claim, outcome.kind, attempt.chat_id
        m = claim.mailing_id
        if kind == REVOKED:
            return None
        if kind in (MISSED_SLOT, CHAT_BUSY, outcomes.RETRY_AFTER):
            delay = (
                outcome.retry_after
                if kind == outcomes.RETRY_AFTER
                else CHAT_GAP
                if kind == CHAT_BUSY
                else 0.0
            )
            return Closing(
                claim.id, m, "pending", error=outcome.description or None, delay=delay, uncount=True
            )
        if kind == outcomes.SENT:
            return Closing(claim.id, m, "sent", chat_id=chat_id, message_id=outcome.message_id)
        if kind == outcomes.BLOCKED:
            return Closing(claim.id, m, "blocked", error=outcome.description, block_user=True)
        if kind == outcomes.AMBIGUOUS:
            return Closing(claim.id, m, "unknown", chat_id=chat_id, error=outcome.description)
        if kind == outcomes.TRANSIENT:
            attempts = claim.attempts + 1
            if attempts < MAX_ATTEMPTS:
                return Closing(
                    claim.id, m, "pending", chat_id, error=outcome.description, delay=backoff(attempts)
                )
            error = f"gave up after {attempts} attempts: {outcome.description}"
            return Closing(claim.id, m, "failed", chat_id=chat_id, error=error)
        return Closing(claim.id, m, "failed", chat_id=chat_id, error=outcome.description)

    # --- the closer ---

    def _close(self, attempt: Attempt, closing: Closing | None, answered: bool) -> None:
        if closing is None:
            with self._lock:
                self.in_flight.pop(attempt.claim.id, None)
            return
        self.outcomes.put((closing, answered))

    def _close_loop(self) -> None:
        held: list[tuple[Closing, bool]] = []
        pause = RETRY_FIRST
        stopping = False
        while True:
            stopping = self._gather(held, stopping)
            if held:
                if self._write(held):
                    held = []
                    pause = RETRY_FIRST
                else:
                    time.sleep(pause)
                    pause = min(pause * 2, RETRY_MOST)
                    continue
            if stopping:
                return

    def _gather(self, held: list, stopping: bool) -> bool:
        """Add waiting outcomes to `held`; True once told to stop.

        With nothing held it waits for the first outcome, then CLOSE_EVERY for the rest of the
        batch: one wake-up a batch, not one an outcome.
        """
        if stopping:
            return True
        if not held:
            item = self.outcomes.get()
            if item is None:
                return True
            held.append(item)
        time.sleep(CLOSE_EVERY)
        while len(held) < CLOSE_BATCH or not self.database_ok:
            try:
                item = self.outcomes.get_nowait()
            except queue.Empty:
                return False
            if item is None:
                return True
            held.append(item)
        return False

    def _write(self, held: list[tuple[Closing, bool]]) -> bool:
        """Write held outcomes; False (keeping them) while Postgres is away."""
        closings = [closing for closing, _ in held]
        try:
            ledger.close_many(self.engine, self.owner, closings)
        except Exception as error:
            if database_away(error):
                if self.database_ok:
                    log.warning("Postgres away (%s): holding %d outcomes", type(error).__name__, len(held))
                self.database_ok = False
                return False
            log.exception("closing %d deliveries together failed; closing them one by one", len(closings))
            if not self._write_one_by_one(closings):
                return False
        if not self.database_ok:
            log.info("Postgres is back: held outcomes written")
        self.database_ok = True
        self._after_write(held)
        return True

    def _write_one_by_one(self, closings: list[Closing]) -> bool:
        for n, closing in enumerate(closings):
            try:
                ledger.close_many(self.engine, self.owner, [closing])
            except Exception as error:
                if database_away(error):
                    del closings[:n]
                    return False
                # This row stays `sending`; its lease turns it `unknown`, never re-sent.
                log.exception(
                    "delivery %s: its outcome (%s) could not be written", closing.id, closing.status
                )
        return True

    def _after_write(self, held: list[tuple[Closing, bool]]) -> None:
        self._watch_failures([closing for closing, _ in held])
        ids = [closing.id for closing, _ in held]
        with self._lock:
            for delivery_id in ids:
                self.in_flight.pop(delivery_id, None)
        # Rows back to pending keep their entry: claimed again, they may start again at any moment,
        # and a stale entry only makes a later judgement more careful, never less.
        settled = [closing.id for closing, _ in held if closing.status != "pending"]
        answered = sum(1 for closing, was in held if was and closing.status not in ("unknown",))
        sends = []
        while self.timings:
            sends.append(self.timings.popleft())
        unsent = []
        while self.unsent_chats:
            unsent.append(self.unsent_chats.popleft())
        try:
            self.limiter.forget_chats(unsent)
            start_journal.forget(self.limiter.redis, self.owner, settled)
            self.limiter.tally(answered)
            monitoring.record_sends(self.limiter.redis, sends)
        except RedisError as error:
            log.warning("send bookkeeping in Redis skipped (%s)", type(error).__name__)


def pipeline_connections(rate: float, least: int = 8, most: int = 256) -> int:
    """Most connections to the Bot API: enough for answers that take 0.2 s at the full rate.

    The wire keeps fewer in flight while answers come sooner (`webapi/telegram/wire.py`), so that a
    stall at Telegram's end cannot bunch more than a few into one of its seconds.
    """
    return max(least, min(most, int(rate * 0.2)))
