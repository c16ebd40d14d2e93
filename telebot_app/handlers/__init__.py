"""One module per feature, each with register(bot); ORDER is the order handlers are tried in."""

from telebot import TeleBot

from telebot_app.handlers import (
    admin_menu,
    approval,
    audience,
    browser,
    buttons,
    canary,
    constructor,
    control,
    dialog,
    fallback,
    invite_links,
    media,
    roles,
    saving,
    series,
    subscription,
    tagging,
)

# Commands first (they work from any dialog), then the dialogs' callbacks and inputs, then the catch-alls.
ORDER = (
    dialog,
    subscription,
    admin_menu,
    roles,
    invite_links,
    tagging,
    browser,
    control,
    approval,
    media,  # before the constructor: its caption offer takes a captioned file at the text question
    constructor,
    buttons,
    audience,
    canary,
    series,
    saving,
    fallback,
)


def register_all(bot: TeleBot) -> None:
    """Register every feature's handlers in ORDER."""
    for module in ORDER:
        module.register(bot)
