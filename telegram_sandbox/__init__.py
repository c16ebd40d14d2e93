"""A local Telegram Bot API server that behaves like Telegram, strictly, for Rassylka's tests."""

from telegram_sandbox.app import SandboxServer

__all__ = ["SandboxServer"]
