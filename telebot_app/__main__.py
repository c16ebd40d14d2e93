"""`python -m telebot_app`: the bot with threaded long polling (in webhook mode: set the webhook and stop)."""

import logging

from telebot_app.bot import build_runtime, create_bot
from telebot_app.commands import install_default_commands
from telebot_app.notices import start_role_notices
from telebot_app.webhook import ALLOWED_UPDATES, set_or_delete_webhook
from webapi.error_tracking import init_error_tracking
from webapi.logs import configure_logging, settings_secrets
from webapi.settings import exit_on_config_error, load_settings

REQUIRED = ("BOT_TOKEN", "REDIS_URL", "JWT_SECRET_KEY")


def main() -> None:
    """Check settings, set the command menu and poll until stopped."""
    settings = exit_on_config_error(lambda: load_settings(require=REQUIRED))
    configure_logging(settings.log_format, settings_secrets(settings))
    init_error_tracking(settings, "bot")
    log = logging.getLogger("telebot_app")
    runtime = build_runtime(settings)
    bot = create_bot(settings, runtime)
    if settings.webhook_url:
        # Telegram posts the updates to web, whose handlers are this bot's: this process is not needed.
        log.info(
            "WEBHOOK_URL is set: %s; web handles the updates, so this process stops",
            set_or_delete_webhook(bot, settings),
        )
        install_default_commands(bot, settings.bot_language)
        return
    try:
        # Back from webhook mode: Telegram refuses getUpdates (409) while a webhook is set.
        set_or_delete_webhook(bot, settings)
    except Exception:  # polling below reports Telegram's answer and retries on its own
        log.exception("could not delete the webhook")
    try:
        install_default_commands(bot, settings.bot_language)
    except Exception:  # the menu is a convenience; polling below retries Telegram on its own
        log.exception("could not set the command menu")
    start_role_notices(bot, runtime.redis, settings.bot_language)
    log.info("bot started; API at %s, Telegram at %s", settings.api_url, settings.telegram_api_url)
    bot.infinity_polling(timeout=20, long_polling_timeout=20, allowed_updates=ALLOWED_UPDATES)


if __name__ == "__main__":
    main()
