"""One error envelope for every failure: {"error": {"code", "message", "details"}}.

Field errors in `details` have one shape, whoever found them (the schemas or the message rules):
{field: [{"code", "params", "message"}]}, so a client can render each in its own language.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Flask
from flask_smorest import Api
from sqlalchemy.exc import DataError, IntegrityError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from webapi.domain import Conflict, DomainError, Invalid, NotAllowed, NotFound, TooManyAttempts

# Machine-readable codes by HTTP status, for errors raised without an explicit code.
CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


class ApiError(Exception):
    """An expected failure that the client can act on."""

    def __init__(
        self,
        status: int,
        message: str,
        details: Any = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details
        self.code = code or CODES.get(status, "error")
        self.headers = headers or {}


def envelope(status: int, message: str, details: Any = None, code: str | None = None) -> dict:
    """Build the error body every endpoint answers with."""
    return {"error": {"code": code or CODES.get(status, "error"), "message": message, "details": details}}


class ProblemSchema(ma.Schema):
    """One problem with a field: a stable code and its parameters for programs, a message for people."""

    code = ma.fields.String(
        required=True, metadata={"description": "Stable machine-readable code, e.g. text_too_long"}
    )
    params = ma.fields.Dict(
        keys=ma.fields.String(),
        required=True,
        metadata={"description": 'The values the message names, e.g. {"length": 5120, "limit": 4096}'},
    )
    message = ma.fields.String(required=True, metadata={"description": "The problem in English"})


class ErrorBodySchema(ma.Schema):
    """The inner error object."""

    code = ma.fields.String(required=True, metadata={"description": "Machine-readable error code"})
    message = ma.fields.String(required=True, metadata={"description": "What went wrong, for people"})
    details = ma.fields.Raw(
        allow_none=True,
        metadata={
            "description": 'Field errors as {field: [{"code", "params", "message"}]} (see Problem), '
            'or extra facts such as {"current_version": 3}'
        },
    )


class ErrorSchema(ma.Schema):
    """The error envelope."""

    error = ma.fields.Nested(ErrorBodySchema, required=True)


class EnvelopeApi(Api):
    """flask-smorest Api that answers every error with our envelope."""

    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error: HTTPException):
        """Turn werkzeug/webargs HTTP errors into the envelope."""
        data = getattr(error, "data", None) or {}
        status = error.code or 500
        details = data.get("errors") or data.get("messages")
        if isinstance(details, dict) and set(details) <= {
            "json",
            "query",
            "path",
            "headers",
            "form",
            "files",
        }:
            # webargs nests field errors by location; clients care about fields.
            flat: dict[str, Any] = {}
            for location, part in details.items():
                if isinstance(part, dict):
                    flat.update(part)
                else:
                    flat[location] = part
            details = flat
        if isinstance(details, dict):
            details = field_problems(details)
        message = data.get("message") or _MESSAGES.get(status) or error.description or error.name
        headers = dict(data.get("headers") or {})
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            # RFC 9110: a 405 names the methods the resource does support.
            headers["Allow"] = ", ".join(error.valid_methods)
        return envelope(status, message, details), status, headers


def _marshmallow_codes() -> dict[str, str]:
    """Marshmallow's default messages, each to its error key ("required", "null", "invalid"…)."""
    codes = {message: key for key, message in ma.Schema._default_error_messages.items()}
    for field_class in vars(ma.fields).values():
        if isinstance(field_class, type) and issubclass(field_class, ma.fields.Field):
            for klass in reversed(field_class.__mro__):
                codes.update(
                    {message: key for key, message in vars(klass).get("default_error_messages", {}).items()}
                )
    return codes


_MARSHMALLOW_CODES = _marshmallow_codes()


def field_problems(errors: dict) -> dict:
    """Field errors with every message as {"code", "params", "message"}; nested fields stay nested.

    A message the schemas wrote gets marshmallow's error key as its code, or "invalid" when it is
    one of a validator's messages, which carry no key.
    """
    shaped: dict = {}
    for field, value in errors.items():
        if isinstance(value, dict):
            shaped[field] = field_problems(value)
        else:
            shaped[field] = [_problem(item) for item in (value if isinstance(value, list) else [value])]
    return shaped


def _problem(item: Any) -> dict:
    if isinstance(item, dict) and "code" in item:
        return item
    message = str(item)
    return {"code": _MARSHMALLOW_CODES.get(message, "invalid"), "params": {}, "message": message}


_MESSAGES = {
    400: "The request could not be understood: check that the body is valid JSON.",
    404: "Nothing is here: check the URL and the id.",
    405: "This method is not allowed on this URL.",
    413: "The request body is larger than 1 MiB.",
    422: "Some fields are invalid; see details.",
    500: "Internal error.",
}


# The HTTP status of each kind of domain failure; a subclass answers with its nearest listed kind's.
DOMAIN_STATUSES: dict[type[DomainError], int] = {
    Invalid: 422,
    NotAllowed: 403,
    NotFound: 404,
    Conflict: 409,
    TooManyAttempts: 429,
}


def domain_response(error: DomainError) -> tuple[dict, int, dict[str, str]]:
    """The envelope, HTTP status and headers that answer a domain failure."""
    status = next((DOMAIN_STATUSES[kind] for kind in type(error).__mro__ if kind in DOMAIN_STATUSES), 400)
    headers = {"Retry-After": str(error.retry_after)} if isinstance(error, TooManyAttempts) else {}
    return envelope(status, error.message, error.details, error.code), status, headers


def register_error_handlers(app: Flask) -> None:
    """Register the envelope for our own errors and database constraint failures."""

    @app.errorhandler(ApiError)
    def _api_error(error: ApiError):
        return envelope(error.status, error.message, error.details, error.code), error.status, error.headers

    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError):
        return domain_response(error)

    @app.errorhandler(IntegrityError)
    def _integrity_error(error: IntegrityError):
        from webapi.extensions import db

        db.session.rollback()
        return envelope(409, "The change conflicts with existing data.", None), 409

    @app.errorhandler(DataError)
    def _data_error(error: DataError):
        from webapi.extensions import db

        db.session.rollback()
        return envelope(422, "A value is out of range for its field.", None), 422
