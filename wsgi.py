"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi …`."""

from webapi.app import create_app
from webapi.logs import configure_logging, settings_secrets
from webapi.settings import exit_on_config_error

app = exit_on_config_error(create_app)
configure_logging(app.config["SETTINGS"].log_format, settings_secrets(app.config["SETTINGS"]))
