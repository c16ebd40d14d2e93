"""Migrations build the schema with no drift; the OpenAPI document states what the API enforces.

Schemathesis checks the whole document against the running API in test_schemathesis.py.
"""

from __future__ import annotations

import re


def test_migrations_match_the_models(app):
    from flask_migrate import check

    with app.app_context():
        # flask-migrate's check exits non-zero on drift.
        check()


def test_openapi_document_is_generated(client):
    spec = client.get("/openapi.json").json
    assert spec["info"]["title"] == "Rassylka API"
    assert "/api/v1/mailings/{mailing_id}" in spec["paths"]
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_a_refused_method_names_the_allowed_ones(client, admin):
    response = client.open("/api/v1/mailings/1", method="TRACE", headers=admin)
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "PATCH", "DELETE", "OPTIONS"}
    assert response.json["error"]["code"] == "method_not_allowed"


def test_options_lists_the_methods_without_a_token(client):
    response = client.options("/api/v1/mailings")
    assert response.status_code == 200
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "POST", "OPTIONS"}


def test_a_missing_body_is_refused_not_read_as_empty(client, admin):
    missing = client.post("/api/v1/mailings/validate", headers=admin)
    assert missing.status_code == 400
    assert missing.json["error"]["code"] == "bad_request"
    assert missing.json["error"]["details"] == {
        "json": [{"code": "required", "params": {}, "message": "Missing JSON body."}]
    }
    assert client.put("/api/v1/users/1001", headers=admin).status_code == 400
    not_json = client.post("/api/v1/mailings/validate", data="{}", content_type="text/plain", headers=admin)
    assert not_json.status_code == 415
    assert not_json.json["error"]["code"] == "unsupported_media_type"
    empty = client.post("/api/v1/mailings/validate", json={}, headers=admin)
    assert empty.json == {"valid": True, "errors": {}}


def test_a_created_mailing_links_to_every_operation_on_it(client):
    spec = client.get("/openapi.json").json
    item = "/api/v1/mailings/{mailing_id}"
    on_a_mailing = {
        f"#/paths/{path.replace('/', '~1')}/{method}"
        for path, operations in spec["paths"].items()
        if path.startswith(item)
        for method in operations
        if method != "parameters"
    }
    created = spec["paths"]["/api/v1/mailings"]["post"]["responses"]["201"]
    assert {link["operationRef"] for link in created["links"].values()} == on_a_mailing
    assert len(on_a_mailing) == 14
    assert {"#/paths/~1api~1v1~1mailings~1{mailing_id}~1duplicate/post"} < on_a_mailing
    assert {"#/paths/~1api~1v1~1mailings~1{mailing_id}~1approve/post"} < on_a_mailing


def test_the_document_states_the_rules_a_schema_can(client):
    schemas = client.get("/openapi.json").json["components"]["schemas"]
    name = schemas["MailingCreate"]["properties"]["name"]
    assert (name["minLength"], name["maxLength"]) == (1, 100)
    assert not re.search(name["pattern"], " \t\u3000") and re.search(name["pattern"], " x ")
    assert schemas["MailingCreate"]["required"] == ["name", "send_at", "text"]
    assert "in the future" in schemas["MailingCreate"]["properties"]["send_at"]["description"]
    # null, not any object: `media: {}` is not a valid mailing.
    null, media = schemas["MailingCreate"]["properties"]["media"]["anyOf"]
    assert null["enum"] == [None] and media == {"$ref": "#/components/schemas/Media"}
    # The validate call takes any draft and answers with the rules' verdict, so it states none.
    assert "minLength" not in schemas["Draft"]["properties"]["name"]
    assert schemas["ClaimAdmin"]["properties"]["key"]["pattern"] == r"^[^\x00]*$"
