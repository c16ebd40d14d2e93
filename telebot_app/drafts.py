"""Mailing drafts in Redis, one per admin: they outlive a restart of the bot until saved or discarded."""

from __future__ import annotations

import json
import secrets

from redis import Redis

DRAFT_TTL_SECONDS = 30 * 24 * 3600


def new_draft() -> dict:
    """An empty draft with a fresh id; buttons of old drafts' menus carry their own id and go stale."""
    return {
        "id": secrets.token_hex(3),
        "mailing_id": None,
        "version": None,
        "original_send_at": None,
        "name": None,
        "text": None,
        "send_at": None,
        "send_now": False,
        "buttons": [],
        "media": None,
        "segment": None,
        "canary": None,
        "pending_button": None,
    }


def draft_from_mailing(mailing: dict) -> dict:
    """A draft that edits a saved mailing."""
    draft = new_draft()
    draft.update(
        mailing_id=mailing["id"],
        version=mailing["version"],
        original_send_at=mailing["send_at"],
        name=mailing["name"],
        text=mailing["text"],
        send_at=mailing["send_at"],
        buttons=[{"text": b["text"], "url": b["url"]} for b in mailing.get("buttons") or []],
        media=mailing.get("media"),
        segment=mailing.get("segment"),
        canary=mailing.get("canary"),
    )
    return draft


def draft_copy_of(mailing: dict) -> dict:
    """A new draft with a saved mailing's content, audience and buttons, and no send time yet (the
    original's has passed, or would send the same message twice)."""
    draft = draft_from_mailing(mailing)
    draft.update(mailing_id=None, version=None, original_send_at=None, send_at=None, copy_of=mailing["id"])
    return draft


def has_schedule(draft: dict) -> bool:
    """True when the draft has a send time (or is to go now)."""
    return bool(draft.get("send_at") or draft.get("send_now"))


def message_part(draft: dict) -> dict:
    """What subscribers see: text, buttons and media, as the API's test send takes it."""
    return {
        "text": draft.get("text") or "",
        "buttons": draft.get("buttons") or [],
        "media": draft.get("media"),
    }


class DraftStore:
    """JSON drafts under one key per Telegram user."""

    def __init__(self, redis: Redis, prefix: str = "rassylka:bot:draft") -> None:
        self.redis = redis
        self.prefix = prefix

    def _key(self, tg_id: int) -> str:
        return f"{self.prefix}:{int(tg_id)}"

    def get(self, tg_id: int) -> dict | None:
        """The user's draft, or None."""
        raw = self.redis.get(self._key(tg_id))
        return json.loads(raw) if raw else None

    def put(self, tg_id: int, draft: dict) -> None:
        """Store (replace) the user's draft."""
        self.redis.set(self._key(tg_id), json.dumps(draft, ensure_ascii=False), ex=DRAFT_TTL_SECONDS)

    def delete(self, tg_id: int) -> None:
        """Forget the user's draft."""
        self.redis.delete(self._key(tg_id))


class BrowserMemory:
    """Which preview messages the mailing browser showed last, so paging can tidy them away."""

    def __init__(self, redis: Redis, prefix: str = "rassylka:bot:browser") -> None:
        self.redis = redis
        self.prefix = prefix

    def take(self, tg_id: int) -> list[int]:
        """The message ids shown last (and forget them)."""
        key = f"{self.prefix}:{int(tg_id)}"
        pipe = self.redis.pipeline()
        pipe.get(key)
        pipe.delete(key)
        raw, _ = pipe.execute()
        return json.loads(raw) if raw else []

    def remember(self, tg_id: int, message_ids: list[int]) -> None:
        """Remember the message ids just shown."""
        self.redis.set(f"{self.prefix}:{int(tg_id)}", json.dumps(message_ids), ex=DRAFT_TTL_SECONDS)


class MenuMemory:
    """Which message shows a user's constructor menu, so that only one menu's buttons stay live."""

    def __init__(self, redis: Redis, prefix: str = "rassylka:bot:menu") -> None:
        self.redis = redis
        self.prefix = prefix

    def swap(self, tg_id: int, message_id: int) -> int | None:
        """Remember `message_id` as the menu; return the one remembered before (if any)."""
        earlier = self.redis.set(f"{self.prefix}:{int(tg_id)}", message_id, ex=DRAFT_TTL_SECONDS, get=True)
        return int(earlier) if earlier else None
