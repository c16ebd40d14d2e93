"""The Telegram bot: subscription, admin registration, admin menu and the mailing constructor."""
