"""JWT minting shared by the bot and the CLI: HS256, issuer, audience and expiry always set."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import jwt

ALGORITHM = "HS256"
ISSUER = "rassylka"
AUDIENCE = "rassylka-api"
BOT_SUBJECT = "telebot"
CLIENT_PREFIX = "client:"
BOT_TOKEN_LIFETIME = timedelta(minutes=2)


def mint_token(
    secret: str, subject: str, lifetime: timedelta, token_id: str | None = None, **claims: object
) -> str:
    """Sign a bearer token for the API."""
    now = datetime.now(UTC)
    payload = {
        "sub": subject,
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "nbf": now,
        "exp": now + lifetime,
        "jti": token_id or uuid.uuid4().hex,
        "type": "access",
        **claims,
    }
    return jwt.encode(payload, secret, algorithm=ALGORITHM)


def mint_bot_token(secret: str, tg_id: int) -> str:
    """A short-lived token the bot signs for one Telegram user's request."""
    return mint_token(secret, BOT_SUBJECT, BOT_TOKEN_LIFETIME, tg_id=int(tg_id))
