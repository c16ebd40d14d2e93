"""Services speak the domain: called with a plain Actor and no request, they raise domain errors,
which `webapi.errors` turns into the same envelope, status and code the API has always answered."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from flask import has_request_context

from webapi.domain import (
    Actor,
    DomainError,
    IdempotencyKeyReused,
    InvalidDraft,
    InvalidKey,
    LastAdmin,
    MailingNotFound,
    NotAllowed,
    TooManyAttempts,
    UserNotFound,
    VersionConflict,
    WrongStatus,
)
from webapi.errors import domain_response
from webapi.problems import problem

CLI = Actor(subject="cli", tg_id=None, role="admin")


def _draft(**overrides) -> dict:
    draft = {
        "name": "Autumn sale",
        "text": "<b>Sale</b> soon",
        "send_at": datetime.now(UTC) + timedelta(hours=1),
        "buttons": [{"text": "Shop", "url": "https://example.org/shop"}],
        "media": None,
    }
    return {**draft, **overrides}


def test_the_domain_module_needs_no_flask_or_jwt():
    code = (
        "import sys, webapi.domain; "
        "sys.exit(any(m.split('.')[0] in ('flask', 'flask_jwt_extended', 'werkzeug') for m in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_services_raise_domain_errors_without_a_request(app):
    from webapi.extensions import db
    from webapi.models import AuditEntry
    from webapi.services import mailings, sending_control, users

    with app.app_context():
        assert not has_request_context()
        mailing, created = mailings.create_mailing(CLI, _draft())
        assert created and mailing.created_by == "cli"

        with pytest.raises(VersionConflict) as conflict:
            mailings.update_mailing(CLI, mailing.id, 2, {"name": "Winter sale"})
        assert conflict.value.current_version == 1
        assert conflict.value.code == "version_conflict"

        with pytest.raises(InvalidDraft) as invalid:
            mailings.update_mailing(CLI, mailing.id, 1, {"text": "<b>open"})
        assert set(invalid.value.errors) == {"text"}

        assert sending_control.cancel(CLI, mailing.id).status == "cancelled"
        with pytest.raises(WrongStatus) as wrong:
            sending_control.cancel(CLI, mailing.id)
        assert wrong.value.status == "cancelled" and wrong.value.details == {"status": "cancelled"}
        with pytest.raises(WrongStatus):
            mailings.update_mailing(CLI, mailing.id, 1, {"name": "Winter sale"})

        with pytest.raises(MailingNotFound) as missing:
            sending_control.pause(CLI, 987654)
        assert missing.value.mailing_id == 987654
        with pytest.raises(UserNotFound):
            users.change_role(CLI, 424242, "moderator")
        with pytest.raises(NotAllowed):
            Actor("cli", None, "moderator").require_role("admin")
        with pytest.raises(NotAllowed):  # only a Telegram user claims the key, for themselves
            users.claim_admin(CLI, 5, "key", "key", app.extensions["redis"], "cli")

        audited = db.session.scalars(
            db.select(AuditEntry.action).where(AuditEntry.subject == "cli").order_by(AuditEntry.id)
        ).all()
        assert audited == ["mailing.created", "mailing.cancelled"]


@pytest.mark.parametrize(
    ("error", "status", "code", "details"),
    [
        (MailingNotFound(7), 404, "not_found", None),
        (UserNotFound(7), 404, "not_found", None),
        (WrongStatus("sending", "scheduled", "changed"), 409, "wrong_status", {"status": "sending"}),
        (VersionConflict(3), 409, "version_conflict", {"current_version": 3}),
        (LastAdmin(), 409, "last_admin", None),
        (
            InvalidDraft({"text": [problem("required")]}),
            422,
            "validation_error",
            {"text": [{"code": "required", "params": {}, "message": "This field is required."}]},
        ),
        (IdempotencyKeyReused(5), 422, "idempotency_key_reused", {"mailing_id": 5}),
        (NotAllowed("This needs the admin role."), 403, "forbidden", None),
        (InvalidKey(), 403, "invalid_key", None),
        (TooManyAttempts(60), 429, "rate_limited", {"retry_after": 60}),
    ],
)
def test_each_domain_error_maps_to_its_envelope(error, status, code, details):
    body, answered, headers = domain_response(error)
    assert answered == status
    assert body == {"error": {"code": code, "message": error.message, "details": details}}
    assert headers == ({"Retry-After": "60"} if isinstance(error, TooManyAttempts) else {})


def test_an_unmapped_domain_error_is_a_400_with_its_code():
    class Odd(DomainError):
        code = "odd"

    body, status, _ = domain_response(Odd("Odd."))
    assert status == 400 and body["error"]["code"] == "odd"


def test_the_api_answers_domain_errors_as_before(client, admin, app):
    from webapi.services import mailings

    with app.app_context():
        mailing, _ = mailings.create_mailing(CLI, _draft())
        mailing_id = mailing.id

    stale = client.patch(f"/api/v1/mailings/{mailing_id}", json={"version": 2, "name": "X"}, headers=admin)
    assert stale.status_code == 409
    assert stale.json == {
        "error": {
            "code": "version_conflict",
            "message": "Someone else changed this mailing: reload it and apply your change again.",
            "details": {"current_version": 1},
        }
    }
    missing = client.post("/api/v1/mailings/987654/pause", headers=admin)
    assert missing.status_code == 404
    assert missing.json["error"] == {
        "code": "not_found",
        "message": "No mailing with id 987654.",
        "details": None,
    }
    assert client.post(f"/api/v1/mailings/{mailing_id}/resume", headers=admin).json["error"] == {
        "code": "wrong_status",
        "message": "Only a paused mailing can be resumed; this one is scheduled.",
        "details": {"status": "scheduled"},
    }
