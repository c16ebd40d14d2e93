"""The audit log: every change to roles and mailings, with the token subject and the Telegram actor."""

from __future__ import annotations

from webapi.domain import Actor
from webapi.extensions import db
from webapi.models import AuditEntry


def record(actor: Actor | None, action: str, object_type: str, object_id: object, **details: object) -> None:
    """Add an audit entry to the current transaction, so it commits or rolls back with the change."""
    db.session.add(
        AuditEntry(
            subject=actor.subject if actor else "system",
            actor_tg_id=actor.tg_id if actor else None,
            action=action,
            object_type=object_type,
            object_id=None if object_id is None else str(object_id),
            details=details or None,
        )
    )
