"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi …`.

In webhook mode (WEBHOOK_URL set) the bot's handlers run in web too: the API's POST /telegram/webhook
hands updates to them. They are wired here, where the processes are put together, since the API
itself never imports the bot (nor the bot the API's internals).
"""

from webapi.app import create_app
from webapi.error_tracking import init_error_tracking
from webapi.logs import configure_logging, settings_secrets
from webapi.resources.telegram_webhook import UPDATE_SINK
from webapi.settings import exit_on_config_error

app = exit_on_config_error(create_app)
configure_logging(app.config["SETTINGS"].log_format, settings_secrets(app.config["SETTINGS"]))
init_error_tracking(app.config["SETTINGS"], "web")
if app.config["SETTINGS"].webhook_url:
    from telebot_app.webhook import UpdateLanes

    # Nothing starts until the first update or gunicorn's post_worker_init (gunicorn.conf.py).
    app.extensions[UPDATE_SINK] = UpdateLanes(app.config["SETTINGS"])
