"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi …`."""

from webapi.app import create_app
from webapi.settings import exit_on_config_error

app = exit_on_config_error(create_app)
