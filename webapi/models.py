"""The data model: users, mailings with their buttons, the delivery ledger, audit log, API clients."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    Time,
    UniqueConstraint,
    false,
    func,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapi.extensions import db
from webapi.message_rules import MEDIA_TYPES

ROLES = ("subscriber", "moderator", "admin")
USER_STATUSES = ("active", "unsubscribed", "blocked")
MAILING_STATUSES = ("scheduled", "sending", "paused", "finished", "cancelled")
DELIVERY_STATUSES = ("pending", "sending", "sent", "blocked", "failed", "unknown", "cancelled")
FINAL_MAILING_STATUSES = ("finished", "cancelled")
FINAL_DELIVERY_STATUSES = ("sent", "blocked", "failed", "unknown", "cancelled")
REPORT_STATUSES = ("pending", "sending", "sent", "failed", "unknown")


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


Timestamp = DateTime(timezone=True)


class User(db.Model):
    """A Telegram user known to the bot: a subscriber, moderator or admin."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(_one_of("role", ROLES), name="role"),
        CheckConstraint(_one_of("status", USER_STATUSES), name="status"),
        Index("ix_users_status_role", "status", "role"),
        # The start of a mailing whose audience went in ahead of time finds who changed since.
        Index("ix_users_updated_at", "updated_at"),
        # Segments by tag (`tags && …`, `tags @> …`) and the tag counts.
        Index("ix_users_tags", "tags", postgresql_using="gin"),
    )

    tg_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    first_name: Mapped[str] = mapped_column(String(256), default="")
    last_name: Mapped[str | None] = mapped_column(String(256))
    username: Mapped[str | None] = mapped_column(String(64))
    language_code: Mapped[str | None] = mapped_column(String(16))
    role: Mapped[str] = mapped_column(String(16), default="subscriber", server_default="subscriber")
    status: Mapped[str] = mapped_column(String(16), default="active", server_default="active")
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        Timestamp, default=utcnow, onupdate=utcnow, server_default=func.now()
    )
    subscribed_at: Mapped[datetime | None] = mapped_column(Timestamp)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(Timestamp)
    # Staff get each mailing's report unless they turn it off; /stop leaves this alone.
    wants_reports: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # Free-form labels; every source a user came through is one too (`src:<payload>`).
    tags: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list, server_default="{}")
    # The /start payload of the link that brought them first, and of the latest one.
    first_source: Mapped[str | None] = mapped_column(String(64))
    last_source: Mapped[str | None] = mapped_column(String(64))


