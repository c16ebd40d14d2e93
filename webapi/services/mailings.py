"""Creating, reading, changing and deleting mailings, and reading their delivery ledger."""

from __future__ import annotations

import hashlib
import itertools
import json
from datetime import UTC, datetime

from sqlalchemy import bindparam, delete, func, select, true
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.exc import IntegrityError

from webapi import message_rules, segments
from webapi.domain import (
    Actor,
    IdempotencyKeyReused,
    InvalidDraft,
    MailingNotFound,
    VersionConflict,
    WrongStatus,
)
from webapi.extensions import db
from webapi.models import DELIVERY_STATUSES, Delivery, Mailing, MailingButton, approval_view, utcnow
from webapi.problems import Problem
from webapi.services import canary, scheduling
from webapi.services.audit import record

EDITABLE_FIELDS = ("name", "text", "send_at", "buttons", "media", "segment", "canary")


def approval():
    """The approval rules (webapi/services/approval.py), imported late: they read the ledger, which
    imports this module."""
    from webapi.services import approval

    return approval


def check_draft(draft: dict, partial: bool = False, now: datetime | None = None) -> dict[str, list[Problem]]:
    """The message rules' verdict on a draft: {field: [problems]}, empty when valid."""
    return message_rules.validate_draft(draft, now or utcnow(), partial=partial)


def read_text(draft: dict) -> dict:
    """The draft without `text_format`, its text made Telegram HTML as that format says (HTML by default)."""
    draft = dict(draft)
    text_format = draft.pop("text_format", "html")
    if isinstance(draft.get("text"), str):
        draft["text"], _, _ = message_rules.as_html(draft["text"], text_format)
    return draft


def _ensure_valid(draft: dict, partial: bool = False) -> None:
    errors = check_draft(draft, partial=partial)
    if errors:
        raise InvalidDraft(errors)


def get_mailing(mailing_id: int, lock: bool = False) -> Mailing:
    """The mailing, or `MailingNotFound`."""
    mailing = db.session.get(Mailing, mailing_id, with_for_update=lock)
    if mailing is None:
        raise MailingNotFound(mailing_id)
    return mailing


def _apply(mailing: Mailing, draft: dict) -> None:
    for field in ("name", "text", "send_at"):
        if field in draft:
            setattr(mailing, field, draft[field])
    if "segment" in draft:
        segment = segments.normalized(draft["segment"])
        if segment != mailing.segment and mailing.fanout_from is not None:
            # Its audience went in ahead of time for the old segment: the start fans it out anew.
            db.session.execute(delete(Delivery).where(Delivery.mailing_id == mailing.id))
            mailing.fanout_from = mailing.fanout_cursor = None
        mailing.segment = segment
    if "canary" in draft:
        chosen = canary.normalized(draft["canary"])
        if chosen != mailing.canary and mailing.fanout_from is not None:
            # Its sample was chosen ahead of time with the old settings: the start fans it out anew.
            db.session.execute(delete(Delivery).where(Delivery.mailing_id == mailing.id))
            mailing.fanout_from = mailing.fanout_cursor = None
        mailing.canary = chosen
    if "media" in draft:
        media = draft["media"]
        mailing.media_type = media["type"] if media else None
        mailing.media_file_id = media["file_id"] if media else None
    if "buttons" in draft:
        if mailing.id is not None:
            # Old rows must be gone before new ones take their positions (unique per mailing).
            mailing.buttons.clear()
            db.session.flush()
        mailing.buttons = [
            MailingButton(position=index, text=button["text"], url=button["url"])
            for index, button in enumerate(draft["buttons"])
        ]


