"""One send-rate limiter for every worker: GCRA in a Lua script on Redis's own clock, keyed by bot token.

Every sending call takes a slot here first. Slots are 1/rate apart (zero burst; 1 % wider from
100/s, JITTER_ALLOWANCE), and a
sender may *reserve* a few upcoming slots in one round trip: it learns when each slot falls and
sends at that moment, so the pacing is measured where it matters, at the sender, not at the
moment a thread happened to ask. A 429 from Telegram sets a shared "wait until" key, and no
worker gets a slot before that moment.

What bounds a one-second window: sends leave at s_i = s_0 + i/rate, so any second holds `rate`
of them; Telegram counts arrivals, a_i = s_i + d_i, and as long as the jitter max(d) - min(d)
stays below one interval (40 ms at 25/s) no second holds more than rate + 1. Telegram's own
buckets allow a burst on top of the rate, so that extra one is never a 429.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass

from redis import Redis

# At high rates (from WIDEN_FROM messages a second) slots are this much wider than 1/rate: the bound
# there is a share of the rate (1.01 × rate), and a full grid of exactly paced requests leaves no room
# for the way there (arrivals bunched by 10 ms already make 1,010). At low rates the bound is one
# message over the rate, and pacing is exact.
JITTER_ALLOWANCE = 0.01
WIDEN_FROM = 100.0
# Longest single sleep; we ask again after it, so a new 429 wait or a flush is seen soon.
MAX_NAP = 0.5
# Just before each request a sender asks whether a 429 wait began since its slot was reserved; at
# high rates the answer is shared by the threads of a process for this long (so one round trip a
# message only below 1/WAIT_CHECK_EVERY = 200 messages a second).
WAIT_CHECK_EVERY = 0.005
# How far ahead a sender may reserve slots (at least SLOTS_AHEAD slots): what it reserves is spent
# even if it cannot use it, and a 429 met by another process is seen no later than this.
HORIZON = 0.1
SLOTS_AHEAD = 4

# KEYS: gcra tat key, wait-until key, breaker key. ARGV: interval µs, slots wanted, horizon µs, least
# slots worth a round trip. Answers {0, offset_1, ..., offset_n}: n ≥ least slots taken (fewer only
# when fewer are wanted), each `offset` µs from Redis's now;
# or {wait, probe}: nothing taken, ask again in `wait` µs; probe = 1 when the circuit breaker's
# pause is over and a probe may close it.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local wait_until = tonumber(redis.call('GET', KEYS[2]) or '0')
if wait_until > now then return {wait_until - now, 0} end
local open_until = tonumber(redis.call('HGET', KEYS[3], 'until') or '-1')
if open_until >= 0 then
  if open_until > now then return {open_until - now, 0} end
  local probing = tonumber(redis.call('HGET', KEYS[3], 'probe_until') or '0')
  if probing > now then return {math.min(probing - now, 100000), 0} end
  return {1000, 1}
end
local interval = tonumber(ARGV[1])
local wanted = tonumber(ARGV[2])
local horizon = tonumber(ARGV[3])
local least = math.min(tonumber(ARGV[4] or '1'), wanted)
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local room = horizon - (least - 1) * interval
if tat - now > room then return {tat - now - room, 0} end
local answer = {0}
while #answer <= wanted and tat - now <= horizon do
  answer[#answer + 1] = tat - now
  tat = tat + interval
end
redis.call('SET', KEYS[1], tat, 'PX', math.ceil((tat - now) / 1000) + 60000)
return answer
"""

# KEYS: wait-until key. Answers the µs left of a shared 429 wait (0 when none).
_WAITING = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local wait_until = tonumber(redis.call('GET', KEYS[1]) or '0')
if wait_until > now then return wait_until - now end
return 0
"""

# KEYS: wait-until key. ARGV: seconds to wait. Only ever moves the moment later.
_HOLD = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local untl = now + math.floor(tonumber(ARGV[1]) * 1000000)
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if untl > current then
  redis.call('SET', KEYS[1], untl, 'PX', math.ceil(tonumber(ARGV[1]) * 1000) + 1000)
end
return untl - now
"""


# KEYS: tally key, breaker key. ARGV: answers, troubled answers among them, window s, least
# troubled answers to trip, least troubled share to trip, first pause s.
# Counts answers in one-second buckets; trips the breaker (answers 1) when the troubled answers
# of the window are both many and a large share, so a lone 5xx at 1,000/s never pauses anything.
_TALLY = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local second = tonumber(t[1])
local window = tonumber(ARGV[3])
redis.call('HINCRBY', KEYS[1], 'n:' .. second, tonumber(ARGV[1]))
if tonumber(ARGV[2]) > 0 then redis.call('HINCRBY', KEYS[1], 't:' .. second, tonumber(ARGV[2])) end
redis.call('EXPIRE', KEYS[1], window + 1)
local answers, troubled = 0, 0
local fields = redis.call('HGETALL', KEYS[1])
for i = 1, #fields, 2 do
  local at = tonumber(string.sub(fields[i], 3))
  if at <= second - window then
    redis.call('HDEL', KEYS[1], fields[i])
  elseif string.sub(fields[i], 1, 1) == 'n' then
    answers = answers + tonumber(fields[i + 1])
  else
    troubled = troubled + tonumber(fields[i + 1])
  end
