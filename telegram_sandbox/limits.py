"""Telegram's flood limits per bot token, and the counters that show how a sender behaved.

Two token buckets guard every sending request of a token: a global one (30 messages/s,
burst 10) and one per chat (1 message/s, burst 3; groups 20 per minute, burst 3). A bucket of
rate R and burst B lets a sender that paces itself at R never see a 429, and lets at most
B + R messages through in any one-second window. A request that finds a bucket empty gets
``429 Too Many Requests: retry after N`` with N = ceil(seconds until it would pass), and the
token is then told to wait: every sending request before that moment is a *violation* and gets
another 429 (the wait is not extended). ``wait_scope`` "chat" limits that wait to the chat that
overflowed; "token" (the default) applies it to all chats of the token.
"""

import math
import time
from collections import deque
from dataclasses import asdict, dataclass, field

DEFAULTS = {
    "enabled": True,
    "global_rate": 30.0,
    "global_burst": 10.0,
    "per_chat_rate": 1.0,
    "per_chat_burst": 3.0,
    "group_rate": 20 / 60,
    "group_burst": 3.0,
    "wait_scope": "token",
}


@dataclass(slots=True)
class LimitConfig:
    """Rates in messages per second, bursts in messages."""

    enabled: bool = True
    global_rate: float = 30.0
    global_burst: float = 10.0
    per_chat_rate: float = 1.0
    per_chat_burst: float = 3.0
    group_rate: float = 20 / 60
    group_burst: float = 3.0
    wait_scope: str = "token"

    def updated(self, changes: dict) -> "LimitConfig":
        """A copy with ``changes`` applied; unknown keys or bad values raise ValueError."""
        values = asdict(self)
        for key, value in changes.items():
            if key not in values:
                raise ValueError(f"unknown limit setting {key!r}")
            if key == "enabled":
                values[key] = bool(value)
            elif key == "wait_scope":
                if value not in ("token", "chat"):
                    raise ValueError("wait_scope must be 'token' or 'chat'")
                values[key] = value
            else:
                number = float(value)
                if number <= 0:
                    raise ValueError(f"{key} must be positive")
                values[key] = number
        return LimitConfig(**values)


class Bucket:
    """A token bucket; ``take`` answers 0 when a message may pass, else seconds to wait."""

    __slots__ = ("tokens", "stamp")

    def __init__(self, burst: float, now: float) -> None:
        self.tokens = burst
        self.stamp = now

    def wait(self, rate: float, burst: float, now: float) -> float:
        """Refill, then return 0 if one token is there, else seconds until it is."""
        tokens = min(burst, self.tokens + (now - self.stamp) * rate)
        self.tokens = tokens
        self.stamp = now
        return 0.0 if tokens >= 1.0 else (1.0 - tokens) / rate


@dataclass(slots=True)
class ChatCounters:
    """Counters of one chat of one token."""

    sent: int = 0
    too_many_requests: int = 0


@dataclass(slots=True)
class TokenCounters:
    """Counters of one token."""

    sent: int = 0
    too_many_requests: int = 0
    violations: int = 0
    max_in_sliding_second: int = 0
    per_second: dict[int, int] = field(default_factory=dict)
    window: deque = field(default_factory=deque)
    chats: dict[int, ChatCounters] = field(default_factory=dict)
    faults: dict[str, int] = field(default_factory=dict)
    requests: dict[str, int] = field(default_factory=dict)

    def chat(self, chat_id: int) -> ChatCounters:
        """Counters of one chat, created on first use."""
        counters = self.chats.get(chat_id)
        if counters is None:
            counters = self.chats[chat_id] = ChatCounters()
        return counters

    def report(self) -> dict:
        """The counters as the control API shows them."""
        return {
            "sent": self.sent,
            "too_many_requests": self.too_many_requests,
            "violations": self.violations,
            "max_in_any_second": max(self.per_second.values(), default=0),
            "max_in_sliding_second": self.max_in_sliding_second,
            "per_second": {str(second): count for second, count in sorted(self.per_second.items())},
            "faults": dict(self.faults),
            "requests": dict(self.requests),
            "chats": {
                str(chat_id): {"sent": c.sent, "too_many_requests": c.too_many_requests}
                for chat_id, c in self.chats.items()
            },
        }


