"""Health: tells the database and Redis apart."""

import marshmallow as ma
from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import text

from webapi.extensions import db

blp = Blueprint("health", __name__, description="Liveness of the API and its stores.")


class HealthSchema(ma.Schema):
    """Each store's state."""

    status = ma.fields.String(required=True)
    database = ma.fields.String(required=True)
    redis = ma.fields.String(required=True)


def _probe(check) -> str:
    try:
        check()
    except Exception:  # noqa: BLE001 - any failure means the store is unavailable
        return "unavailable"
    return "ok"


@blp.route("/health")
class Health(MethodView):
    """Health."""

    @blp.doc(security=[])
    @blp.response(200, HealthSchema)
    @blp.alt_response(503, schema=HealthSchema, description="A store is unavailable")
    def get(self):
        """Check the database and Redis; 503 when either is down."""
        database = _probe(lambda: db.session.execute(text("SELECT 1")))
        db.session.rollback()
        redis = _probe(lambda: current_app.extensions["redis"].ping())
        healthy = database == redis == "ok"
        body = {"status": "ok" if healthy else "degraded", "database": database, "redis": redis}
        return body, 200 if healthy else 503
