"""One send-rate limiter for every worker: GCRA in a Lua script on Redis's own clock, keyed by bot token.

Every sending call takes a slot here first. Slots are exactly 1/rate apart (zero burst), and a
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

from redis import Redis

# Kept for compatibility: slots are no longer widened; pacing is exact (see the module docstring).
JITTER_ALLOWANCE = 0.0
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

# KEYS: gcra tat key, wait-until key. ARGV: interval µs, slots wanted, horizon µs.
# Answers {0, offset_1, ..., offset_n}: n ≥ 1 slots taken, each `offset` µs from Redis's now;
# or {wait}: nothing taken, ask again in `wait` µs.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local wait_until = tonumber(redis.call('GET', KEYS[2]) or '0')
if wait_until > now then return {wait_until - now} end
local interval = tonumber(ARGV[1])
local wanted = tonumber(ARGV[2])
local horizon = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
if tat - now > horizon then return {tat - now - horizon} end
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


def _key_part(token: str) -> str:
    # The token itself must not sit in Redis key names (they show up in dashboards and logs).
    return hashlib.sha256(token.encode()).hexdigest()[:16]


class RateLimiter:
    """GCRA limiter shared through Redis by every process sending with one bot token."""

    def __init__(self, redis: Redis, token: str, rate: float):
        self.redis = redis
        self.rate = rate
        part = _key_part(token)
        self.tat_key = f"rassylka:rate:{part}:tat"
        self.wait_key = f"rassylka:rate:{part}:wait_until"
        self.interval_us = max(1, round(1_000_000 * (1 + JITTER_ALLOWANCE) / rate))
        self._reserve = redis.register_script(_RESERVE)
        self._hold = redis.register_script(_HOLD)
        self._waiting = redis.register_script(_WAITING)
        self._wait_known_until = 0.0  # monotonic: the shared wait as last read
        self._wait_read_at = -1.0
        self.horizon = max(HORIZON, SLOTS_AHEAD / rate)
        # Set when this process met a 429: its reserved slots before this moment are not used.
        self.local_hold_until = 0.0

    def reserve(self, wanted: int = 1, horizon: float | None = None) -> tuple[list[float], float]:
        """Take up to `wanted` slots falling within `horizon` seconds (default: the limiter's horizon).

        Returns (monotonic send times, 0.0) when at least one slot is ours, or ([], seconds to
        wait before asking again). Send each message at its time, not before.
        """
        before = time.monotonic()
        answer = self._reserve(
            keys=[self.tat_key, self.wait_key],
            args=[
                self.interval_us,
                max(1, wanted),
                int((self.horizon if horizon is None else horizon) * 1e6),
            ],
        )
        after = time.monotonic()
        if int(answer[0]) != 0 or len(answer) == 1:
            return [], max(int(answer[0]), 1) / 1_000_000
        # Redis read its clock somewhere inside the round trip: take the middle.
        base = (before + after) / 2
        return [base + int(offset) / 1_000_000 for offset in answer[1:]], 0.0

    def try_acquire(self) -> float:
        """Take a slot due now (returns 0) or return the seconds to wait before asking again."""
        times, wait = self.reserve(1, horizon=0.0)
        return 0.0 if times else wait

    def acquire(self, deadline: float | None = None, should_stop=None) -> bool:
        """Block until a slot is ours and due; False if `deadline` (monotonic) passes or `should_stop()`."""
        while True:
            times, wait = self.reserve(1)
            if times:
                sleep_until(times[0])
                return True
            if should_stop is not None and should_stop():
                return False
            nap = min(wait, MAX_NAP)
            if deadline is not None and time.monotonic() + nap > deadline:
                return False
            time.sleep(nap)

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


def sleep_until(moment: float) -> None:
    """Sleep until the monotonic `moment` (returns at once when it has passed)."""
    delay = moment - time.monotonic()
    if delay > 0:
        time.sleep(delay)
