"""The Bot API endpoint: token check, method dispatch, flood limits and injected faults."""

import asyncio
import contextlib
import inspect
import json
from collections.abc import Callable

from aiohttp import web

from telegram_sandbox import bot_methods, sending, webhooks
from telegram_sandbox.faults import Fault
from telegram_sandbox.params import BotApiError, bool_param, chat_id_param, read_params
from telegram_sandbox.state import World

WORLD = web.AppKey("world", World)

METHODS: dict[str, Callable] = {
    "getme": bot_methods.get_me,
    "getupdates": bot_methods.get_updates,
    "setwebhook": webhooks.set_webhook,
    "deletewebhook": webhooks.delete_webhook,
    "getwebhookinfo": webhooks.get_webhook_info,
    "setmycommands": bot_methods.set_my_commands,
    "getmycommands": bot_methods.get_my_commands,
    "deletemycommands": bot_methods.delete_my_commands,
    "getchat": bot_methods.get_chat,
    "getfile": bot_methods.get_file,
    "answercallbackquery": bot_methods.answer_callback_query,
    "sendchataction": bot_methods.send_chat_action,
    "sendmessage": sending.send_message,
    "copymessage": sending.copy_message,
    "editmessagetext": sending.edit_message_text,
    "editmessagecaption": sending.edit_message_caption,
    "editmessagereplymarkup": sending.edit_message_reply_markup,
    "deletemessage": sending.delete_message,
}
for _name, _kind in sending.MEDIA_METHODS.items():
    METHODS[_name] = lambda world, bot, params, kind=_kind: sending.send_media(world, bot, params, kind)
ASYNC_METHODS = frozenset(name for name, handler in METHODS.items() if inspect.iscoroutinefunction(handler))


def _json(payload: dict, status: int = 200) -> web.Response:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return web.Response(body=body, status=status, content_type="application/json")


def _fixed(code: int, description: str) -> tuple[int, bytes]:
    body = {"ok": False, "error_code": code, "description": description}
    return code, json.dumps(body, separators=(",", ":")).encode()


def _front_end_page(code: int, reason: str) -> bytes:
    title = f"{code} {reason}"
    return (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n"
        "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    ).encode()


_UNAUTHORIZED = _fixed(401, "Unauthorized")
_NOT_FOUND = _fixed(404, "Not Found")
# A 500 comes from the Bot API itself; 502-504 from the front end, as its HTML page, not JSON.
_SERVER_ERRORS = {
    500: (_fixed(500, "Internal Server Error")[1], "application/json"),
    502: (_front_end_page(502, "Bad Gateway"), "text/html"),
    503: (_front_end_page(503, "Service Temporarily Unavailable"), "text/html"),
    504: (_front_end_page(504, "Gateway Time-out"), "text/html"),
}


def _fixed_response(fixed: tuple[int, bytes]) -> web.Response:
    return web.Response(body=fixed[1], status=fixed[0], content_type="application/json")


def _server_error(status: int) -> web.Response:
    body, content_type = _SERVER_ERRORS[status]
    return web.Response(body=body, status=status, content_type=content_type)


async def _call(world: World, token: str, name: str, params: dict) -> web.Response:
    bot = world.bots[token]
    try:
        if name in sending.SENDING_METHODS:
            chat_id = chat_id_param(params)
            retry_after = world.limiter.admit(token, chat_id, bool_param(params, "allow_paid_broadcast"))
            if retry_after:
                raise BotApiError(
                    429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
                )
        if name in ASYNC_METHODS:
            result = await METHODS[name](world, bot, params)
        else:
            result = METHODS[name](world, bot, params)
    except BotApiError as error:
        return _json(error.payload(), error.code)
    if isinstance(result, bot_methods.Described):
        return _json({"ok": True, "result": result.result, "description": result.description})
    return _json({"ok": True, "result": result})


async def _wait_for_stop(world: World, seconds: float | None) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(world.stop_event.wait(), seconds)


def _close_without_answer(request: web.Request) -> web.Response:
    transport = request.transport
    if transport is not None:
        transport.abort()
    # aiohttp cannot write to an aborted transport; this response is never seen.
    return web.Response(status=499)


async def _carry_out(world: World, token: str, name: str, params: dict, fault: Fault) -> web.Response:
    response = await _call(world, token, name, params)
    if response.status == 200:
        world.faults.count_delivered(fault)
    return response


async def _faulted(world: World, request: web.Request, token: str, name: str, params: dict, fault: Fault):
    world.limiter.count_fault(token, fault.kind)
    if fault.kind == "error":
        if fault.deliver:
            await _carry_out(world, token, name, params, fault)
        return _server_error(fault.status)
    if fault.kind == "delay":
        response = await _carry_out(world, token, name, params, fault)
        await _wait_for_stop(world, fault.seconds)
        return response
    if fault.kind == "drop":
        await _carry_out(world, token, name, params, fault)
        return _close_without_answer(request)
    if fault.deliver:
        await _carry_out(world, token, name, params, fault)
    await _wait_for_stop(world, fault.seconds or None)
    return _close_without_answer(request)


async def handle_bot_api(request: web.Request) -> web.Response:
    """``/bot<token>/<method>``: one Bot API call."""
    world = request.app[WORLD]
    token = request.match_info["token"]
    bot = world.bot(token)
    if bot is None:
        return _fixed_response(_UNAUTHORIZED)
    name = request.match_info["method"].lower()
    if name not in METHODS:
        return _fixed_response(_NOT_FOUND)
    try:
        params = await read_params(request)
    except BotApiError as error:
        return _json(error.payload(), error.code)
    world.limiter.count_request(token, name)
    if world.faults.rules:
        fault = world.faults.pick(name, token)
        if fault is not None:
            return await _faulted(world, request, token, name, params, fault)
    return await _call(world, token, name, params)


async def handle_not_found(request: web.Request) -> web.Response:
    """``/bot<token>`` without a method, and other unknown Bot API paths."""
    return _fixed_response(_NOT_FOUND)


async def handle_file(request: web.Request) -> web.StreamResponse:
    """``/file/bot<token>/<file_path>``: download a file this bot may use."""
    world = request.app[WORLD]
    bot = world.bot(request.match_info["token"])
    if bot is None:
        return _fixed_response(_UNAUTHORIZED)
    found = world.files_by_path.get(request.match_info["path"])
    if found is None or found[0] != bot.token:
        return _fixed_response(_NOT_FOUND)
    stored = found[1]
    content_type = stored.meta.get(
        "mime_type", "image/jpeg" if stored.kind == "photo" else "application/octet-stream"
    )
    return web.Response(body=stored.content, content_type=content_type)
