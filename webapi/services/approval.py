"""Two-person approval: a mailing to more than APPROVAL_THRESHOLD recipients starts only once a second
admin or moderator, not its author, has approved it.

Whether a mailing needs it is decided each time what it sends, when or to whom is saved (created, or
changed in text, time, audience, buttons or media), from its audience at that moment; such a change
also takes back an approval given before, so what starts is what was approved. The start itself
(`ledger.start`) refuses a mailing still waiting, whoever tries: the scheduler's job, the drivers,
the reconcile job or send-now. Approving a mailing whose time has come starts it at once.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import text

from webapi.domain import (
    Actor,
    ApprovalByAuthor,
    ApprovalNotRequired,
    MailingNotFound,
    VersionConflict,
    WrongStatus,
)
from webapi.extensions import db
from webapi.models import Mailing, utcnow
from webapi.services import ledger, scheduling
from webapi.services.audit import record

# A change to any of these needs the approval again.
APPROVED_FIELDS = ("text", "send_at", "segment", "buttons", "media")


def threshold() -> int | None:
    """APPROVAL_THRESHOLD: a mailing to more recipients than this needs approval; None: none does."""
    return current_app.config["SETTINGS"].approval_threshold


def required_for(segment: dict | None) -> bool:
    """Whether a mailing to this segment (None: everyone) needs approval now."""
    limit = threshold()
    return limit is not None and ledger.audience_size(segment)[0] > limit


def approved_content(mailing: Mailing) -> tuple:
    """What an approval covers, to tell whether a save changed it."""
    return (
        mailing.text,
        mailing.send_at,
        mailing.segment,
        [(button.text, button.url) for button in mailing.buttons],
        mailing.media,
    )


def waiting(mailing: Mailing) -> bool:
    """A scheduled mailing that may not start before someone approves it."""
    return mailing.status == "scheduled" and mailing.approval_required and mailing.approved_at is None


def settle(actor: Actor, mailing: Mailing, before: tuple | None = None) -> bool:
    """After a save (in its transaction): decide whether the mailing needs approval and, if what it sends,
    when or to whom changed, take back an approval given before (audited). `before` is its
    `approved_content` before the change; None for a new mailing. True when approvers are to be asked.
    """
    if before is not None and before == approved_content(mailing):
        return False
    if mailing.approved_at is not None:
        record(
            actor,
            "mailing.approval_reset",
            "mailing",
            mailing.id,
            approved_by=mailing.approved_by,
            approved_at=mailing.approved_at.isoformat(),
        )
    mailing.approval_required = required_for(mailing.segment)
    mailing.approved_by = mailing.approved_at = None
    mailing.approval_asked_at = mailing.approval_reminded_at = None
    return mailing.approval_required


def is_author(actor: Actor, mailing: Mailing) -> bool:
    """Whether `actor` wrote the mailing: the same Telegram user, or the same API client."""
    if actor.tg_id is not None:
        return actor.tg_id == mailing.author_tg_id
    return mailing.author_tg_id is None and actor.subject == mailing.created_by


def approve(actor: Actor, mailing_id: int, version: int | None = None) -> Mailing:
    """Approve a scheduled mailing that needs it, as someone other than its author (again: no change).

    With `version`, only that version of it (a stale one answers VersionConflict). A mailing whose
    time has come starts at once.
    """
    mailing = db.session.get(Mailing, mailing_id, with_for_update=True)
    if mailing is None:
        raise MailingNotFound(mailing_id)
    refusal = None
    if mailing.status != "scheduled":
        refusal = WrongStatus(mailing.status, "scheduled", "approved")
    elif version is not None and version != mailing.version:
        refusal = VersionConflict(mailing.version)
    elif not mailing.approval_required:
        refusal = ApprovalNotRequired()
    elif is_author(actor, mailing):
        refusal = ApprovalByAuthor()
    if refusal is not None:
        db.session.rollback()
        raise refusal
    if mailing.approved_at is None:
        mailing.approved_at, mailing.approved_by = utcnow(), actor.tg_id
        record(actor, "mailing.approved", "mailing", mailing.id, version=mailing.version)
    send_at = mailing.send_at
    due = send_at <= utcnow()
    db.session.commit()
    if due and ledger.start(mailing_id, first_chunk=0):
        # The drivers fan its audience out, as after a send-now: the answer does not wait for it.
        record(actor, "mailing.started", "mailing", mailing_id, by="approval")
        db.session.commit()
        scheduling.unschedule_start(mailing_id)
        scheduling.enqueue_after_start(mailing_id)
    else:
        db.session.rollback()
        if not due:
            # Its start job may have fired (2 s ahead) while it waited and found nothing to start:
            # put it back, so it starts on the dot.
            scheduling.schedule_start(mailing_id, send_at)
    db.session.expire_all()
    return db.session.get(Mailing, mailing_id)


# Approvers are reminded of a due mailing waiting for approval (and its author told) when it comes due,
# within the reconcile interval, then again every so often while it waits.
REMIND_EVERY_SECONDS = 30 * 60

# A mailing waits for approval while `status = 'scheduled' AND approval_required AND approved_at IS NULL`;
# its reminder is due once its time has come and the last one is `:every` seconds old.
_CLAIM_REQUEST = (
    "UPDATE mailings SET approval_asked_at = now() "
    "WHERE id = :m AND status = 'scheduled' AND approval_required AND approved_at IS NULL"
    "  AND approval_asked_at IS NULL RETURNING id"
)
_CLAIM_REMINDER = (
    "UPDATE mailings SET approval_reminded_at = now() "
    "WHERE id = :m AND status = 'scheduled' AND approval_required AND approved_at IS NULL"
    "  AND send_at <= now()"
    "  AND (approval_reminded_at IS NULL OR approval_reminded_at <= now() - make_interval(secs => :every)) "
    "RETURNING id"
)
_UNASKED = (
    "SELECT id FROM mailings WHERE status = 'scheduled' AND approval_required AND approved_at IS NULL"
    "  AND approval_asked_at IS NULL ORDER BY id"
)
_REMINDERS = (
    "SELECT id FROM mailings "
    "WHERE status = 'scheduled' AND approval_required AND approved_at IS NULL AND send_at <= now()"
    "  AND (approval_reminded_at IS NULL OR approval_reminded_at <= now() - make_interval(secs => :every)) "
    "ORDER BY send_at, id"
)


def claim_request(mailing_id: int) -> bool:
    """Take the turn to ask the approvers of a mailing saved since they were last asked (one job does)."""
    claimed = db.session.execute(text(_CLAIM_REQUEST), {"m": mailing_id}).scalar()
    db.session.commit()
    return claimed is not None


def claim_reminder(mailing_id: int, every: float = REMIND_EVERY_SECONDS) -> bool:
    """Take the turn to remind everyone of a due mailing still waiting for approval, at most once `every`
    seconds, however many jobs try at once."""
    claimed = db.session.execute(text(_CLAIM_REMINDER), {"m": mailing_id, "every": every}).scalar()
    db.session.commit()
    return claimed is not None


def unasked_ids() -> list[int]:
    """Mailings waiting for approval whose approvers were not asked since the last save."""
    return [row[0] for row in db.session.execute(text(_UNASKED))]


def reminder_due_ids(every: float = REMIND_EVERY_SECONDS) -> list[int]:
    """Due mailings waiting for approval whose reminder is due."""
    return [row[0] for row in db.session.execute(text(_REMINDERS), {"every": every})]
