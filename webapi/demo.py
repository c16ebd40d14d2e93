"""`flask --app wsgi demo seed N`: demo subscribers for a local run (and in the sandbox, when given)."""

from __future__ import annotations

import click
import requests
from flask.cli import AppGroup
from sqlalchemy.dialects.postgresql import insert

from webapi.extensions import db
from webapi.models import User, utcnow

DEMO_FIRST_ID = 900_000_001
demo_group = AppGroup("demo", help="Demo data for local runs.")


@demo_group.command("seed")
@click.argument("count", type=click.IntRange(1, 1_000_000))
@click.option(
    "--sandbox",
    "sandbox_url",
    envvar="SANDBOX_URL",
    default=None,
    help="Also create the users in this Telegram sandbox (default: $SANDBOX_URL).",
)
def seed(count: int, sandbox_url: str | None) -> None:
    """Create COUNT active demo subscribers (ids from 900000001; existing ones are kept)."""
    now = utcnow()
    rows = [
        {
            "tg_id": DEMO_FIRST_ID + n,
            "first_name": f"Demo {DEMO_FIRST_ID + n}",
            "language_code": "ru" if n % 3 else "en",
            "role": "subscriber",
            "status": "active",
            "subscribed_at": now,
            "created_at": now,
            "updated_at": now,
        }
        for n in range(count)
    ]
    for start in range(0, count, 10_000):
        db.session.execute(insert(User).values(rows[start : start + 10_000]).on_conflict_do_nothing())
    db.session.commit()
    click.echo(f"Seeded {count} demo subscribers (Telegram ids {DEMO_FIRST_ID}–{DEMO_FIRST_ID + count - 1}).")
    if sandbox_url:
        response = requests.post(
            f"{sandbox_url.rstrip('/')}/sandbox/users/bulk",
            timeout=60,
            json={"count": count, "start_id": DEMO_FIRST_ID, "first_name_prefix": "Demo "},
        )
        response.raise_for_status()
        click.echo(f"Created them in the sandbox at {sandbox_url} too.")
