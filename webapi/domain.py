"""The language services speak: who acts (`Actor`) and what can go wrong (`DomainError` and its kinds).

Nothing here knows of HTTP, Flask or JWT, so a service is called the same way from a view, a job,
the CLI or a test. `webapi.errors` maps each kind of failure to the API's error envelope, in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from webapi.problems import Problem


class DomainError(Exception):
    """A failure the caller can act on: a stable machine-readable `code`, a message and details."""

    code = "error"

    def __init__(self, message: str, details: Any = None):
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(DomainError):
    """The object asked for does not exist."""

    code = "not_found"


class MailingNotFound(NotFound):
    """No mailing with this id."""

    def __init__(self, mailing_id: int):
        super().__init__(f"No mailing with id {mailing_id}.")
        self.mailing_id = mailing_id


class UserNotFound(NotFound):
    """No user with this Telegram id: they never sent /start."""

    def __init__(self, tg_id: int):
        super().__init__(f"No user with Telegram id {tg_id}: they must send /start to the bot first.")
        self.tg_id = tg_id


class NotAllowed(DomainError):
    """The actor may not do this."""

    code = "forbidden"


class InvalidKey(NotAllowed):
    """The admin key given does not match."""

    code = "invalid_key"

    def __init__(self):
        super().__init__("The key is not valid.")


class Invalid(DomainError):
    """The input breaks a rule; `details` says which."""

    code = "validation_error"


class InvalidDraft(Invalid):
    """A mailing draft breaks the message rules; `details` is {field: [{"code", "params", "message"}]}."""

    def __init__(
        self, errors: dict[str, list[Problem]], message: str = "The mailing is not valid; see details."
    ):
        super().__init__(
            message, {field: [p.as_dict() for p in problems] for field, problems in errors.items()}
        )
        self.errors = errors


class IdempotencyKeyReused(Invalid):
    """The same idempotency key came with a different request; `mailing_id` is what the first one made."""

    code = "idempotency_key_reused"

    def __init__(self, mailing_id: int):
        super().__init__(
            f"This Idempotency-Key was already used, with another request, for mailing {mailing_id}.",
            {"mailing_id": mailing_id},
        )
        self.mailing_id = mailing_id


class Conflict(DomainError):
    """The change does not fit the object's current state."""

    code = "conflict"


class WrongStatus(Conflict):
    """The mailing's status does not allow this action; `allowed` names the ones that would, as words."""

    code = "wrong_status"

    def __init__(self, status: str, allowed: str, verb: str):
        super().__init__(f"Only a {allowed} mailing can be {verb}; this one is {status}.", {"status": status})
        self.status = status


class VersionConflict(Conflict):
    """Someone changed the mailing since the caller read it (optimistic concurrency)."""

    code = "version_conflict"

    def __init__(self, current_version: int):
        super().__init__(
            "Someone else changed this mailing: reload it and apply your change again.",
            {"current_version": current_version},
        )
        self.current_version = current_version


class DeliveriesPruned(Conflict):
    """The mailing's per-recipient rows were pruned after the retention period: only its counts are left."""

    code = "deliveries_pruned"

    def __init__(self, pruned_at: str, consequence: str = "nothing can be sent again"):
        super().__init__(
            "This mailing's per-recipient deliveries were removed after the retention period "
            f"(DELIVERY_RETENTION_DAYS); its counts are kept, but {consequence}.",
            {"pruned_at": pruned_at},
        )


class LastAdmin(Conflict):
    """Demoting this admin would leave nobody in charge."""

    code = "last_admin"

    def __init__(self):
        super().__init__("This is the last admin: make someone else admin first.")


class TooManyAttempts(DomainError):
    """Too many failed tries in a row; try again after `retry_after` seconds."""

    code = "rate_limited"

    def __init__(self, retry_after: int, message: str = "Too many wrong keys: try again later."):
        super().__init__(message, {"retry_after": retry_after})
        self.retry_after = retry_after


@dataclass(frozen=True)
class Actor:
    """Who acts: a token subject, the Telegram user acting (bot tokens only) and the role granted."""

    subject: str
    tg_id: int | None
    role: str

    def is_self(self, tg_id: int) -> bool:
        """True when the bot acts for this very Telegram user."""
        return self.tg_id is not None and self.tg_id == tg_id

    def require_role(self, *roles: str) -> None:
        """Refuse with `NotAllowed` unless the actor's role is one of `roles`."""
        if self.role not in roles:
            raise NotAllowed(f"This needs the {' or '.join(roles)} role.")

    def require_self_or_admin(self, tg_id: int) -> None:
        """Refuse with `NotAllowed` unless the actor acts for `tg_id` itself or is an admin."""
        if not (self.is_self(tg_id) or self.role == "admin"):
            raise NotAllowed("You may only act on your own subscription.")


class InviteLinkNotFound(NotFound):
    """No invite link with this id."""

    def __init__(self, link_id: int):
        super().__init__(f"No invite link with id {link_id}.")


class SourceTaken(Conflict):
    """Another invite link already has this source."""

    def __init__(self, source: str):
        super().__init__(
            f"Another invite link already uses the source {source}: choose another.", {"source": source}
        )


class ApprovalByAuthor(NotAllowed):
    """A mailing's author may not approve it: a second person must."""

    code = "approval_by_author"

    def __init__(self):
        super().__init__("You wrote this mailing: another admin or moderator must approve it.")


class ApprovalNotRequired(Conflict):
    """The mailing's audience is within APPROVAL_THRESHOLD: there is nothing to approve."""

    code = "approval_not_required"

    def __init__(self):
        super().__init__("This mailing does not need approval: its audience is within the threshold.")


class ApprovalRequired(Conflict):
    """The mailing cannot start before a second admin or moderator approves it."""

    code = "approval_required"

    def __init__(self):
        super().__init__("This mailing needs approval by another admin or moderator before it can start.")


class SeriesNotFound(NotFound):
    """No recurring series with this id."""

    def __init__(self, series_id: int):
        super().__init__(f"No series with id {series_id}.")


class SeriesWrongStatus(Conflict):
    """The series' status does not allow this action (say, resuming one that is not paused)."""

    code = "series_wrong_status"

    def __init__(self, status: str, allowed: str, verb: str):
        super().__init__(f"Only {allowed} series can be {verb}; this one is {status}.", {"status": status})


class SeriesKeyReused(Invalid):
    """The same idempotency key came with a different request; `series_id` is what the first one made."""

    code = "idempotency_key_reused"

    def __init__(self, series_id: int):
        super().__init__(
            f"This Idempotency-Key was already used, with another request, for series {series_id}.",
            {"series_id": series_id},
        )
        self.series_id = series_id