def create_mailing(
    actor: Actor, draft: dict, idempotency_key: str | None = None, copy_of: int | None = None
) -> tuple[Mailing, bool]:
    """Validate and save a scheduled mailing; returns it and whether it is new.

    With an `idempotency_key`, a repeat of the same request by the same caller (say, after its
    answer was lost) returns the mailing the first one made instead of a second mailing; the same
    key with a different request is refused with the first mailing's id. `copy_of` names the
    mailing the draft was copied from (audited as `mailing.duplicated`).
    """
    draft = {"buttons": [], "media": None, **read_text(draft)}
    scoped = request_hash = None
    if idempotency_key is not None:
        scoped, request_hash = _scoped_key(actor, idempotency_key), _fingerprint(draft)
        existing = _by_key(scoped)
        if existing is not None:
            return _replayed(existing, request_hash), False
    _ensure_valid(draft)
    mailing = Mailing(
        status="scheduled",
        author_tg_id=actor.tg_id,
        created_by=actor.subject,
        version=1,
        idempotency_key=scoped,
        request_hash=request_hash,
    )
    _apply(mailing, draft)
    ask = approval().settle(actor, mailing)
    db.session.add(mailing)
    try:
        db.session.flush()
    except IntegrityError:
        # The same key in a request running alongside this one: its mailing is the one.
        db.session.rollback()
        existing = _by_key(scoped) if scoped is not None else None
        if existing is None:
            raise
        return _replayed(existing, request_hash), False
    copied = {} if copy_of is None else {"source_id": copy_of}
    record(
        actor,
        "mailing.created" if copy_of is None else "mailing.duplicated",
        "mailing",
        mailing.id,
        name=mailing.name,
        send_at=mailing.send_at.isoformat(),
        **copied,
    )
    db.session.commit()
    scheduling.schedule_start(mailing.id, mailing.send_at)
    if ask:
        scheduling.enqueue_approval_request(mailing.id)
    return mailing, True


def duplicate_mailing(
    actor: Actor, mailing_id: int, changes: dict, idempotency_key: str | None = None
) -> tuple[Mailing, bool]:
    """A new scheduled mailing with the content of `mailing_id` (in any status): name, HTML text,
    buttons in their order, media and segment, with `changes` (its own `send_at`, maybe a name) over them.

    The copy never takes the original's time: that has passed for a sent mailing, and for a
    scheduled one it would send the same message twice at once; the caller gives the time.
    """
    source = get_mailing(mailing_id)
    draft = {
        "name": source.name,
        "text": source.text,
        "buttons": [{"text": b.text, "url": b.url} for b in source.buttons],
        "media": source.media,
        "segment": source.segment,
        **changes,
    }
    db.session.rollback()  # nothing read is kept locked or stale across the create
    return create_mailing(actor, draft, idempotency_key, copy_of=mailing_id)


def _scoped_key(actor: Actor, key: str) -> str:
    # Keys belong to their caller (token subject and, for the bot, the acting user).
    return hashlib.sha256(f"{actor.subject}\0{actor.tg_id or ''}\0{key}".encode()).hexdigest()


def _fingerprint(draft: dict) -> str:
    def plain(value):
        if isinstance(value, datetime):
            return value.astimezone(UTC).isoformat()
        raise TypeError(type(value).__name__)

    canonical = json.dumps(draft, sort_keys=True, ensure_ascii=False, default=plain)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _by_key(scoped: str) -> Mailing | None:
    return db.session.execute(select(Mailing).where(Mailing.idempotency_key == scoped)).scalar_one_or_none()


def _replayed(mailing: Mailing, request_hash: str) -> Mailing:
    if mailing.request_hash != request_hash:
        raise IdempotencyKeyReused(mailing.id)
    return mailing


def _require_scheduled(mailing: Mailing, verb: str) -> None:
    if mailing.status != "scheduled":
        db.session.rollback()
        raise WrongStatus(mailing.status, "scheduled", verb)


def update_mailing(actor: Actor, mailing_id: int, version: int, changes: dict) -> Mailing:
    """Change a scheduled mailing if `version` is still current (optimistic concurrency)."""
    changes = read_text(changes)
    mailing = get_mailing(mailing_id, lock=True)
    _require_scheduled(mailing, "changed")
    if mailing.version != version:
        current = mailing.version
        db.session.rollback()
        raise VersionConflict(current)
    # send_at is checked only when it changes; the other fields are checked together, as sent.
    merged = {
        "name": mailing.name,
        "text": mailing.text,
        "media": mailing.media,
        "buttons": [{"text": b.text, "url": b.url} for b in mailing.buttons],
        **changes,
    }
    errors = check_draft(merged, partial=True)
    if errors:
        db.session.rollback()
        raise InvalidDraft(errors)
    approved = approval().approved_content(mailing)
    _apply(mailing, changes)
    mailing.version += 1
    record(actor, "mailing.updated", "mailing", mailing.id, fields=sorted(changes), version=mailing.version)
    ask = approval().settle(actor, mailing, approved)
    db.session.commit()
    if "send_at" in changes:
        scheduling.schedule_start(mailing.id, mailing.send_at)
    if ask:
        scheduling.enqueue_approval_request(mailing.id)
    return mailing


