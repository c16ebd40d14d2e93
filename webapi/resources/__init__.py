"""The HTTP API: one module per resource, its schemas beside it."""

from flask import request
from flask_smorest import Blueprint
from webargs import core
from webargs.flaskparser import FlaskParser, abort, is_json_request

from webapi.auth import current_actor

MAX_PAGE = 100
MAX_OFFSET = 10**9


class BodyParser(FlaskParser):
    """webargs' parser, except that a JSON body must be there: every body this API takes is required."""

    def load_json(self, req, schema):
        """The JSON body; none at all, or one of another media type, is refused instead of read as {}."""
        data = super().load_json(req, schema)
        if data is core.missing:
            if req.get_data(cache=True) and not is_json_request(req):
                abort(415, message="Send the body as JSON, with Content-Type: application/json.")
            missing = {"code": "required", "params": {}, "message": "Missing JSON body."}
            abort(400, message="This request needs a JSON body.", messages={"json": [missing]})
        return data


class ApiBlueprint(Blueprint):
    """A flask-smorest blueprint whose views refuse a missing body (documented as required)."""

    ARGUMENTS_PARSER = BodyParser()


def protected_blueprint(name: str, import_name: str, url_prefix: str, description: str) -> Blueprint:
    """A blueprint every endpoint of which requires a valid bearer token."""
    blp = ApiBlueprint(name, import_name, url_prefix=url_prefix, description=description)

    @blp.before_request
    def _authenticate() -> None:
        # OPTIONS only answers which methods the URL allows (Allow), to anyone, as flask-jwt-extended
        # expects: it verifies no token for OPTIONS, so there would be no actor to resolve.
        if request.method != "OPTIONS":
            current_actor()

    return blp
