"""Subscribing, unsubscribing, roles and the admin key."""

from __future__ import annotations

import hmac
import logging

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import case, func, literal_column, select, text
from sqlalchemy.dialects.postgresql import insert

from webapi import segments
from webapi.domain import Actor, InvalidKey, LastAdmin, NotAllowed, TooManyAttempts, UserNotFound
from webapi.extensions import db
from webapi.models import User, utcnow
from webapi.monitoring import count_claim_failure
from webapi.role_notices import RoleNotice, announce
from webapi.services.audit import record

log = logging.getLogger(__name__)

CLAIM_ATTEMPTS = 5
CLAIM_WINDOW_SECONDS = 15 * 60


def get_user(tg_id: int) -> User:
    """The user, or `UserNotFound`."""
    user = db.session.get(User, tg_id)
    if user is None:
        raise UserNotFound(tg_id)
    return user


def subscribe(tg_id: int, profile: dict, source: str | None = None) -> tuple[User, bool]:
    """Create or re-activate a subscriber and refresh their names; returns (user, created).

    With a `source` (the payload of the invite link they came through) the user keeps it as their
    last source, as their first if they had none, and carries the tag `src:<source>`.
    """
    now = utcnow()
    names = {key: profile.get(key) for key in ("last_name", "username", "language_code")}
    names["first_name"] = profile.get("first_name") or ""
    sourced = {}
    if source is not None:
        sourced = {"first_source": source, "last_source": source, "tags": [segments.source_tag(source)]}
    stmt = insert(User).values(
        tg_id=tg_id, **names, **sourced, status="active", subscribed_at=now, created_at=now, updated_at=now
    )
    changes = {
        **{key: stmt.excluded[key] for key in names},
        "status": "active",
        "updated_at": now,
        # A returning subscriber's subscription starts again; an active one keeps its date.
        "subscribed_at": case((User.status == "active", User.subscribed_at), else_=now),
    }
    if source is not None:
        changes["first_source"] = func.coalesce(User.first_source, source)
        changes["last_source"] = source
        # Theirs and the source's, each once.
        changes["tags"] = text(
            "ARRAY(SELECT DISTINCT tag FROM unnest(users.tags || excluded.tags) AS tag ORDER BY tag)"
        )
    stmt = stmt.on_conflict_do_update(index_elements=[User.tg_id], set_=changes).returning(
        literal_column("xmax = 0").label("created")
    )
    created = db.session.execute(stmt).scalar_one()
    db.session.commit()
    return db.session.get(User, tg_id, populate_existing=True), bool(created)


def unsubscribe(tg_id: int) -> User:
    """Mark the user unsubscribed: later mailings skip them."""
    user = get_user(tg_id)
    if user.status != "unsubscribed":
        user.status = "unsubscribed"
        user.unsubscribed_at = utcnow()
        db.session.commit()
    return user


def change_tags(actor: Actor, tg_ids: list[int], add: list[str], remove: list[str]) -> tuple[int, list[int]]:
    """Add and remove tags of these users; returns how many users changed and the ids not found."""
    known = set(db.session.scalars(select(User.tg_id).where(User.tg_id.in_(tg_ids))).all())
    changed: set[int] = set()
    params = {"ids": tg_ids, "add": add, "remove": remove}
    if add:
        changed.update(db.session.scalars(text(_ADD_TAGS), params).all())
    if remove:
        changed.update(db.session.scalars(text(_REMOVE_TAGS), params).all())
    if changed:
        record(actor, "user.tags_changed", "user", None, users=len(changed), added=add, removed=remove)
    db.session.commit()
    return len(changed), sorted(set(tg_ids) - known)


# A tag change bumps updated_at: a mailing whose audience went in ahead of time looks at it again.
_ADD_TAGS = (
    "UPDATE users SET updated_at = now(), tags = ARRAY("
    "  SELECT DISTINCT tag FROM unnest(tags || CAST(:add AS varchar(64)[])) AS tag ORDER BY tag) "
    "WHERE tg_id = ANY(:ids) AND NOT tags @> CAST(:add AS varchar(64)[]) RETURNING tg_id"
)
_REMOVE_TAGS = (
    "UPDATE users SET updated_at = now(), tags = ARRAY("
    "  SELECT tag FROM unnest(tags) AS tag WHERE tag <> ALL(CAST(:remove AS varchar(64)[])) ORDER BY tag) "
    "WHERE tg_id = ANY(:ids) AND tags && CAST(:remove AS varchar(64)[]) RETURNING tg_id"
)


def tag_counts(limit: int = 500) -> list[dict]:
    """Tags of active subscribers with how many carry each, the most used first."""
    rows = db.session.execute(
        text(
            "SELECT tag, count(*) AS users FROM users, unnest(tags) AS tag WHERE status = 'active' "
            "GROUP BY tag ORDER BY users DESC, tag LIMIT :n"
        ),
        {"n": limit},
    ).all()
    return [{"tag": tag, "users": users} for tag, users in rows]