class RateLimiter:
    """Flood control and send counters for every token."""

    def __init__(self, enabled: bool = True) -> None:
        self.default = LimitConfig(**{**DEFAULTS, "enabled": enabled})
        self.per_token: dict[str, LimitConfig] = {}
        self.counters: dict[str, TokenCounters] = {}
        self._global: dict[str, Bucket] = {}
        self._chats: dict[tuple[str, int], Bucket] = {}
        self._wait_until: dict[str, float] = {}
        self._chat_wait_until: dict[tuple[str, int], float] = {}

    def config(self, token: str) -> LimitConfig:
        """The limits in force for a token."""
        return self.per_token.get(token, self.default)

    def configure(self, changes: dict, token: str | None = None) -> LimitConfig:
        """Change the default limits, or one token's; buckets start full again."""
        if token is None:
            self.default = self.default.updated(changes)
            result = self.default
        else:
            result = self.per_token[token] = self.config(token).updated(changes)
        self._restart_buckets()
        return result

    def forget(self, token: str) -> None:
        """Drop a token's own limits, so the default applies to it again; buckets start full."""
        self.per_token.pop(token, None)
        self._restart_buckets()

    def _restart_buckets(self) -> None:
        self._global.clear()
        self._chats.clear()
        self._wait_until.clear()
        self._chat_wait_until.clear()

    def token_counters(self, token: str) -> TokenCounters:
        """Counters of a token, created on first use."""
        counters = self.counters.get(token)
        if counters is None:
            counters = self.counters[token] = TokenCounters()
        return counters

    def admit(self, token: str, chat_id: int, paid: bool = False) -> int:
        """Take a send slot: 0 when the message may go, else retry_after seconds (a 429).

        A paid broadcast (``allow_paid_broadcast``) skips the global bucket, as Telegram lets
        it go up to 1,000 messages/s; the per-chat bucket still applies.
        """
        config = self.per_token.get(token, self.default)
        if not config.enabled:
            return 0
        now = time.monotonic()
        counters = self.token_counters(token)
        key = (token, chat_id)
        until = self._wait_until.get(token, 0.0)
        if config.wait_scope == "chat":
            until = self._chat_wait_until.get(key, 0.0)
        if now < until:
            counters.violations += 1
            counters.too_many_requests += 1
            counters.chat(chat_id).too_many_requests += 1
            return max(1, math.ceil(until - now))
        bucket = self._global.get(token)
        if bucket is None:
            bucket = self._global[token] = Bucket(config.global_burst, now)
        chat_bucket = self._chats.get(key)
        if chat_id < 0:
            rate, burst = min(config.group_rate, config.per_chat_rate), config.group_burst
        else:
            rate, burst = config.per_chat_rate, config.per_chat_burst
        if chat_bucket is None:
            chat_bucket = self._chats[key] = Bucket(burst, now)
        global_wait = 0.0 if paid else bucket.wait(config.global_rate, config.global_burst, now)
        wait = max(global_wait, chat_bucket.wait(rate, burst, now))
        if wait == 0.0:
            if not paid:
                bucket.tokens -= 1.0
            chat_bucket.tokens -= 1.0
            return 0
        retry_after = max(1, math.ceil(wait))
        if config.wait_scope == "chat":
            self._chat_wait_until[key] = now + retry_after
        else:
            self._wait_until[token] = now + retry_after
        counters.too_many_requests += 1
        counters.chat(chat_id).too_many_requests += 1
        return retry_after

    def record_sent(self, token: str, chat_id: int) -> None:
        """Count a delivered message: totals, per chat, per Unix second and sliding second."""
        counters = self.counters.get(token)
        if counters is None:
            counters = self.token_counters(token)
        counters.sent += 1
        chat = counters.chats.get(chat_id)
        if chat is None:
            chat = counters.chat(chat_id)
        chat.sent += 1
        now = time.time()
        second = int(now)
        counters.per_second[second] = counters.per_second.get(second, 0) + 1
        window = counters.window
        window.append(now)
        horizon = now - 1.0
        while window[0] <= horizon:
            window.popleft()
        if len(window) > counters.max_in_sliding_second:
            counters.max_in_sliding_second = len(window)

    def count_fault(self, token: str, kind: str) -> None:
        """Count a fault fired on a token's request."""
        faults = self.token_counters(token).faults
        faults[kind] = faults.get(kind, 0) + 1

    def count_request(self, token: str, method: str) -> None:
        """Count a Bot API request by method name."""
        requests = self.token_counters(token).requests
        requests[method] = requests.get(method, 0) + 1
