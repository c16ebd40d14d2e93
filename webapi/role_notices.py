"""Role changes the bot announces: the API queues one entry per change, the bot tells the user.

A Redis list shared by the API (producer) and the bot (consumer), so a change made anywhere (the
bot's role dialog, `PATCH /users/{id}` from an API client) reaches the user the same way. The bot
moves an entry to a processing list while it tells the user and drops it after; entries a stopped
bot left there go back to the queue when it starts again (at least once: a crash between the
message and the drop repeats one notice).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from redis import Redis

QUEUE = "rassylka:role-notices"
PROCESSING = "rassylka:role-notices:processing"


@dataclass(frozen=True)
class RoleNotice:
    """A user's new role and the language they use Telegram in."""

    tg_id: int
    role: str
    language_code: str | None

    def encode(self) -> str:
        return json.dumps({"tg_id": self.tg_id, "role": self.role, "language_code": self.language_code})

    @classmethod
    def decode(cls, raw: bytes | str) -> RoleNotice:
        data = json.loads(raw)
        return cls(int(data["tg_id"]), str(data["role"]), data.get("language_code"))


def announce(redis: Redis, notice: RoleNotice) -> None:
    """Queue a notice for the bot."""
    redis.lpush(QUEUE, notice.encode())


def requeue_unfinished(redis: Redis) -> int:
    """Put back what a stopped consumer had taken but not finished; the count moved."""
    moved = 0
    while redis.rpoplpush(PROCESSING, QUEUE) is not None:
        moved += 1
    return moved


def take(redis: Redis, wait_seconds: float = 0) -> tuple[bytes, RoleNotice] | None:
    """The oldest notice, moved to the processing list (with `wait_seconds`, wait for one to come)."""
    if wait_seconds:
        raw = redis.brpoplpush(QUEUE, PROCESSING, timeout=wait_seconds)
    else:
        raw = redis.rpoplpush(QUEUE, PROCESSING)
    return None if raw is None else (raw, RoleNotice.decode(raw))


def done(redis: Redis, raw: bytes) -> None:
    """Drop a notice the bot has handled."""
    redis.lrem(PROCESSING, 1, raw)
