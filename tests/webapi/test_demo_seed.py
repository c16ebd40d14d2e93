"""`flask demo seed N` creates active subscribers, in the database and in the sandbox."""

from __future__ import annotations

import pytest

from telegram_sandbox import SandboxServer
from telegram_sandbox.client import SandboxClient
from webapi.demo import DEMO_FIRST_ID


@pytest.fixture
def sandbox():
    server = SandboxServer(host="127.0.0.1", port=0).start()
    yield SandboxClient(server.url)
    server.stop()


def test_seed_creates_subscribers_in_both_places_and_is_repeatable(app, db_session, sandbox):
    from webapi.models import User

    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo", "seed", "250", "--sandbox", sandbox.url])
    assert result.exit_code == 0, result.output
    assert "Seeded 250 demo subscribers" in result.output
    assert db_session.query(User).filter_by(status="active", role="subscriber").count() == 250
    assert db_session.get(User, DEMO_FIRST_ID + 249).first_name == f"Demo {DEMO_FIRST_ID + 249}"
    assert sandbox.users(limit=1)["total"] == 250
    assert sandbox.user(DEMO_FIRST_ID)["first_name"].startswith("Demo")

    again = runner.invoke(args=["demo", "seed", "10"])
    assert again.exit_code == 0
    assert db_session.query(User).count() == 250
