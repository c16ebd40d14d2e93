"""One send-rate limiter for every worker: GCRA in a Lua script on Redis's own clock, keyed by bot token.

Every sending call takes a slot here first. A 429 from Telegram sets a shared "wait until"
key, and no worker gets a slot before that moment.
"""

from __future__ import annotations

import hashlib
import time

from redis import Redis

# Sends are spaced 10 % wider than 1/rate so that arrival jitter up to 100 ms (thread wake-ups,
# a database write, HTTP, a busy machine) cannot squeeze rate + 1 messages into one second at Telegram.
JITTER_ALLOWANCE = 0.10
# Longest single sleep; we ask again after it, so a new 429 wait or a flush is seen soon.
MAX_NAP = 0.5

# KEYS: gcra tat key, wait-until key. ARGV: interval in microseconds.
# Answers 0 when a message may go now (and takes the slot), else microseconds to wait.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local wait_until = tonumber(redis.call('GET', KEYS[2]) or '0')
if wait_until > now then return wait_until - now end
local interval = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
if tat > now then return tat - now end
redis.call('SET', KEYS[1], tat + interval, 'PX', math.ceil(interval / 1000) + 60000)
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
        self.interval_us = int(1_000_000 * (1 + JITTER_ALLOWANCE) / rate)
        self._acquire = redis.register_script(_ACQUIRE)
        self._hold = redis.register_script(_HOLD)

    def try_acquire(self) -> float:
        """Take a slot now (returns 0) or return the seconds to wait before asking again."""
        micros = int(self._acquire(keys=[self.tat_key, self.wait_key], args=[self.interval_us]))
        return micros / 1_000_000

    def acquire(self, deadline: float | None = None, should_stop=None) -> bool:
        """Block until a slot is ours; False if `deadline` (monotonic) passes or `should_stop()` says so."""
        while True:
            wait = self.try_acquire()
            if wait <= 0:
                return True
            if should_stop is not None and should_stop():
                return False
            nap = min(wait, MAX_NAP)
            if deadline is not None and time.monotonic() + nap > deadline:
                return False
            time.sleep(nap)

    def hold(self, seconds: float) -> None:
        """Make every sender wait `seconds` from now (after a 429), unless a later wait is already set."""
        self._hold(keys=[self.wait_key], args=[max(seconds, 0.0)])
