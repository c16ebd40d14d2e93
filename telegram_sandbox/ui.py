"""The browser page at ``/`` and the small control endpoints it needs.

The page (``static/``) polls ``/sandbox/ui/poll``, which answers in O(1) unless the chat on
screen changed since the version the page already has; then it sends that chat again.
"""

import os
import re
import time
from dataclasses import asdict
from pathlib import Path

from aiohttp import web

from telegram_sandbox.control_common import ControlError, body, control, int_arg, pick_bot
from telegram_sandbox.limits import LimitConfig
from telegram_sandbox.state import Bot, StoredFile, World

STATIC_DIR = Path(__file__).with_name("static")
ADMIN_KEY = web.AppKey("admin_key", str)
POLL_MS = 800
CHAT_TAIL = 300
MAX_USERS_PAGE = 200
# Tighter than Telegram on the global bucket, so a broadcast to a few hundred users meets 429s.
STRICT_LIMITS = LimitConfig(global_rate=5.0, global_burst=3.0)
_PAGE_POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; style-src 'self'; "
    "script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
_SHOWN_INLINE = re.compile(r"^(?:image/(?:png|jpeg|gif|webp)|video/[\w.+-]+|audio/[\w.+-]+)$")


def resolve_admin_key(admin_key: str | None) -> str:
    """The admin key the page's deep link sends: the one given, else env ``ADMIN_KEY``, else none ("")."""
    if admin_key is not None:
        return admin_key
    return os.environ.get("ADMIN_KEY", "")


async def index(request: web.Request) -> web.FileResponse:
    """The page: users, a chat with the bot, and the live panel."""
    return web.FileResponse(
        STATIC_DIR / "index.html",
        headers={"Content-Security-Policy": _PAGE_POLICY, "Cache-Control": "no-cache"},
    )


def _bots(world: World) -> list[dict]:
    return [
        {"token": bot.token, "id": bot.id, "username": bot.username}
        for bot in world.bots.values()
        if not bot.revoked
    ]


@control
async def ui_config(request: web.Request, world: World) -> dict:
    """What the page needs to start: the admin key for the deep link, the bots, the poll period."""
    return {"admin_key": request.app[ADMIN_KEY] or None, "bots": _bots(world), "poll_ms": POLL_MS}


def _file_type(stored: StoredFile) -> str:
    if stored.kind == "photo":
        head = stored.content[:12]
        if head.startswith(b"\x89PNG"):
            return "image/png"
        if head[:6] in (b"GIF87a", b"GIF89a"):
            return "image/gif"
        if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
            return "image/webp"
        return "image/jpeg"
    return str(stored.meta.get("mime_type") or "application/octet-stream")


@control
async def file_bytes(request: web.Request, world: World) -> web.Response:
    """``GET /sandbox/files/{file_id}``: the bytes of any bot's file, for the page to show."""
    file_id = request.match_info["file_id"]
    stored = next((bot.files[file_id] for bot in world.bots.values() if file_id in bot.files), None)
    if stored is None:
        raise ControlError(404, "no such file")
    content_type = _file_type(stored)
    headers = {
        "Cache-Control": "private, max-age=86400, immutable",
        "X-Content-Type-Options": "nosniff",
        # A bot's file must never run as a page of this origin (HTML, SVG, ...).
        "Content-Security-Policy": "sandbox; default-src 'none'",
    }
    if not _SHOWN_INLINE.match(content_type):
        name = re.sub(r"[^\w.-]", "_", str(stored.meta.get("file_name") or stored.file_path.rsplit("/")[-1]))
        headers["Content-Disposition"] = f'attachment; filename="{name}"'
        content_type = "application/octet-stream"
    return web.Response(body=stored.content, content_type=content_type, headers=headers)


def _matches(user, needle: str) -> bool:
    if needle in str(user.id):
        return True
    names = (user.first_name, user.last_name or "", user.username or "")
    return any(needle in name.lower() for name in names)


