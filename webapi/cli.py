"""`flask --app wsgi tokens …`: API tokens for clients other than the bot."""

from __future__ import annotations

import uuid
from datetime import timedelta

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from webapi import tokens
from webapi.domain import Actor
from webapi.extensions import db
from webapi.models import ApiClient, utcnow
from webapi.services.audit import record

CLI_ACTOR = Actor(subject="cli", tg_id=None, role="admin")


def register(app: Flask) -> None:
    """Attach the command groups to the app."""
    from webapi.demo import demo_group

    app.cli.add_command(tokens_group)
    app.cli.add_command(demo_group)


tokens_group = AppGroup("tokens", help="Issue, list and revoke API tokens.")


@tokens_group.command("issue")
@click.argument("name")
@click.option("--role", type=click.Choice(["admin", "moderator"]), required=True)
@click.option("--days", type=click.IntRange(1, 3650), default=30, show_default=True)
def issue(name: str, role: str, days: int) -> None:
    """Issue a token for client NAME; an existing NAME gets a new token and its old one stops working."""
    token_id = uuid.uuid4().hex
    lifetime = timedelta(days=days)
    client = db.session.scalar(db.select(ApiClient).where(ApiClient.name == name))
    if client is None:
        client = ApiClient(name=name)
        db.session.add(client)
    client.role, client.token_id, client.revoked_at = role, token_id, None
    client.expires_at = utcnow() + lifetime
    record(CLI_ACTOR, "token.issued", "api_client", name, role=role, days=days)
    db.session.commit()
    secret = current_app.config["SETTINGS"].jwt_secret_key
    click.echo(f"Issued a {role} token for {name}, valid until {client.expires_at:%Y-%m-%d %H:%M} UTC:")
    click.echo(tokens.mint_token(secret, tokens.CLIENT_PREFIX + name, lifetime, token_id=token_id))


@tokens_group.command("list")
def list_tokens() -> None:
    """List API clients and whether their token is active."""
    clients = db.session.scalars(db.select(ApiClient).order_by(ApiClient.name)).all()
    if not clients:
        click.echo("No API clients.")
    now = utcnow()
    for client in clients:
        state = "revoked" if client.revoked_at else ("expired" if client.expires_at <= now else "active")
        click.echo(f"{client.name}\t{client.role}\t{state}\texpires {client.expires_at:%Y-%m-%d %H:%M} UTC")


@tokens_group.command("revoke")
@click.argument("name")
def revoke(name: str) -> None:
    """Revoke client NAME's token at once."""
    client = db.session.scalar(db.select(ApiClient).where(ApiClient.name == name))
    if client is None:
        raise click.ClickException(f"No API client named {name}.")
    client.revoked_at = utcnow()
    record(CLI_ACTOR, "token.revoked", "api_client", name)
    db.session.commit()
    click.echo(f"Revoked the token of {name}.")
