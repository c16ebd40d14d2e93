"""The application factory."""

from __future__ import annotations

from flask import Flask, send_from_directory
from redis import Redis

from webapi import auth, cli, monitoring
from webapi.errors import register_error_handlers
from webapi.extensions import api, db, migrate
from webapi.resources import (
    clicks,
    health,
    history,
    invite_links,
    mailings,
    sending,
    series,
    telegram_webhook,
    users,
)
from webapi.resources.common import INT64_SCHEMA, Int64Converter, document_request_rules
from webapi.settings import ROOT, Settings, load_settings

MAX_BODY_BYTES = 1024 * 1024
# Swagger UI's files are served by the app itself, so /docs works with no internet access.
SWAGGER_ASSETS = "/docs/assets"
REQUIRED = ("DATABASE_URL", "REDIS_URL", "JWT_SECRET_KEY", "ADMIN_KEY")
# Webhook mode runs the bot's handlers in web (see wsgi.py): they need the bot's token.
WEBHOOK_REQUIRED = ("BOT_TOKEN",)


def _swagger_asset(filename: str):
    from swagger_ui_bundle import swagger_ui_path

    return send_from_directory(swagger_ui_path, filename, max_age=86400)


def create_app(settings: Settings | None = None) -> Flask:
    """Build the API app from settings (default: the environment)."""
    settings = (settings or load_settings()).require(*REQUIRED)
    if settings.webhook_url:
        settings.require(*WEBHOOK_REQUIRED)
    app = Flask(__name__)
    app.config.update(
        SETTINGS=settings,
        ADMIN_KEY=settings.admin_key,
        SQLALCHEMY_DATABASE_URI=settings.database_url,
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        API_TITLE="Rassylka API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL=SWAGGER_ASSETS + "/",
        API_SPEC_OPTIONS={
            "components": {
                "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}
            },
            "security": [{"bearerAuth": []}],
        },
    )
    app.json.sort_keys = False
    app.url_map.converters["int64"] = Int64Converter
    app.extensions["redis"] = Redis.from_url(settings.redis_url, socket_timeout=5, socket_connect_timeout=5)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), compare_type=True)
    auth.configure_jwt(app, settings.jwt_secret_key)
    api.init_app(app)
    api.register_converter(Int64Converter, lambda converter: INT64_SCHEMA)
    document_request_rules(api)
    for module in (health, users, mailings, sending, history, invite_links, clicks, series, telegram_webhook):
        api.register_blueprint(module.blp)
    register_error_handlers(app)
    monitoring.init_app(app, settings)
    app.add_url_rule(f"{SWAGGER_ASSETS}/<path:filename>", "swagger_assets", _swagger_asset)
    cli.register(app)
    return app