end
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
if troubled >= tonumber(ARGV[4]) and troubled >= tonumber(ARGV[5]) * answers then
  local pause = tonumber(ARGV[6])
  redis.call('HSET', KEYS[2], 'until', now + pause * 1000000, 'pause', pause)
  redis.call('EXPIRE', KEYS[2], 3600)
  return 1
end
return 0
"""

# KEYS: breaker key. ARGV: probe lease µs. Answers 1 to the one caller that may probe now.
_PROBE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local open_until = tonumber(redis.call('HGET', KEYS[1], 'until') or '-1')
if open_until < 0 or open_until > now then return 0 end
if tonumber(redis.call('HGET', KEYS[1], 'probe_until') or '0') > now then return 0 end
redis.call('HSET', KEYS[1], 'probe_until', now + tonumber(ARGV[1]))
return 1
"""

# KEYS: breaker key, tally key. ARGV: 1 when the probe was answered, longest pause s.
# A good probe closes the breaker (and forgets the troubled window); a bad one doubles the pause.
_VERDICT = """
if ARGV[1] == '1' then
  redis.call('DEL', KEYS[1], KEYS[2])
  return 0
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local pause = math.min(tonumber(redis.call('HGET', KEYS[1], 'pause') or '1') * 2, tonumber(ARGV[2]))
redis.call('HSET', KEYS[1], 'until', now + pause * 1000000, 'pause', pause, 'probe_until', 0)
redis.call('EXPIRE', KEYS[1], 3600)
return pause
"""