@control
async def ui_users(request: web.Request, world: World) -> dict:
    """Users, newest first, optionally those whose id, name or username contains ``q``."""
    needle = request.query.get("q", "").strip().lower().lstrip("@")
    offset = max(int_arg(request.query.get("offset", 0), "offset"), 0)
    limit = min(max(int_arg(request.query.get("limit", 50), "limit"), 1), MAX_USERS_PAGE)
    newest_first = reversed(world.users.values())
    if needle:
        found = [user for user in newest_first if _matches(user, needle)]
        total, page = len(found), found[offset : offset + limit]
    else:
        total, page = len(world.users), []
        for index, user in enumerate(newest_first):
            if index >= offset + limit:
                break
            if index >= offset:
                page.append(user)
    return {"total": total, "offset": offset, "limit": limit, "users": [u.describe() for u in page]}


def _chat(bot: Bot, chat_id: int) -> tuple[int, list[dict]]:
    log = bot.chats.get(chat_id)
    if log is None:
        return 0, []
    shown = [record for record in log.records.values() if not record.deleted][-CHAT_TAIL:]
    messages = []
    for record in shown:
        item = {**record.message, "outgoing": record.outgoing, "edited": record.edited}
        if record.reply_keyboard is not None:
            item["reply_keyboard"] = record.reply_keyboard
        messages.append(item)
    return log.version, messages


def _panel(world: World, bot: Bot) -> dict:
    counters = world.limiter.counters.get(bot.token)
    config = world.limiter.config(bot.token)
    if not config.enabled:
        limits = "off"
    elif world.limiter.per_token.get(bot.token) == STRICT_LIMITS:
        limits = "strict"
    else:
        limits = "on"
    rules = [fault.describe() for fault in world.faults.rules if fault.token in (None, bot.token)]
    return {
        "per_second": counters.per_second.get(int(time.time()) - 1, 0) if counters else 0,
        "sent": counters.sent if counters else 0,
        "too_many_requests": counters.too_many_requests if counters else 0,
        "violations": counters.violations if counters else 0,
        "faults_fired": sum(counters.faults.values()) if counters else 0,
        "faults": rules,
        "limits": limits,
        "users": len(world.users),
    }


@control
async def ui_poll(request: web.Request, world: World) -> dict:
    """One poll of the page: the chat if its version changed, new callback answers, the panel."""
    bot = pick_bot(world, request)
    query = request.query
    result: dict = {"bots": _bots(world), "panel": _panel(world, bot)}
    if query.get("chat_id"):
        chat_id = int_arg(query["chat_id"], "chat_id")
        log = bot.chats.get(chat_id)
        version = log.version if log else 0
        result["chat"] = {"id": chat_id, "version": version}
        if str(version) != query.get("version"):
            result["chat"]["messages"] = _chat(bot, chat_id)[1]
        answers = world.callback_answers
        seen = int_arg(query.get("answers", -1), "answers")
        if 0 <= seen <= len(answers):
            result["answers"] = [
                a for a in answers[seen:] if a["token"] == bot.token and a["user_id"] == chat_id
            ]
        result["answers_next"] = len(answers)
    return result


@control
async def strict_limits(request: web.Request, world: World) -> dict:
    """Switch a bot to strict limits (``{"enabled": true}``) or back to the default ones."""
    data = await body(request)
    bot = pick_bot(world, request, data)
    if data.get("enabled"):
        world.limiter.configure(asdict(STRICT_LIMITS), bot.token)
    else:
        world.limiter.forget(bot.token)
    return {"token": bot.token, "limits": asdict(world.limiter.config(bot.token))}


@control
async def remove_fault(request: web.Request, world: World) -> dict:
    """Remove one fault rule by id."""
    fault_id = int_arg(request.match_info["fault_id"], "fault id")
    if not world.faults.remove(fault_id):
        raise ControlError(404, f"no fault rule {fault_id}")
    return {"removed": fault_id}


def add_routes(app: web.Application, admin_key: str | None = None) -> None:
    """Serve the page, its static files and its endpoints."""
    app[ADMIN_KEY] = resolve_admin_key(admin_key)
    router = app.router
    router.add_get("/", index)
    router.add_static("/static/", STATIC_DIR)
    router.add_get("/sandbox/config/ui", ui_config)
    router.add_get("/sandbox/files/{file_id}", file_bytes)
    router.add_get("/sandbox/ui/users", ui_users)
    router.add_get("/sandbox/ui/poll", ui_poll)
    router.add_put("/sandbox/ui/strict_limits", strict_limits)
    router.add_delete("/sandbox/faults/{fault_id}", remove_fault)
