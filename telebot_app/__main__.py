"""`python -m telebot_app`: the bot with threaded long polling."""

import logging

from telebot_app.bot import create_bot
from telebot_app.commands import install_default_commands
from webapi.settings import exit_on_config_error, load_settings

REQUIRED = ("BOT_TOKEN", "REDIS_URL", "JWT_SECRET_KEY")
ALLOWED_UPDATES = ["message", "callback_query"]
REDACTED = "[redacted]"


class SecretsFilter(logging.Filter):
    """Keep the bot token and JWT secret out of the logs (pyTelegramBotAPI logs request URLs on errors)."""

    def __init__(self, secrets: list[str | None]) -> None:
        super().__init__()
        self.secrets = [secret for secret in secrets if secret]

    def filter(self, record: logging.LogRecord) -> bool:
        """Render the message and replace every secret in it (and in its traceback)."""
        message = record.getMessage()
        if record.exc_info:
            message += "\n" + logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        for secret in self.secrets:
            message = message.replace(secret, REDACTED)
        record.msg, record.args = message, None
        return True


def main() -> None:
    """Check settings, set the command menu and poll until stopped."""
    settings = exit_on_config_error(lambda: load_settings(require=REQUIRED))
    handler = logging.StreamHandler()
    handler.addFilter(SecretsFilter([settings.bot_token, settings.jwt_secret_key, settings.admin_key]))
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", handlers=[handler]
    )
    log = logging.getLogger("telebot_app")
    bot = create_bot(settings)
    try:
        install_default_commands(bot, settings.bot_language)
    except Exception:  # the menu is a convenience; polling below retries Telegram on its own
        log.exception("could not set the command menu")
    log.info("bot started; API at %s, Telegram at %s", settings.api_url, settings.telegram_api_url)
    bot.infinity_polling(timeout=20, long_polling_timeout=20, allowed_updates=ALLOWED_UPDATES)


if __name__ == "__main__":
    main()
