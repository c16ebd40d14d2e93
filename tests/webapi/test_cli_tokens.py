"""`flask tokens issue/list/revoke`: client tokens work until revoked, then are refused at once."""

from __future__ import annotations


def _cli(app, *args):
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_issued_token_works_until_revoked(app, client):
    output = _cli(app, "tokens", "issue", "crm", "--role", "moderator", "--days", "7")
    token = output.strip().splitlines()[-1]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/mailings", headers=headers).status_code == 200
    # A moderator client may not manage users.
    assert client.get("/api/v1/users", headers=headers).status_code == 403
    assert "crm\tmoderator\tactive" in _cli(app, "tokens", "list")

    _cli(app, "tokens", "revoke", "crm")
    response = client.get("/api/v1/mailings", headers=headers)
    assert response.status_code == 401
    assert response.json["error"]["message"] == "The token has been revoked."
    assert "crm\tmoderator\trevoked" in _cli(app, "tokens", "list")


def test_reissuing_replaces_the_old_token(app, client):
    first = _cli(app, "tokens", "issue", "ops", "--role", "admin").strip().splitlines()[-1]
    second = _cli(app, "tokens", "issue", "ops", "--role", "admin").strip().splitlines()[-1]
    assert client.get("/api/v1/users", headers={"Authorization": f"Bearer {first}"}).status_code == 401
    assert client.get("/api/v1/users", headers={"Authorization": f"Bearer {second}"}).status_code == 200


def test_revoking_an_unknown_client_fails_clearly(app):
    result = app.test_cli_runner().invoke(args=["tokens", "revoke", "nobody"])
    assert result.exit_code != 0
    assert "No API client named nobody" in result.output


def test_issue_and_revoke_are_audited(app, db_session):
    from webapi.models import AuditEntry

    _cli(app, "tokens", "issue", "x", "--role", "admin")
    _cli(app, "tokens", "revoke", "x")
    actions = [e.action for e in db_session.query(AuditEntry).order_by(AuditEntry.id)]
    assert actions == ["token.issued", "token.revoked"]
