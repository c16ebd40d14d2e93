"""Invite links: a named source for /start, and how many subscribers each brought."""

from __future__ import annotations

import re
import secrets

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from webapi.domain import Actor, InviteLinkNotFound, SourceTaken
from webapi.extensions import db
from webapi.models import InviteLink, User
from webapi.services.audit import record


def _source_from(name: str) -> str:
    """A source for a new link: `src_`, the name's Latin letters and digits, and a random tail."""
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:40]
    return f"src_{slug}_{secrets.token_hex(3)}" if slug else f"src_{secrets.token_hex(4)}"


def _with_counts(links: list[InviteLink]) -> list[dict]:
    """Each link with the subscribers it brought (their first source) and how many of them are active."""
    sources = [link.source for link in links]
    counts = {
        source: (brought, active)
        for source, brought, active in db.session.execute(
            select(User.first_source, func.count(), func.count().filter(User.status == "active"))
            .where(User.first_source.in_(sources))
            .group_by(User.first_source)
        ).all()
    }
    shown = []
    for link in links:
        brought, active = counts.get(link.source, (0, 0))
        shown.append(
            {
                "id": link.id,
                "name": link.name,
                "source": link.source,
                "created_at": link.created_at,
                "brought": brought,
                "active": active,
            }
        )
    return shown


def list_links() -> list[dict]:
    """Every invite link, newest first, with its counts."""
    links = db.session.scalars(select(InviteLink).order_by(InviteLink.id.desc())).all()
    return _with_counts(list(links))


def create_link(actor: Actor, name: str, source: str | None = None) -> dict:
    """A new invite link (its source made from the name unless given); a taken source is refused."""
    link = InviteLink(name=name.strip(), source=source or _source_from(name), created_by=actor.subject)
    db.session.add(link)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise SourceTaken(link.source) from None
    record(actor, "invite_link.created", "invite_link", link.id, name=link.name, source=link.source)
    db.session.commit()
    return _with_counts([link])[0]


def delete_link(actor: Actor, link_id: int) -> None:
    """Forget an invite link (those it brought keep their source)."""
    link = db.session.get(InviteLink, link_id)
    if link is None:
        raise InviteLinkNotFound(link_id)
    db.session.execute(delete(InviteLink).where(InviteLink.id == link_id))
    record(actor, "invite_link.deleted", "invite_link", link_id, source=link.source)
    db.session.commit()
