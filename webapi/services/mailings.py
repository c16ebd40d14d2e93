"""Creating, reading, changing and deleting mailings, and reading their delivery ledger."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from webapi import message_rules
from webapi.auth import Actor
from webapi.errors import ApiError
from webapi.extensions import db
from webapi.models import DELIVERY_STATUSES, Delivery, Mailing, MailingButton, utcnow
from webapi.services import scheduling
from webapi.services.audit import record

EDITABLE_FIELDS = ("name", "text", "send_at", "buttons", "media")


def check_draft(draft: dict, partial: bool = False, now: datetime | None = None) -> dict[str, list[str]]:
    """The message rules' verdict on a draft: {field: [messages]}, empty when valid."""
    return message_rules.validate_draft(draft, now or utcnow(), partial=partial)


def _ensure_valid(draft: dict, partial: bool = False) -> None:
    errors = check_draft(draft, partial=partial)
    if errors:
        raise ApiError(422, "The mailing is not valid; see details.", errors)


def get_mailing(mailing_id: int, lock: bool = False) -> Mailing:
    """The mailing, or 404."""
    mailing = db.session.get(Mailing, mailing_id, with_for_update=lock)
    if mailing is None:
        raise ApiError(404, f"No mailing with id {mailing_id}.")
    return mailing


def _apply(mailing: Mailing, draft: dict) -> None:
    for field in ("name", "text", "send_at"):
        if field in draft:
            setattr(mailing, field, draft[field])
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


def create_mailing(actor: Actor, draft: dict) -> Mailing:
    """Validate and save a scheduled mailing."""
    draft = {"buttons": [], "media": None, **draft}
    _ensure_valid(draft)
    mailing = Mailing(status="scheduled", author_tg_id=actor.tg_id, created_by=actor.subject, version=1)
    _apply(mailing, draft)
    db.session.add(mailing)
    db.session.flush()
    record(
        actor,
        "mailing.created",
        "mailing",
        mailing.id,
        name=mailing.name,
        send_at=mailing.send_at.isoformat(),
    )
    db.session.commit()
    scheduling.schedule_start(mailing.id, mailing.send_at)
    return mailing


def _require_scheduled(mailing: Mailing, verb: str) -> None:
    if mailing.status != "scheduled":
        db.session.rollback()
        raise ApiError(
            409,
            f"Only a scheduled mailing can be {verb}; this one is {mailing.status}.",
            {"status": mailing.status},
            code="wrong_status",
        )


def update_mailing(actor: Actor, mailing_id: int, version: int, changes: dict) -> Mailing:
    """Change a scheduled mailing if `version` is still current (optimistic concurrency)."""
    mailing = get_mailing(mailing_id, lock=True)
    _require_scheduled(mailing, "changed")
    if mailing.version != version:
        current = mailing.version
        db.session.rollback()
        raise ApiError(
            409,
            "Someone else changed this mailing: reload it and apply your change again.",
            {"current_version": current},
            code="version_conflict",
        )
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
        raise ApiError(422, "The mailing is not valid; see details.", errors)
    _apply(mailing, changes)
    mailing.version += 1
    record(actor, "mailing.updated", "mailing", mailing.id, fields=sorted(changes), version=mailing.version)
    db.session.commit()
    if "send_at" in changes:
        scheduling.schedule_start(mailing.id, mailing.send_at)
    return mailing


def delete_mailing(actor: Actor, mailing_id: int) -> None:
    """Delete a mailing that has not started."""
    mailing = get_mailing(mailing_id, lock=True)
    _require_scheduled(mailing, "deleted")
    record(actor, "mailing.deleted", "mailing", mailing.id, name=mailing.name)
    db.session.delete(mailing)
    db.session.commit()
    scheduling.unschedule_start(mailing_id)


def list_mailings(statuses: list[str], offset: int, limit: int) -> tuple[list[Mailing], int]:
    """A page of mailings ordered by send time, with the total, so a client can jump to the N-th."""
    query = select(Mailing)
    if statuses:
        query = query.where(Mailing.status.in_(statuses))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    page = query.order_by(Mailing.send_at, Mailing.id).offset(offset).limit(limit)
    return list(db.session.scalars(page).all()), total


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