def list_users(role: str | None, status: str | None, offset: int, limit: int) -> tuple[list[User], int]:
    """A page of users by filter, oldest first, with the total."""
    query = select(User)
    if role:
        query = query.where(User.role == role)
    if status:
        query = query.where(User.status == status)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    items = db.session.scalars(query.order_by(User.created_at, User.tg_id).offset(offset).limit(limit)).all()
    return list(items), total


def change_role(actor: Actor, tg_id: int, role: str, redis: Redis | None = None) -> User:
    """Give a user a new role; the last admin cannot be demoted. A change is queued for the bot to
    announce to the user (webapi.role_notices) when `redis` is given."""
    # Lock every admin row so two concurrent demotions cannot both pass the last-admin check.
    admins = db.session.scalars(select(User.tg_id).where(User.role == "admin").with_for_update()).all()
    user = db.session.get(User, tg_id, with_for_update=True)
    if user is None:
        db.session.rollback()
        raise UserNotFound(tg_id)
    old = user.role
    if old == "admin" and role != "admin" and len(admins) <= 1:
        db.session.rollback()
        raise LastAdmin()
    if old != role:
        user.role = role
        record(actor, "user.role_changed", "user", tg_id, old=old, new=role)
    db.session.commit()
    if old != role and redis is not None:
        try:
            announce(redis, RoleNotice(tg_id, role, user.language_code))
        except RedisError:  # the role has changed all the same; the notice is a courtesy
            log.warning("could not queue the role notice for user %s", tg_id, exc_info=True)
    return user


def set_wants_reports(actor: Actor, tg_id: int, wants: bool) -> User:
    """Turn a user's mailing reports on or off (staff get them by default)."""
    user = get_user(tg_id)
    if user.wants_reports != wants:
        user.wants_reports = wants
        record(actor, "user.reports_changed", "user", tg_id, wants_reports=wants)
    db.session.commit()
    return user


def admin_key_shaped(key: str, admin_key: str) -> bool:
    """True when `key` could be ADMIN_KEY: it has the key's length.

    A /start payload shares the key's alphabet (referral and UTM links are deep links too), so only
    a payload of the key's length is a claim; any other is refused without counting. The length is
    no secret worth keeping: comparing in constant time gives it away already, and a random key of
    32 characters is as strong with it known.
    """
    return len(key) == len(admin_key)


def _claimant(actor: Actor, source: str) -> str:
    """Whose wrong keys count together: the Telegram user for the bot's calls, else the calling address."""
    # Every bot call comes from the bot's one address: counted per address, five stray deep links of
    # anyone would lock every claim out. A client token never gets this far (only the user themselves
    # may claim), but would count per address if it ever did.
    return f"user:{actor.tg_id}" if actor.tg_id is not None else f"source:{source}"


def claim_admin(actor: Actor, tg_id: int, key: str, admin_key: str, redis: Redis, source: str) -> User:
    """Make the user an admin when `key` equals ADMIN_KEY; wrong keys are audited and rate limited.

    In order: only the user themselves may claim (a client token is refused before its key is read);
    a key not shaped like ADMIN_KEY is refused and not counted; a claimant with CLAIM_ATTEMPTS wrong
    keys in CLAIM_WINDOW_SECONDS is refused until the window ends; then the key is compared.
    """
    if not actor.is_self(tg_id):
        raise NotAllowed("Only the user themselves can claim the admin key.")
    if not admin_key_shaped(key, admin_key):
        raise InvalidKey()
    counter = f"claim-admin:fail:{_claimant(actor, source)}"
    if int(redis.get(counter) or 0) >= CLAIM_ATTEMPTS:
        raise TooManyAttempts(max(redis.ttl(counter), 1))
    user = get_user(tg_id)
    if not hmac.compare_digest(key.encode(), admin_key.encode()):
        pipe = redis.pipeline()
        # SET NX EX then INCR: the window starts at the first wrong key (works on Redis 6 too).
        pipe.set(counter, 0, ex=CLAIM_WINDOW_SECONDS, nx=True)
        pipe.incr(counter)
        failures = pipe.execute()[1]
        record(actor, "user.claim_admin_failed", "user", tg_id)
        # INCR hands out each count once, so exactly one wrong key starts the lockout.
        locked = failures == CLAIM_ATTEMPTS
        if locked:
            record(
                actor,
                "user.claim_admin_locked",
                "user",
                tg_id,
                attempts=CLAIM_ATTEMPTS,
                seconds=max(redis.ttl(counter), 1),
            )
        db.session.commit()
        count_claim_failure(redis, locked)
        raise InvalidKey()
    if user.role != "admin":
        record(actor, "user.claimed_admin", "user", tg_id, old=user.role)
        user.role = "admin"
    db.session.commit()
    return user
