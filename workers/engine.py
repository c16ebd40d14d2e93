"""The driver: one loop that sends every sending mailing, all of them sharing the one rate limit.

A driver is not bound to a mailing. It keeps a few claimed rows of each sending mailing at hand
(claimed under a lease, `FOR UPDATE SKIP LOCKED`), reserves the next slots at the shared limiter
(one Redis round trip for up to `slots_per_reservation` slots) and deals them out:

1. first to the later parts of two-part deliveries whose time has come (a chat gets its second
   message a second after the first, never sooner);
2. then one slot to each sending mailing in turn (round robin, in the order they started
   sending), so N mailings each get 1/N of the rate and a mailing that starts sending takes part
   from the next slot on.

The dealt rows are marked `sending` in one short transaction and handed to the pipeline
(`workers/pipeline.py`), which sends each at its slot and writes outcomes back in batches.

The driver also starts due mailings itself (a starter thread looks every STARTER_EVERY seconds),
so a mailing's first message leaves within about a second of its `send_at` however many others
are sending and however busy the workers are; it finishes mailings whose ledger is settled and
hands their reports on, renews the leases of every row it holds, and settles the expired leases
of dead drivers. When Postgres is away it sends nothing new (rows cannot be marked), keeps what
it knows and carries on once Postgres answers.
"""

from __future__ import annotations

import collections
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from redis.exceptions import RedisError
from sqlalchemy.engine import Engine

from webapi.services import auto_pause, canary, ledger, start_journal
from webapi.services.ledger import Claim, Closing
from webapi.telegram.client import CALL_SECONDS, TelegramClient
from webapi.telegram.rate_limiter import HORIZON, MAX_NAP, RateLimiter
from webapi.telegram.render import TelegramCall
from workers.pipeline import Attempt, Pipeline, database_away, pipeline_connections

log = logging.getLogger(__name__)

# A row marked `sending` waits at most one horizon for its slot, then its calls; renewed while held.
SENDING_LEASE = CALL_SECONDS + 10
BATCH_SECONDS = 2.0
MAX_BATCH = 500
MAX_SLOTS = 64
HEARTBEAT_SECONDS = 2.0
STARTER_EVERY = 0.2
# How often the fanner looks for started mailings whose audience is still being added (chunk by
# chunk, while their first rows send); and how soon a run whose rows are still coming claims again.
FANNER_EVERY = 0.2
FANNING_RECLAIM = 0.1
# Rows dealt at once to a mailing none of whose requests has left yet.
FRESH_ROWS = 3
FRESH_CHOICE = 32
# How often the driver looks which mailings are sending, and settles expired leases.
RUNS_EVERY = 0.25
EXPIRE_EVERY = 5.0
# After a short claim (the mailing is nearly done) ask again only this often: rows that come back
# (a missed slot, a busy chat) are the tail of a mailing, and its end waits for them.
RECLAIM_SECONDS = 0.25
# With nothing to send, a driver waits this long for new work before it ends.
IDLE_SECONDS = 2.0
DATABASE_PAUSE = 0.5


def batch_size(rate: float) -> int:
    """Rows per claim: about BATCH_SECONDS of sending at the full rate."""
    return max(16, min(MAX_BATCH, int(rate * BATCH_SECONDS)))


def claim_lease(size: int, rate: float, drivers: int) -> float:
    """How long claimed rows may wait before others may take them (renewed while the driver lives)."""
    return 15.0 + 2 * size * drivers / rate


def slots_per_reservation(rate: float) -> int:
    """Slots reserved per limiter round trip: about half a horizon's worth (1 at 25/s, 50 at 1,000/s)."""
    return max(1, min(MAX_SLOTS, int(rate * HORIZON / 2)))


def new_owner(job_id: str | None) -> str:
    """A lease owner name unique to this driver run."""
    return f"{socket.gethostname()}:{os.getpid()}:{job_id or uuid.uuid4().hex[:8]}"


