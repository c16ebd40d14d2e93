"""Who is calling: JWT checks, the acting user's role from the database, and permission rules."""

from __future__ import annotations

from flask import Flask, request
from flask_jwt_extended import get_jwt, verify_jwt_in_request

from webapi import tokens
from webapi.domain import Actor
from webapi.errors import envelope
from webapi.extensions import db, jwt
from webapi.models import ApiClient, User, utcnow

STAFF = ("moderator", "admin")


def configure_jwt(app: Flask, secret: str) -> None:
    """Pin the algorithm, require issuer/audience/expiry and answer every failure with a 401 envelope."""
    app.config.update(
        JWT_SECRET_KEY=secret,
        JWT_ALGORITHM=tokens.ALGORITHM,
        JWT_DECODE_ALGORITHMS=[tokens.ALGORITHM],
        JWT_ENCODE_ISSUER=tokens.ISSUER,
        JWT_DECODE_ISSUER=tokens.ISSUER,
        JWT_ENCODE_AUDIENCE=tokens.AUDIENCE,
        JWT_DECODE_AUDIENCE=tokens.AUDIENCE,
        JWT_DECODE_LEEWAY=10,
        JWT_TOKEN_LOCATION=["headers"],
    )
    jwt.init_app(app)

    def refuse(message: str):
        return envelope(401, message), 401, {"WWW-Authenticate": "Bearer"}

    jwt.unauthorized_loader(lambda reason: refuse("A bearer token is required."))
    jwt.invalid_token_loader(lambda reason: refuse("The token is not valid."))
    jwt.expired_token_loader(lambda header, payload: refuse("The token has expired."))
    jwt.revoked_token_loader(lambda header, payload: refuse("The token has been revoked."))
    jwt.token_verification_failed_loader(lambda header, payload: refuse("The token is not valid."))
    jwt.token_verification_loader(_claims_are_complete)
    jwt.token_in_blocklist_loader(_is_revoked)


def _claims_are_complete(header: dict, payload: dict) -> bool:
    if "exp" not in payload:
        return False
    subject = payload.get("sub", "")
    if subject == tokens.BOT_SUBJECT:
        tg_id = payload.get("tg_id")
        return isinstance(tg_id, int) and not isinstance(tg_id, bool) and 0 < tg_id < 2**63
    return subject.startswith(tokens.CLIENT_PREFIX) and bool(payload.get("jti"))


def _is_revoked(header: dict, payload: dict) -> bool:
    if payload.get("sub") == tokens.BOT_SUBJECT:
        return False
    client = db.session.scalar(db.select(ApiClient).where(ApiClient.token_id == payload.get("jti")))
    # The request's actor is this client: current_actor() reads its role from this same row.
    request.environ[CLIENT_KEY] = client
    return client is None or client.revoked_at is not None or client.expires_at <= utcnow()


ACTOR_KEY = "rassylka.actor"
CLIENT_KEY = "rassylka.api_client"


def current_actor() -> Actor:
    """Verify the request's token once and resolve the acting role from the database."""
    # Kept with the request itself, not `g`: an app context can outlive a request (a CLI command,
    # a test holding one open) and must not hand one caller's identity to the next request.
    cached = request.environ.get(ACTOR_KEY)
    if cached is not None:
        return cached
    verify_jwt_in_request()
    claims = get_jwt()
    subject = claims["sub"]
    if subject == tokens.BOT_SUBJECT:
        tg_id = int(claims["tg_id"])
        role = db.session.scalar(db.select(User.role).where(User.tg_id == tg_id))
        actor = Actor(subject, tg_id, role or "subscriber")
    else:
        # Verification has just checked this client is not revoked, reading its row.
        actor = Actor(subject, None, request.environ[CLIENT_KEY].role)
    request.environ[ACTOR_KEY] = actor
    return actor


def require_role(*roles: str) -> Actor:
    """The actor, if its role is one of `roles`; otherwise 403."""
    actor = current_actor()
    actor.require_role(*roles)
    return actor


def require_self_or_admin(tg_id: int) -> Actor:
    """The actor, if it acts for `tg_id` itself or is an admin; otherwise 403."""
    actor = current_actor()
    actor.require_self_or_admin(tg_id)
    return actor
