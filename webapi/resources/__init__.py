"""The HTTP API: one module per resource, its schemas beside it."""

from flask_smorest import Blueprint

from webapi.auth import current_actor

MAX_PAGE = 100
MAX_OFFSET = 10**9


def protected_blueprint(name: str, import_name: str, url_prefix: str, description: str) -> Blueprint:
    """A blueprint every endpoint of which requires a valid bearer token."""
    blp = Blueprint(name, import_name, url_prefix=url_prefix, description=description)

    @blp.before_request
    def _authenticate() -> None:
        current_actor()

    return blp