@dataclass
class Hooks:
    """What the driver asks of the app around it (each runs in the caller's thread)."""

    content: Callable[[int], list[TelegramCall] | None]  # a sending mailing's calls, or None
    # Start the scheduled mailings whose time has come; returns those started and the seconds
    # until the next one is due (None when none is scheduled).
    start_due: Callable[[], tuple[list[int], float | None]] = lambda: ([], None)
    joined: Callable[[int], None] = lambda mailing_id: None  # a mailing began sending here
    left: Callable[[int, bool], None] = lambda mailing_id, finished: None  # done here (finished or not)
    heartbeat: Callable[[list[int]], None] = lambda mailing_ids: None
    # A mailing paused itself (its canary failed, or its sends did): its people hear why.
    paused: Callable[[int], None] = lambda mailing_id: None
    # A canary's sample is done and the rest waits for its verdict: have it judged on time.
    canary_waits: Callable[[int], None] = lambda mailing_id: None


@dataclass
class Run:
    """One sending mailing as a driver sees it."""

    mailing_id: int
    at_hand: collections.deque[Claim] = field(default_factory=collections.deque)
    personal: bool = False  # its calls have placeholders: claims bring each user's names
    sample: bool = False  # only its canary's sample may go yet
    next_claim: float = 0.0
    next_check: float = 0.0


