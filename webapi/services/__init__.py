"""Business logic shared by the API and the workers; knows nothing of HTTP or Telegram."""
