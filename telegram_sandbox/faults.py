"""Faults injected into Bot API calls on demand: error, delay, stall and drop.

- ``error``: an HTTP 5xx; ``status`` 500 (the default: the Bot API's JSON ``Internal Server
  Error``), 502, 503 or 504 (the front end's HTML page, not JSON). Nothing is delivered unless
  ``deliver`` is true: then the call is carried out first (the message IS delivered and recorded)
  and answered with the 5xx all the same.
- ``delay``: the call is carried out, and answered after ``seconds``.
- ``stall``: no answer at all until the client gives up (or ``seconds`` pass, then the
  connection is closed); delivered only when ``deliver`` is true.
- ``drop``: the call is carried out (the message IS delivered and recorded), then the
  connection is closed without any HTTP response: the ambiguous case a sender must survive.

A fault matches one method (case-insensitive) or every method (``"*"``), optionally one token.
It fires with ``probability`` (default 1) and at most ``count`` times (default: unlimited).
With ``duration`` it is in force for that many seconds from when it was added (a monotonic
clock), then leaves the list: ``{"method": "*", "kind": "error", "status": 502, "duration": 20}``
is an outage in which Telegram answers 502 to everything for 20 s.
"""

import random
import time
from dataclasses import dataclass

KINDS = ("error", "delay", "stall", "drop")
ERROR_STATUSES = (500, 502, 503, 504)


@dataclass(slots=True)
class Fault:
    """One fault rule."""

    id: int
    method: str
    kind: str
    probability: float | None = None
    count: int | None = None
    seconds: float = 0.0
    deliver: bool = False
    token: str | None = None
    status: int | None = None
    duration: float | None = None
    expires_at: float | None = None
    fired: int = 0
    delivered: int = 0

    def lapsed(self, now: float) -> bool:
        """Whether the rule's duration is over at monotonic time ``now``."""
        return self.expires_at is not None and now >= self.expires_at

    def describe(self) -> dict:
        """The rule as the control API shows it."""
        expires_in = None
        if self.expires_at is not None:
            expires_in = round(max(0.0, self.expires_at - time.monotonic()), 3)
        return {
            "id": self.id,
            "method": self.method,
            "kind": self.kind,
            "status": self.status,
            "probability": self.probability,
            "count": self.count,
            "remaining": None if self.count is None else self.count - self.fired,
            "seconds": self.seconds,
            "deliver": self.deliver,
            "duration": self.duration,
            "expires_in": expires_in,
            "token": self.token,
            "fired": self.fired,
            "delivered": self.delivered,
        }


def _status(spec: dict, kind: str) -> int | None:
    status = spec.get("status")
    if status is None:
        return 500 if kind == "error" else None
    if kind != "error":
        raise ValueError("status applies to the error kind only")
    if status not in ERROR_STATUSES:
        raise ValueError(f"status must be one of {', '.join(map(str, ERROR_STATUSES))}")
    return int(status)


def _duration(spec: dict) -> float | None:
    duration = spec.get("duration")
    if duration is None:
        return None
    duration = float(duration)
    if not duration > 0:
        raise ValueError("duration must be more than 0 seconds")
    return duration


class FaultBook:
    """The fault rules in force, how often each kind fired and how many faulted calls were delivered."""

    def __init__(self) -> None:
        self._rules: list[Fault] = []
        self._next_lapse: float | None = None
        self.fired: dict[str, int] = dict.fromkeys(KINDS, 0)
        self.delivered: dict[str, int] = dict.fromkeys(KINDS, 0)
        self._next_id = 1
        self._random = random.Random()

    @property
    def rules(self) -> list[Fault]:
        """The rules in force; those whose duration is over are dropped on the way."""
        if self._next_lapse is not None and time.monotonic() >= self._next_lapse:
            now = time.monotonic()
            self._rules[:] = [fault for fault in self._rules if not fault.lapsed(now)]
            self._plan_lapse()
        return self._rules

    def _plan_lapse(self) -> None:
        ends = [fault.expires_at for fault in self._rules if fault.expires_at is not None]
        self._next_lapse = min(ends, default=None)

    def add(self, spec: dict) -> Fault:
        """Add a rule from its control-API description; bad specs raise ValueError."""
        method = spec.get("method")
        kind = spec.get("kind")
        if not isinstance(method, str) or not method:
            raise ValueError("method is required: a Bot API method name or '*'")
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}")
        probability = spec.get("probability")
        if probability is not None:
            probability = float(probability)
            if not 0.0 <= probability <= 1.0:
                raise ValueError("probability must be within 0..1")
        count = spec.get("count")
        if count is not None:
            count = int(count)
            if count < 1:
                raise ValueError("count must be at least 1")
        seconds = float(spec.get("seconds") or 0.0)
        if seconds < 0:
            raise ValueError("seconds must not be negative")
        if kind == "delay" and seconds == 0.0:
            raise ValueError("a delay needs seconds > 0")
        duration = _duration(spec)
        fault = Fault(
            id=self._next_id,
            method=method.lower(),
            kind=kind,
            probability=probability,
            count=count,
            seconds=seconds,
            deliver=bool(spec.get("deliver", False)),
            token=spec.get("token"),
            status=_status(spec, kind),
            duration=duration,
            expires_at=None if duration is None else time.monotonic() + duration,
        )
        self._next_id += 1
        self._rules.append(fault)
        self._plan_lapse()
        return fault

    def remove(self, fault_id: int) -> bool:
        """Remove one rule by id; False when there is none with that id."""
        kept = [fault for fault in self.rules if fault.id != fault_id]
        removed = len(kept) != len(self._rules)
        self._rules[:] = kept
        self._plan_lapse()
        return removed

    def clear(self) -> None:
        """Remove every rule (the fired and delivered counters stay)."""
        self._rules.clear()
        self._next_lapse = None

    def pick(self, method: str, token: str) -> Fault | None:
        """The first rule that fires for this call, counted as fired; None when none does."""
        for fault in self.rules:
            if fault.method != "*" and fault.method != method:
                continue
            if fault.token is not None and fault.token != token:
                continue
            if fault.count is not None and fault.fired >= fault.count:
                continue
            if fault.probability is not None and self._random.random() >= fault.probability:
                continue
            fault.fired += 1
            self.fired[fault.kind] += 1
            return fault
        return None

    def count_delivered(self, fault: Fault) -> None:
        """Count a call the fault let through to be carried out (before answering in its own way)."""
        fault.delivered += 1
        self.delivered[fault.kind] += 1