@dataclass
class Driver:
    """Sends every sending mailing until none is left, it is told to stop, or its budget runs out."""

    engine: Engine
    client: TelegramClient
    limiter: RateLimiter
    owner: str
    paid: bool
    stop: threading.Event
    hooks: Hooks
    drivers: int = 2
    # AUTO_PAUSE_WINDOW (0: off) and AUTO_PAUSE_FAILURE_SHARE (webapi/services/auto_pause.py).
    auto_pause_window: int = 0
    auto_pause_share: float = 1.0
    runs: dict[int, Run] = field(default_factory=dict)
    pipeline: Pipeline | None = None
    _turn: int = 0
    # Rows whose `sending` mark got no answer from Postgres (it may or may not have committed).
    unresolved: list[Claim] = field(default_factory=list)
    # Set by the starter when it started a mailing: the loop looks for new runs at once.
    _started: threading.Event = field(default_factory=threading.Event)
    # Monotonic moment the next scheduled mailing is due (as the starter last saw it).
    _next_start: float = float("inf")

    def run(self, budget: float) -> str:
        """Drive until done ("idle"), stopped ("stopped") or out of time ("budget"); returns which."""
        rate = self.limiter.rate
        self.size = batch_size(rate)
        self.lease = claim_lease(self.size, rate, self.drivers)
        self.slots = slots_per_reservation(rate)
        self.pipeline = Pipeline(
            self.engine,
            self.client,
            self.limiter,
            self.owner,
            self.paid,
            pipeline_connections(rate),
            failure_window=self.auto_pause_window,
            failure_share=self.auto_pause_share,
        ).start(self.owner)
        helpers = [
            threading.Thread(target=self._starter, name=f"{self.owner}-start", daemon=True),
            threading.Thread(target=self._fanner, name=f"{self.owner}-fan-out", daemon=True),
        ]
        for thread in helpers:
            thread.start()
        deadline = time.monotonic() + budget
        try:
            return self._loop(deadline)
        finally:
            self.stop.set()
            self.pipeline.stop()
            self._release([row.id for run in self.runs.values() for row in run.at_hand])
            for thread in helpers:
                thread.join(timeout=5)

    def _loop(self, deadline: float) -> str:
        next_beat = next_runs = next_expire = 0.0
        idle_since = None
        while True:
            now = time.monotonic()
            if self.stop.is_set():
                return "stopped"
            if now > deadline:
                return "budget"
            try:
                if now >= next_beat:
                    self._heartbeat()
                    next_beat = now + HEARTBEAT_SECONDS
                if now >= next_runs or self._started.is_set():
                    self._started.clear()
                    self._refresh_runs()
                    next_runs = now + RUNS_EVERY
                if now >= next_expire:
                    ledger.expire_leases(self.engine, self.limiter.redis)
                    next_expire = now + EXPIRE_EVERY
                if self.unresolved:
                    self._settle_unresolved()
                if self.pipeline.tripped:
                    self._pause_failing()
                self._claim()
                self._finish_settled()
            except Exception as error:
                if not database_away(error):
                    raise
                log.warning("Postgres away (%s): sending nothing new until it answers", type(error).__name__)
                time.sleep(DATABASE_PAUSE)
                continue
            if not self.runs and self.pipeline.idle():
                idle_since = idle_since or now
                # A mailing due soon keeps the driver, so it starts on the dot.
                if now - idle_since > IDLE_SECONDS and self._next_start - now > IDLE_SECONDS:
                    return "idle"
                time.sleep(RUNS_EVERY)
                continue
            idle_since = None
            self._send_some()

    # --- dealing slots ---

    def _send_some(self) -> None:
        waiting = self.pipeline.follow_ups_due(time.monotonic() + self.limiter.horizon)
        rows = sum(len(run.at_hand) for run in self.runs.values())
        if not rows and not waiting:
            time.sleep(0.01)
            return
        if self.pipeline.behind():
            time.sleep(0.002)
            return
        try:
            # A whole group or nothing: one round trip, one mark and one journal write per group,
            # not per message (asked as soon as one slot fits, it would hand them out one by one).
            wanted = min(self.slots, rows + waiting) or 1
            times, wait = self.limiter.reserve(wanted, least=wanted)
        except RedisError as error:
            # Nothing is reserved, so nothing is sent; ask again until Redis is back.
            log.warning("rate limiter unreachable (%s)", type(error).__name__)
            time.sleep(MAX_NAP)
            return
        if not times:
            time.sleep(min(wait, MAX_NAP))
            return
        # Only later parts due by the first slot: each then leaves no sooner than its chat's gap.
        later = self.pipeline.due_follow_ups(times[0], len(times))
        for attempt, slot in zip(later, times, strict=False):
            attempt.slot = slot
            self.pipeline.submit(attempt)
        free = times[len(later) :]
        if free:
            self._send_rows(self._deal(len(free)), free)

    def _deal(self, count: int) -> list[Claim]:
        """Take `count` rows: first for mailings none of whose requests has left yet, then one from
        each mailing in turn."""
        order = list(self.runs.values())
        dealt: list[Claim] = []
        for run in order:
            # A mailing's first message is the one promised on time: it does not wait its turn,
            # and goes to chats that had no message from us within the second (other mailings
            # reach the same people in the same order).
            if run.mailing_id not in self.pipeline.started_mailings and run.at_hand:
                dealt += self._fresh_rows(run, min(FRESH_ROWS, count - len(dealt)))
        while len(dealt) < count and any(run.at_hand for run in order):
            run = order[self._turn % len(order)]
            self._turn += 1
            if run.at_hand:
                dealt.append(run.at_hand.popleft())
        return dealt

    def _fresh_rows(self, run: Run, most: int) -> list[Claim]:
        """Up to `most` rows of a mailing, from chats free to get a message now where there are such."""
        try:
            busy = self.limiter.busy_chats([row.chat_id for row in run.at_hand])
        except RedisError:
            busy = set()
        free = [row for row in run.at_hand if row.chat_id not in busy][:most]
        taken = free or [run.at_hand[n] for n in range(min(most, len(run.at_hand)))]
        for row in taken:
            run.at_hand.remove(row)
        return taken

    def _send_rows(self, rows: list[Claim], times: list[float]) -> None:
        # A row whose earlier attempt is still in our pipeline (its lease ran out while we stalled
        # and we claimed it again) waits for that attempt to settle; others may take it.
        in_flight = set(self.pipeline.holding())
        stale = [row.id for row in rows if row.id in in_flight]
        if stale:
            self._release(stale)
            rows = [row for row in rows if row.id not in in_flight]
        try:
            marked = ledger.mark_sending_many(
                self.engine, [row.id for row in rows], self.owner, SENDING_LEASE
            )
        except Exception as error:
            if not database_away(error):
                raise
            # The mark may have committed with its answer lost: these rows are neither surely
            # pending nor surely ours to send until Postgres says which (`_settle_unresolved`).
            self.unresolved.extend(rows)
            log.warning("Postgres away (%s): nothing new is sent", type(error).__name__)
            time.sleep(DATABASE_PAUSE)
            return
        try:
            # A fresh mark supersedes whatever the journal held for these rows (no earlier attempt
            # of them is in our pipeline): a revocation or a start of an attempt that never left.
            start_journal.forget(self.limiter.redis, self.owner, list(marked))
        except RedisError as error:
            log.warning("start journal not cleared (%s)", type(error).__name__)
        for row, slot in zip(rows, times, strict=False):
            chat_id = marked.get(row.id)
            if chat_id is not None:
                self.pipeline.submit(Attempt(row, chat_id, slot=slot))
        if len(marked) < len(rows):
            # Paused, cancelled, or taken over: stop spending shared slots on them at once.
            self._refresh_runs()

    def _settle_unresolved(self) -> None:
        """Rows whose mark went unanswered: those marked `sending` never left, so they go back to pending."""
        rows, self.unresolved = self.unresolved, []
        try:
            closings = [Closing(row.id, row.mailing_id, "pending", uncount=True) for row in rows]
            ledger.close_many(self.engine, self.owner, closings)
        except Exception:
            self.unresolved = rows + self.unresolved
            raise
        self._release([row.id for row in rows])

    # --- mailings joining and leaving ---

    def _refresh_runs(self) -> None:
        sending_now = dict(ledger.sendable_ids(self.engine))
        for mailing_id in [m for m in self.runs if m not in sending_now]:
            self._leave(mailing_id, finished=False)
        for mailing_id, sample in sending_now.items():
            if mailing_id in self.runs:
                self.runs[mailing_id].sample = sample
                continue
            calls = self.hooks.content(mailing_id)
            if calls is not None:
                self.pipeline.calls[mailing_id] = calls
                # A mailing (re)joining is judged on its sends from now on (a resume starts afresh).
                self.pipeline.forget_failures(mailing_id)
                self.runs[mailing_id] = Run(
                    mailing_id, personal=any(call.personal for call in calls), sample=sample
                )
                self.hooks.joined(mailing_id)

    def _leave(self, mailing_id: int, finished: bool) -> None:
        run = self.runs.pop(mailing_id)
        self._release([row.id for row in run.at_hand])
        self.hooks.left(mailing_id, finished)

    def _claim(self) -> None:
        per_run = max(2 * self.slots, self.size // max(1, len(self.runs)))
        now = time.monotonic()
        for run in self.runs.values():
            # A mailing yet to send its first message gets more rows to choose a free chat from.
            wanted = (
                per_run if run.mailing_id in self.pipeline.started_mailings else max(per_run, FRESH_CHOICE)
            )
            if len(run.at_hand) < wanted // 2 and now >= run.next_claim:
                batch = ledger.claim_batch(
                    self.engine,
                    run.mailing_id,
                    self.owner,
                    wanted,
                    self.lease,
                    names=run.personal,
                    sample=run.sample,
                )
                run.at_hand.extend(batch)
                if len(batch) < wanted:
                    run.next_claim = time.monotonic() + RECLAIM_SECONDS

    def _finish_settled(self) -> None:
        """Finish the mailings with nothing left to send here or anywhere."""
        now = time.monotonic()
        for run in list(self.runs.values()):
            if run.at_hand or now < run.next_check:
                continue
            if self.pipeline.busy_with(run.mailing_id):
                continue
            run.next_check = now + RECLAIM_SECONDS
            left = ledger.work_left(self.engine, run.mailing_id)
            if left.fanning and not left.pending:  # its next rows are on their way
                run.next_claim = run.next_check = now + FANNING_RECLAIM
            elif left.pending == 0 and left.sending == 0:
                self._leave(run.mailing_id, finished=ledger.finish_if_done(self.engine, run.mailing_id))
            elif left.pending and left.next_due_in:
                run.next_claim = now + min(left.next_due_in, RECLAIM_SECONDS)
            elif run.sample:
                self._end_sample(run)

    def _end_sample(self, run: Run) -> None:
        """A canary mailing with none of its sample at hand or in flight here: if none is left anywhere,
        it pauses, waits for its verdict (away from the drivers) or goes on with the rest."""
        ended = canary.end_sample(self.engine, run.mailing_id)
        if ended == canary.PASSED:
            run.sample = False
            run.next_claim = 0.0
        elif ended == canary.WAITING:
            self.hooks.canary_waits(run.mailing_id)
        elif ended == canary.PAUSED:
            ledger.release_claims(self.engine, run.mailing_id)
            self.hooks.paused(run.mailing_id)
        if ended in (canary.WAITING, canary.PAUSED):
            self._refresh_runs()

    def _pause_failing(self) -> None:
        """Pause the mailings whose recent sends here failed too often (AUTO_PAUSE_* settings)."""
        for mailing_id, reason in self.pipeline.take_tripped():
            if auto_pause.pause_now(self.engine, mailing_id, reason):
                log.warning("mailing %s paused itself: %s", mailing_id, reason)
                ledger.release_claims(self.engine, mailing_id)
                self.hooks.paused(mailing_id)
        self._refresh_runs()

    # --- upkeep ---

    def _heartbeat(self) -> None:
        held = [
            *self.pipeline.holding(),
            *(row.id for run in self.runs.values() for row in run.at_hand),
            *(row.id for row in self.unresolved),
        ]
        ledger.renew_leases(self.engine, self.owner, held, max(SENDING_LEASE, self.lease))
        try:
            self.hooks.heartbeat(list(self.runs))
        except Exception:  # progress and slot upkeep never stop the sending
            log.exception("driver heartbeat failed")

    def _starter(self) -> None:
        """Start due mailings on the dot: look every STARTER_EVERY, or sooner when one is due sooner."""
        pause = 0.0
        while not self.stop.wait(pause):
            pause = STARTER_EVERY
            try:
                started, next_in = self.hooks.start_due()
            except Exception as error:
                if database_away(error):
                    log.warning("Postgres away (%s): due mailings wait", type(error).__name__)
                else:
                    log.exception("starting due mailings failed")
                continue
            if started:
                self._started.set()
            self._next_start = float("inf") if next_in is None else time.monotonic() + next_in
            if next_in is not None:
                pause = min(pause, max(0.0, next_in))

    def _fanner(self) -> None:
        """Add started mailings' audiences chunk by chunk while their first rows send (both drivers
        do; a mailing's chunks are added by one at a time)."""
        while not self.stop.is_set():
            added = False
            try:
                for mailing_id in ledger.fanning_ids(self.engine):
                    while not self.stop.is_set() and ledger.fan_out_chunk(self.engine, mailing_id):
                        added = True
                        run = self.runs.get(mailing_id)
                        if run is not None:
                            run.next_claim = 0.0  # new rows: claim them now
            except Exception as error:
                if database_away(error):
                    log.warning("Postgres away (%s): fan-out waits", type(error).__name__)
                else:
                    log.exception("fan-out failed")
                self.stop.wait(DATABASE_PAUSE)
                continue
            if not added:
                self.stop.wait(FANNER_EVERY)

    def _release(self, ids: list[int]) -> None:
        try:
            ledger.release(self.engine, self.owner, ids)
        except Exception as error:  # their claims simply run out
            log.warning("claims not released (%s)", type(error).__name__)