# KEYS: wait-until key, breaker key, start journal key. ARGV: journal ttl ms, chat key prefix,
# chat gap ms, then (delivery id, chat id, 1 for a first part / 0 for a later one) triples.
# Just before requests leave: nothing starts during a 429 wait ({1, µs}) or while the breaker is
# open ({2}); a lost journal answers {3}. Otherwise each first part is written to the journal as
# started, unless the lease expirer revoked it; any part whose chat had a message from us within
# the gap is held back. Answers {0, refused id, reason (1 revoked, 2 chat busy), ...}.
_START = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local wait_until = tonumber(redis.call('GET', KEYS[1]) or '0')
if wait_until > now then return {1, wait_until - now} end
if redis.call('EXISTS', KEYS[2]) == 1 then return {2} end
if redis.call('HEXISTS', KEYS[3], 'run') == 0 then return {3} end
local answer = {0}
for i = 4, #ARGV, 3 do
  local first = ARGV[i + 2] == '1'
  if first and redis.call('HGET', KEYS[3], ARGV[i]) == 'r' then
    answer[#answer + 1] = ARGV[i]
    answer[#answer + 1] = 1
  elseif not redis.call('SET', ARGV[2] .. ARGV[i + 1], 1, 'PX', tonumber(ARGV[3]), 'NX') then
    answer[#answer + 1] = ARGV[i]
    answer[#answer + 1] = 2
  elseif first then
    redis.call('HSET', KEYS[3], ARGV[i], 's')
  end
end
redis.call('PEXPIRE', KEYS[3], tonumber(ARGV[1]))
return answer
"""

# Circuit breaker: trips when, within BREAKER_WINDOW seconds, at least BREAKER_MIN answers and
# BREAKER_SHARE of all answers were troubled (5xx, timeouts, refused connections); pauses first
# BREAKER_FIRST_PAUSE seconds, doubling after each failed probe up to BREAKER_MAX_PAUSE.
BREAKER_WINDOW = 10
BREAKER_MIN = 3
BREAKER_SHARE = 0.02
BREAKER_FIRST_PAUSE = 2.0
BREAKER_MAX_PAUSE = 60.0
# A prober that dies is replaced after this long.
PROBE_LEASE = 30.0
# Messages to one chat are at least this far apart: Telegram allows about one a second; 50 ms cover
# the difference in the two requests' way there and 20 ms the start check's lead (START_SPAN).
CHAT_GAP = 1.07
START_JOURNAL_TTL = 3600.0
MAX_LATENESS = 0.02


@dataclass(frozen=True)
class Start:
    """What the limiter said just before requests leave."""

    held: float = 0.0  # seconds of a 429 wait still to run
    open: bool = False  # the circuit breaker is open
    lost: bool = False  # the start journal is gone (Redis lost its data)
    revoked: tuple[int, ...] = ()  # the lease expirer took these back: never send them
    busy: tuple[int, ...] = ()  # their chat had a message from us less than CHAT_GAP ago

    @property
    def go(self) -> bool:
        """True when the requests (less the refused ones) may leave."""
        return not (self.held or self.open or self.lost)


def _key_part(token: str) -> str:
    # The token itself must not sit in Redis key names (they show up in dashboards and logs).
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def allowance(rate: float) -> float:
    """How much wider than 1/rate the slots are (JITTER_ALLOWANCE from WIDEN_FROM a second, else 0)."""
    return JITTER_ALLOWANCE if rate >= WIDEN_FROM else 0.0


def max_lateness(rate: float) -> float:
    """How late a request may leave after its slot, within what keeps any second within its bound.

    The bound is rate + 1 at low rates and 1.01 × rate at high ones (10 ms of bunching at
    1,000/s). Up to 20 ms (half an interval at 25/s) or half the budget, whichever is less;
    the rest is left for the network's jitter.
    """
    return min(MAX_LATENESS, 0.5 * max(1.0, 0.01 * rate) / rate)


class RateLimiter:
    """GCRA limiter shared through Redis by every process sending with one bot token.

    It also holds the shared 429 wait and the circuit breaker: when Telegram's answers turn
    troubled (5xx, timeouts, refused connections), every sender pauses, and one probe (a `getMe`
    through `prober`) decides when sending resumes.
    """

    def __init__(self, redis: Redis, token: str, rate: float, prober: Callable[[], bool] | None = None):
        self.redis = redis
        self.rate = rate
        part = _key_part(token)
        self.tat_key = f"rassylka:rate:{part}:tat"
        self.wait_key = f"rassylka:rate:{part}:wait_until"
        self.breaker_key = f"rassylka:rate:{part}:breaker"
        self.tally_key = f"rassylka:rate:{part}:tally"
        self.chat_prefix = f"rassylka:chat:{part}:"
        self.interval_us = max(1, round(1_000_000 * (1 + allowance(rate)) / rate))
        self._reserve = redis.register_script(_RESERVE)
        self._hold = redis.register_script(_HOLD)
        self._waiting = redis.register_script(_WAITING)
        self._tally = redis.register_script(_TALLY)
        self._probe = redis.register_script(_PROBE)
        self._verdict = redis.register_script(_VERDICT)
        self._start = redis.register_script(_START)
        self._wait_known_until = 0.0  # monotonic: the shared wait as last read
        self._wait_read_at = -1.0
        self.horizon = max(HORIZON, SLOTS_AHEAD / rate)
        self.max_lateness = max_lateness(rate)
        # Set when this process met a 429: its reserved slots before this moment are not used.
        self.local_hold_until = 0.0
        # Asks Telegram something harmless (getMe); True when it answered.
        self.prober = prober

    def reserve(
        self, wanted: int = 1, horizon: float | None = None, least: int = 1
    ) -> tuple[list[float], float]:
        """Take up to `wanted` slots falling within `horizon` seconds (default: the limiter's horizon),
        and none unless at least `least` of them fit (so a batch is not dealt out one slot a trip).

        Returns (monotonic send times, 0.0) when slots are ours, or ([], seconds to
        wait before asking again). Send each message at its time, not before. While the breaker
        is open nothing is given; when its pause is over, one caller probes.
        """
        before = time.monotonic()
        answer = self._reserve(
            keys=[self.tat_key, self.wait_key, self.breaker_key],
            args=[
                self.interval_us,
                max(1, wanted),
                int((self.horizon if horizon is None else horizon) * 1e6),
                max(1, min(least, wanted)),
            ],
        )
        after = time.monotonic()
        if int(answer[0]) != 0:
            if int(answer[1]) == 1:
                self.probe()
            return [], max(int(answer[0]), 1) / 1_000_000
        # Redis read its clock somewhere inside the round trip: take the middle.
        base = (before + after) / 2
        return [base + int(offset) / 1_000_000 for offset in answer[1:]], 0.0

    def try_acquire(self) -> float:
        """Take a slot due now (returns 0) or return the seconds to wait before asking again."""
        times, wait = self.reserve(1, horizon=0.0)
        return 0.0 if times else wait

    def acquire(self, deadline: float | None = None, should_stop=None, chat_id: int | None = None) -> bool:
        """Block until a slot is ours and due; False if `deadline` (monotonic) passes or `should_stop()`.

        With `chat_id`, also until that chat has had no message from us for CHAT_GAP (and take
        the chat's gap for this message).
        """
        while True:
            busy_for = self.chat_busy_for(chat_id) if chat_id is not None else 0.0
            if busy_for <= 0:
                times, wait = self.reserve(1)
                if times:
                    sleep_until(times[0])
                    if chat_id is None or self._take_chat(chat_id):
                        return True
                    continue  # another message to this chat took the gap meanwhile; slot spent
            else:
                wait = busy_for
            if should_stop is not None and should_stop():
                return False
            nap = min(wait, MAX_NAP)
            if deadline is not None and time.monotonic() + nap > deadline:
                return False
            time.sleep(nap)

    def chat_busy_for(self, chat_id: int) -> float:
        """Seconds until `chat_id` may get another message from us (0.0 when it may now)."""
        left = self.redis.pttl(f"{self.chat_prefix}{chat_id}")
        return max(0, left) / 1000

    def busy_chats(self, chat_ids: list[int]) -> set[int]:
        """Those of `chat_ids` that had a message from us less than CHAT_GAP ago (one round trip)."""
        if not chat_ids:
            return set()
        found = self.redis.mget([f"{self.chat_prefix}{chat_id}" for chat_id in chat_ids])
        return {chat_id for chat_id, value in zip(chat_ids, found, strict=True) if value is not None}

    def _take_chat(self, chat_id: int) -> bool:
        key = f"{self.chat_prefix}{chat_id}"
        return bool(self.redis.set(key, 1, px=int(CHAT_GAP * 1000), nx=True))

    def waiting(self) -> float:
        """Seconds left of a 429 wait (this process's or the shared one); 0.0 when a request may go now."""
        now = time.monotonic()
        if now - self._wait_read_at >= WAIT_CHECK_EVERY:
            micros = int(self._waiting(keys=[self.wait_key]))
            self._wait_read_at = now
            self._wait_known_until = now + micros / 1_000_000
        return max(0.0, self._wait_known_until - now, self.local_hold_until - now)

    def hold(self, seconds: float) -> None:
        """Make every sender wait `seconds` from now (after a 429), unless a later wait is already set."""
        self.local_hold_until = max(self.local_hold_until, time.monotonic() + max(seconds, 0.0))
        self._hold(keys=[self.wait_key], args=[max(seconds, 0.0)])

    def tally(self, answers: int, troubled: int = 0) -> bool:
        """Count Telegram's answers (`troubled`: 5xx, timeouts, refusals); True if the breaker tripped."""
        if answers <= 0:
            return False
        tripped = self._tally(
            keys=[self.tally_key, self.breaker_key],
            args=[answers, troubled, BREAKER_WINDOW, BREAKER_MIN, BREAKER_SHARE, BREAKER_FIRST_PAUSE],
        )
        return bool(tripped)

    def probe(self) -> bool | None:
        """When the breaker's pause is over, let one caller ask Telegram; None if it was not ours to do."""
        if self.prober is None or not self._probe(keys=[self.breaker_key], args=[int(PROBE_LEASE * 1e6)]):
            return None
        try:
            answered = self.prober()
        except Exception:  # a prober that breaks counts as no answer
            answered = False
        self._verdict(
            keys=[self.breaker_key, self.tally_key], args=["1" if answered else "0", BREAKER_MAX_PAUSE]
        )
        return answered

    def start(
        self, journal_key: str, rows: list[tuple[int, int]], later: list[tuple[int, int]] = ()
    ) -> Start:
        """Just before requests leave: record first parts (delivery id, chat id) as started, take
        every chat's gap (later parts' too), or say why not."""
        args: list = [int(START_JOURNAL_TTL * 1000), self.chat_prefix, int(CHAT_GAP * 1000)]
        for delivery_id, chat_id in rows:
            args += [delivery_id, chat_id, 1]
        for delivery_id, chat_id in later:
            args += [delivery_id, chat_id, 0]
        answer = self._start(keys=[self.wait_key, self.breaker_key, journal_key], args=args)
        code = int(answer[0])
        if code == 1:
            return Start(held=int(answer[1]) / 1_000_000)
        if code == 2:
            return Start(open=True)
        if code == 3:
            return Start(lost=True)
        refused = list(zip(answer[1::2], answer[2::2], strict=True))
        return Start(
            revoked=tuple(int(i) for i, why in refused if int(why) == 1),
            busy=tuple(int(i) for i, why in refused if int(why) == 2),
        )

    def forget_chats(self, chat_ids: list[int]) -> None:
        """Clear the gap `start` took for chats whose request never left (it missed its slot)."""
        if chat_ids:
            self.redis.delete(*{f"{self.chat_prefix}{chat_id}" for chat_id in chat_ids})


def sleep_until(moment: float) -> None:
    """Sleep until the monotonic `moment` (returns at once when it has passed)."""
    delay = moment - time.monotonic()
    if delay > 0:
        time.sleep(delay)