class Mailing(db.Model):
    """A message to every active subscriber at `send_at`, with ordered buttons and one media."""

    __tablename__ = "mailings"
    __table_args__ = (
        CheckConstraint(_one_of("status", MAILING_STATUSES), name="status"),
        CheckConstraint(f"media_type IS NULL OR {_one_of('media_type', MEDIA_TYPES)}", name="media_type"),
        CheckConstraint("(media_type IS NULL) = (media_file_id IS NULL)", name="media_pair"),
        Index("ix_mailings_status_send_at", "status", "send_at"),
        # The API lists mailings in this order (webapi/services/mailings.py list_mailings).
        Index("ix_mailings_send_at_id", "send_at", "id"),
        UniqueConstraint("series_id", "series_occurrence_at", name="uq_mailings_series_occurrence"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text, default="")
    send_at: Mapped[datetime] = mapped_column(Timestamp)
    status: Mapped[str] = mapped_column(String(16), default="scheduled", server_default="scheduled")
    media_type: Mapped[str | None] = mapped_column(String(16))
    media_file_id: Mapped[str | None] = mapped_column(String(2048))
    author_tg_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.tg_id", ondelete="SET NULL")
    )
    created_by: Mapped[str] = mapped_column(String(128), default="")
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        Timestamp, default=utcnow, onupdate=utcnow, server_default=func.now()
    )
    started_at: Mapped[datetime | None] = mapped_column(Timestamp)
    finished_at: Mapped[datetime | None] = mapped_column(Timestamp)
    report_sent_at: Mapped[datetime | None] = mapped_column(Timestamp)
    progress_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    progress_message_id: Mapped[int | None] = mapped_column(BigInteger)
    # The ledger's counts per status ({status: n}), written when the mailing finishes and again just
    # before its rows are pruned; NULL while it sends (a retry clears them). Once
    # `deliveries_pruned_at` is set the per-recipient rows are gone and these are the mailing's stats.
    delivery_counts: Mapped[dict | None] = mapped_column(JSONB)
    deliveries_pruned_at: Mapped[datetime | None] = mapped_column(Timestamp)
    # The creating request's Idempotency-Key, scoped to its caller and hashed, and the request's
    # own hash: the same key again replays this mailing, with another request it is refused.
    idempotency_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    request_hash: Mapped[str | None] = mapped_column(String(64))
    # While the audience is being fanned out in chunks: the last user id with a ledger row (NULL once
    # every active user has one, or before the fan-out begins).
    fanout_cursor: Mapped[int | None] = mapped_column(BigInteger)
    # When the fan-out began, if it began ahead of send_at (while scheduled); the start then adds
    # and removes whoever changed since.
    fanout_from: Mapped[datetime | None] = mapped_column(Timestamp)
    # Who of the active subscribers get it (webapi/segments.py); NULL: all of them.
    segment: Mapped[dict | None] = mapped_column(JSONB(none_as_null=True))
    # A sample first (webapi/services/canary.py): its settings, when its sample finished plus the
    # wait (the rest is judged then), and when the rest was let go. NULL settings: no canary (None is
    # stored as SQL NULL, never as JSON null, which the engine's `canary IS NULL` would take for one).
    canary: Mapped[dict | None] = mapped_column(JSONB(none_as_null=True))
    canary_until: Mapped[datetime | None] = mapped_column(Timestamp)
    canary_passed_at: Mapped[datetime | None] = mapped_column(Timestamp)
    # Why a paused mailing paused ({"code": "manual" | "canary" | "auto_pause", …}); NULL otherwise.
    pause_reason: Mapped[dict | None] = mapped_column(JSONB)
    # Two-person approval (webapi/services/approval.py): whether its audience, when it was last saved,
    # was above APPROVAL_THRESHOLD, and who other than its author approved it since; it does not start
    # before. When approvers were asked (after each save) and last reminded (once it is due).
    approval_required: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    approved_by: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.tg_id", ondelete="SET NULL")
    )
    approved_at: Mapped[datetime | None] = mapped_column(Timestamp)
    approval_asked_at: Mapped[datetime | None] = mapped_column(Timestamp)
    approval_reminded_at: Mapped[datetime | None] = mapped_column(Timestamp)

    # A run of a recurring series (webapi/services/series.py): the series and the occurrence it is,
    # which stays as made even if the run's own send_at is moved (one run per occurrence, ever).
    series_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("series.id", ondelete="SET NULL"))
    series_occurrence_at: Mapped[datetime | None] = mapped_column(Timestamp)

    buttons: Mapped[list[MailingButton]] = relationship(
        order_by="MailingButton.position", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def media(self) -> dict | None:
        """The attachment as the API shows it, or None."""
        if self.media_type is None:
            return None
        return {"type": self.media_type, "file_id": self.media_file_id}

    @property
    def approval(self) -> dict:
        """The approval state as the API shows it."""
        return approval_view(self.approval_required, self.approved_by, self.approved_at)


def approval_view(required: bool, approved_by: int | None, approved_at: datetime | None) -> dict:
    """A mailing's approval as the API shows it (for an ORM mailing and a listed row alike)."""
    return {"required": bool(required), "approved_by": approved_by, "approved_at": approved_at}


class MailingButton(db.Model):
    """One URL button of a mailing; `position` keeps the admin's chosen order."""

    __tablename__ = "mailing_buttons"
    __table_args__ = (UniqueConstraint("mailing_id", "position", name="uq_mailing_buttons_position"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    mailing_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("mailings.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(String(2048))
    # Recipients who clicked it, kept here when its click rows were pruned with the ledger; else NULL.
    clicks: Mapped[int | None] = mapped_column(Integer)


class ButtonClick(db.Model):
    """A recipient's first click on a URL button of a mailing, counted by the web's redirect."""

    __tablename__ = "button_clicks"
    __table_args__ = (Index("ix_button_clicks_user_id", "user_id"),)

    mailing_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("mailings.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.tg_id", ondelete="CASCADE"), primary_key=True
    )
    clicked_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, server_default=func.now())


class Delivery(db.Model):
    """The ledger row of one mailing for one user: who got it, who did not, and why."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("mailing_id", "user_id", name="uq_deliveries_mailing_user"),
        CheckConstraint(_one_of("status", DELIVERY_STATUSES), name="status"),
        Index("ix_deliveries_claim", "mailing_id", "status", "next_attempt_at"),
        # Only the lease expirer reads it, for `sending` rows: pending (fanned-out) rows stay out of it.
        Index("ix_deliveries_lease", "lease_expires_at", postgresql_where=text("status = 'sending'")),
        # A canary's sample: claimed and counted without reading the rest of the mailing's rows.
        Index("ix_deliveries_canary", "mailing_id", "status", postgresql_where=text("canary")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    # No foreign keys: their per-row checks cost the fan-out more than half its time, and rows come
    # only from the fan-out. Triggers delete a deleted mailing's or user's rows (see the migration
    # d5a0c3e8f1b2), as ON DELETE CASCADE did.
    mailing_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(BigInteger)
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(Timestamp)
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_expires_at: Mapped[datetime | None] = mapped_column(Timestamp)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(Timestamp)
    # True for the rows of a canary's sample; NULL for all others.
    canary: Mapped[bool | None] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(
        Timestamp, default=utcnow, onupdate=utcnow, server_default=func.now()
    )


class ReportRecipient(db.Model):
    """One staff member's copy of a finished mailing's report: sent once, or marked why not.

    The staff are snapshotted when the report starts; each copy is claimed (`sending`, under a
    lease) before its request and closed after it, so a report job that dies mid-way is resumed
    by the next one without sending anyone a second copy. A lease that ran out means the copy
    may or may not have arrived: `unknown`, never sent again.
    """

    __tablename__ = "report_recipients"
    __table_args__ = (CheckConstraint(_one_of("status", REPORT_STATUSES), name="status"),)

    mailing_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("mailings.id", ondelete="CASCADE"), primary_key=True
    )
    tg_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
    lease_expires_at: Mapped[datetime | None] = mapped_column(Timestamp)
    last_error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(
        Timestamp, default=utcnow, onupdate=utcnow, server_default=func.now()
    )


class InviteLink(db.Model):
    """A tracked link to the bot, `https://t.me/<bot>?start=<source>`: who it brought is counted."""

    __tablename__ = "invite_links"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, server_default=func.now())


class AuditEntry(db.Model):
    """Who (token subject and Telegram actor) did what to which object, and when."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, server_default=func.now())
    subject: Mapped[str] = mapped_column(String(128))
    actor_tg_id: Mapped[int | None] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict | None] = mapped_column(JSONB)


class ApiClient(db.Model):
    """A non-bot API client with a token issued from the CLI; revoking it refuses its token at once."""

    __tablename__ = "api_clients"
    __table_args__ = (CheckConstraint("role IN ('admin', 'moderator')", name="role"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    token_id: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(Timestamp)
    revoked_at: Mapped[datetime | None] = mapped_column(Timestamp)


SERIES_STATUSES = ("active", "paused", "finished", "ended")
SERIES_KINDS = ("daily", "weekdays", "monthly")


class Series(db.Model):
    """A recurring mailing: content like a mailing's and a rule; each occurrence becomes its own mailing.

    `made_until` is the cursor of the runs: every occurrence at or before it was made (or skipped
    while paused), so a run deleted by hand is never made again. `runs_made` counts the runs made,
    against `count`.
    """

    __tablename__ = "series"
    __table_args__ = (
        CheckConstraint(_one_of("status", SERIES_STATUSES), name="status"),
        CheckConstraint(_one_of("kind", SERIES_KINDS), name="kind"),
        CheckConstraint(f"media_type IS NULL OR {_one_of('media_type', MEDIA_TYPES)}", name="media_type"),
        CheckConstraint("(media_type IS NULL) = (media_file_id IS NULL)", name="media_pair"),
        Index("ix_series_status", "status"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text, default="")
    # [{"text", "url"}] in the order subscribers see them.
    buttons: Mapped[list] = mapped_column(JSONB, default=list, server_default="[]")
    media_type: Mapped[str | None] = mapped_column(String(16))
    media_file_id: Mapped[str | None] = mapped_column(String(2048))
    segment: Mapped[dict | None] = mapped_column(JSONB)
    # The rule (webapi/series_rules.py): a local wall time in `timezone` (TIMEZONE when created).
    kind: Mapped[str] = mapped_column(String(16))
    weekdays: Mapped[list[int]] = mapped_column(ARRAY(SmallInteger), default=list, server_default="{}")
    day: Mapped[int | None] = mapped_column(SmallInteger)
    at: Mapped[time] = mapped_column(Time)
    until: Mapped[date | None] = mapped_column(Date)
    count: Mapped[int | None] = mapped_column(Integer)
    starts_on: Mapped[date] = mapped_column(Date)
    timezone: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="active", server_default="active")
    runs_made: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    made_until: Mapped[datetime | None] = mapped_column(Timestamp)
    author_tg_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.tg_id", ondelete="SET NULL")
    )
    created_by: Mapped[str] = mapped_column(String(128), default="")
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        Timestamp, default=utcnow, onupdate=utcnow, server_default=func.now()
    )
    ended_at: Mapped[datetime | None] = mapped_column(Timestamp)
    # The creating request's Idempotency-Key (scoped to its caller, hashed) and the request's hash, as
    # for mailings: the same key again gives this series back, with another request it is refused.
    idempotency_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    request_hash: Mapped[str | None] = mapped_column(String(64))

    @property
    def media(self) -> dict | None:
        """The attachment as the API shows it, or None."""
        if self.media_type is None:
            return None
        return {"type": self.media_type, "file_id": self.media_file_id}
