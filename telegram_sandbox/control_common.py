"""Shared pieces of the control API: JSON answers, errors and picking the bot a call is about."""

import functools
import json
from collections.abc import Awaitable, Callable

from aiohttp import web

from telegram_sandbox.botapi import WORLD
from telegram_sandbox.params import BotApiError
from telegram_sandbox.state import Bot, World


class ControlError(Exception):
    """A control API error, answered as ``{"error": message}`` with an HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def answer(payload: object, status: int = 200) -> web.Response:
    """A JSON answer."""
    return web.json_response(
        payload, status=status, dumps=lambda value: json.dumps(value, ensure_ascii=False)
    )


def control(handler: Callable[[web.Request, World], Awaitable[object]]) -> Callable:
    """Wrap a control handler: give it the world, turn its result and errors into JSON."""

    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.Response:
        try:
            result = await handler(request, request.app[WORLD])
        except ControlError as error:
            return answer({"error": error.message}, error.status)
        except BotApiError as error:
            return answer({"error": error.description, "telegram": error.payload()}, 400)
        except (ValueError, TypeError, KeyError) as error:
            return answer({"error": f"bad request: {error}"}, 400)
        if isinstance(result, web.StreamResponse):
            return result
        return answer(result)

    return wrapped


async def body(request: web.Request) -> dict:
    """The JSON object in the request body ({} when there is none)."""
    if not request.body_exists:
        return {}
    try:
        data = await request.json()
    except ValueError as error:
        raise ControlError(400, "the body must be a JSON object") from error
    if not isinstance(data, dict):
        raise ControlError(400, "the body must be a JSON object")
    return data


def pick_bot(world: World, request: web.Request, data: dict | None = None) -> Bot:
    """The bot named by ``token`` (body or query), or the only known bot."""
    token = (data or {}).get("token") or request.query.get("token")
    if token:
        bot = world.bot(str(token))
        if bot is None:
            raise ControlError(400, f"token {token!r} is malformed or revoked")
        return bot
    live = [bot for bot in world.bots.values() if not bot.revoked]
    if len(live) != 1:
        raise ControlError(400, f"say which bot with 'token': {len(live)} bots are known")
    return live[0]


def int_arg(value: object, name: str) -> int:
    """An integer from a path, query or body value."""
    try:
        return int(value)
    except (TypeError, ValueError) as error:
        raise ControlError(400, f"{name} must be an integer") from error