def delete_mailing(actor: Actor, mailing_id: int) -> None:
    """Delete a mailing that has not started."""
    mailing = get_mailing(mailing_id, lock=True)
    _require_scheduled(mailing, "deleted")
    record(actor, "mailing.deleted", "mailing", mailing.id, name=mailing.name)
    db.session.delete(mailing)
    db.session.commit()
    scheduling.unschedule_start(mailing_id)


LIST_ORDERS = ("send_at", "-send_at")


def _list_statements() -> dict:
    """The list's statement and its count alone, by (filtered by status?, order)."""
    mailings, buttons = Mailing.__table__, MailingButton.__table__
    statuses = mailings.c.status.in_(bindparam("statuses", expanding=True))
    statements = {}
    for (filtered, chosen), order in itertools.product(((False, true()), (True, statuses)), LIST_ORDERS):
        # Newest first for a history: the same index, read backwards.
        keys = (
            (mailings.c.send_at.desc(), mailings.c.id.desc())
            if order[0] == "-"
            else (mailings.c.send_at, mailings.c.id)
        )
        total = select(func.count()).select_from(mailings).where(chosen)
        page = (
            select(mailings, total.scalar_subquery().label("total"))
            .where(chosen)
            .order_by(*keys)
            .offset(bindparam("offset"))
            .limit(bindparam("limit"))
            .subquery()
        )
        button = func.json_build_object("text", buttons.c.text, "url", buttons.c.url)
        page_buttons = (
            select(func.json_agg(aggregate_order_by(button, buttons.c.position)))
            .where(buttons.c.mailing_id == page.c.id)
            .scalar_subquery()
        )
        outer = (page.c.send_at.desc(), page.c.id.desc()) if order[0] == "-" else (page.c.send_at, page.c.id)
        listed = select(page, page_buttons.label("buttons")).order_by(*outer)
        statements[filtered, order] = (listed, total)
    return statements


# Built once: constructing these per request cost more than running them.
_LISTS = _list_statements()


def list_mailings(
    statuses: list[str], offset: int, limit: int, order: str = "send_at"
) -> tuple[list[dict], int]:
    """A page of mailings ordered by send time (`-send_at`: newest first), with the total, so a client
    can jump to the N-th.

    Each mailing is a dict of its columns plus `buttons` and `media` as the API shows them.
    """
    # The API's busiest read: one statement for the page, its buttons and the total, read as plain
    # rows (no ORM objects, no second query for the buttons, no second round trip for the count).
    listed, count = _LISTS[bool(statuses), order]
    params = {"statuses": statuses} if statuses else {}
    rows = db.session.execute(listed, {**params, "offset": offset, "limit": limit}).all()
    if rows:
        return [_listed(row._asdict()) for row in rows], rows[0].total
    # Past the end (or with nothing to list) no row carries the total.
    return [], db.session.scalar(count, params) if offset else 0


def _listed(item: dict) -> dict:
    del item["total"]
    item["buttons"] = item["buttons"] or []
    item["media"] = (
        None if item["media_type"] is None else {"type": item["media_type"], "file_id": item["media_file_id"]}
    )
    item["approval"] = approval_view(item["approval_required"], item["approved_by"], item["approved_at"])
    return item


def delivery_counts(mailing_id: int) -> dict[str, int]:
    """Deliveries of a mailing counted by status, every status present."""
    rows = db.session.execute(
        select(Delivery.status, func.count())
        .where(Delivery.mailing_id == mailing_id)
        .group_by(Delivery.status)
    ).all()
    counts = dict.fromkeys(DELIVERY_STATUSES, 0)
    counts.update({status: count for status, count in rows})
    return counts


def list_deliveries(
    mailing_id: int, status: str | None, offset: int, limit: int
) -> tuple[list[Delivery], int]:
    """A page of a mailing's ledger rows, optionally by status."""
    query = select(Delivery).where(Delivery.mailing_id == mailing_id)
    if status:
        query = query.where(Delivery.status == status)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.scalars(query.order_by(Delivery.id).offset(offset).limit(limit)).all()
    return list(rows), total
