"""Faults injected into Bot API calls on demand: error, delay, stall and drop.

- ``error``: HTTP 500 ``Internal Server Error``; nothing is delivered.
- ``delay``: the call is carried out, and answered after ``seconds``.
- ``stall``: no answer at all until the client gives up (or ``seconds`` pass, then the
  connection is closed); delivered only when ``deliver`` is true.
- ``drop``: the call is carried out (the message IS delivered and recorded), then the
  connection is closed without any HTTP response: the ambiguous case a sender must survive.

A fault matches one method (case-insensitive) or every method (``"*"``), optionally one token.
It fires with ``probability`` (default 1) and at most ``count`` times (default: unlimited).
"""

import random
from dataclasses import dataclass

KINDS = ("error", "delay", "stall", "drop")


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
    fired: int = 0

    def describe(self) -> dict:
        """The rule as the control API shows it."""
        return {
            "id": self.id,
            "method": self.method,
            "kind": self.kind,
            "probability": self.probability,
            "count": self.count,
            "remaining": None if self.count is None else self.count - self.fired,
            "seconds": self.seconds,
            "deliver": self.deliver,
            "token": self.token,
            "fired": self.fired,
        }


class FaultBook:
    """The fault rules in force and how often each kind fired."""

    def __init__(self) -> None:
        self.rules: list[Fault] = []
        self.fired: dict[str, int] = dict.fromkeys(KINDS, 0)
        self._next_id = 1
        self._random = random.Random()

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
        fault = Fault(
            id=self._next_id,
            method=method.lower(),
            kind=kind,
            probability=probability,
            count=count,
            seconds=seconds,
            deliver=bool(spec.get("deliver", False)),
            token=spec.get("token"),
        )
        self._next_id += 1
        self.rules.append(fault)
        return fault

    def remove(self, fault_id: int) -> bool:
        """Remove one rule by id; False when there is none with that id."""
        kept = [fault for fault in self.rules if fault.id != fault_id]
        removed = len(kept) != len(self.rules)
        self.rules[:] = kept
        return removed

    def clear(self) -> None:
        """Remove every rule (the fired counters stay)."""
        self.rules.clear()

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
