"""Control API: users, groups, bots, limits, faults, stats and reset under ``/sandbox``."""

import itertools
from dataclasses import asdict

from aiohttp import web

from telegram_sandbox import play
from telegram_sandbox.control_common import ControlError, body, control, int_arg
from telegram_sandbox.state import TOKEN_RE, USER_STATUSES, World

MAX_BULK = 1_000_000
MAX_PAGE = 10_000


def _text(data: dict, name: str, required: bool = False) -> str | None:
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise ControlError(400, f"{name} is required")
        return None
    return str(value)


@control
async def create_user(request: web.Request, world: World) -> dict:
    """Create a user (id optional)."""
    data = await body(request)
    user = world.add_user(
        id=int_arg(data["id"], "id") if data.get("id") is not None else None,
        first_name=_text(data, "first_name") or "User",
        last_name=_text(data, "last_name"),
        username=_text(data, "username"),
        language_code=_text(data, "language_code"),
    )
    if user.id <= 0:
        raise ControlError(400, "a user id must be positive")
    return user.describe()


@control
async def create_users_bulk(request: web.Request, world: World) -> dict:
    """Create ``count`` users with consecutive ids."""
    data = await body(request)
    count = int_arg(data.get("count"), "count")
    if not 1 <= count <= MAX_BULK:
        raise ControlError(400, f"count must be within 1..{MAX_BULK}")
    start = int_arg(data["start_id"], "start_id") if data.get("start_id") is not None else None
    if start is not None and start <= 0:
        raise ControlError(400, "start_id must be positive")
    prefix = str(data.get("first_name_prefix") or "User ")
    ids = world.add_users(count, start, _text(data, "language_code"), prefix)
    return {"created": count, "first_id": ids[0], "last_id": ids[-1], "total": len(world.users)}


@control
async def list_users(request: web.Request, world: World) -> dict:
    """Users with their status and how many messages each received, paginated."""
    offset = max(int_arg(request.query.get("offset", 0), "offset"), 0)
    limit = min(max(int_arg(request.query.get("limit", 100), "limit"), 1), MAX_PAGE)
    page = itertools.islice(world.users.values(), offset, offset + limit)
    return {
        "total": len(world.users),
        "offset": offset,
        "limit": limit,
        "users": [u.describe() for u in page],
    }


def _user(world: World, user_id: str):
    user = world.users.get(int_arg(user_id, "user id"))
    if user is None:
        raise ControlError(404, f"user {user_id} does not exist")
    return user


@control
async def get_user(request: web.Request, world: World) -> dict:
    """One user."""
    return _user(world, request.match_info["user_id"]).describe()


@control
async def patch_user(request: web.Request, world: World) -> dict:
    """Change a user's status: active, blocked, deactivated or missing."""
    user = _user(world, request.match_info["user_id"])
    data = await body(request)
    status = data.get("status")
    if status not in USER_STATUSES:
        raise ControlError(400, f"status must be one of {', '.join(USER_STATUSES)}")
    user.status = status
    return user.describe()


@control
async def create_group(request: web.Request, world: World) -> dict:
    """Create a group (or a supergroup with ``type``)."""
    data = await body(request)
    kind = data.get("type", "group")
    if kind not in ("group", "supergroup"):
        raise ControlError(400, "type must be group or supergroup")
    group_id = int_arg(data["id"], "id") if data.get("id") is not None else None
    if group_id is not None and group_id >= 0:
        raise ControlError(400, "a group id must be negative")
    return world.add_group(_text(data, "title", required=True), group_id, kind).describe()


@control
async def list_groups(request: web.Request, world: World) -> dict:
    """All groups."""
    return {"groups": [group.describe() for group in world.groups.values()]}


@control
async def migrate_group(request: web.Request, world: World) -> dict:
    """Upgrade a group to a supergroup; the old id then answers with migrate_to_chat_id."""
    group = world.groups.get(int_arg(request.match_info["group_id"], "group id"))
    if group is None:
        raise ControlError(404, "no such group")
    if group.type != "group" or group.migrated_to is not None:
        raise ControlError(409, "only a group that was not migrated yet can migrate")
    return {"old_id": group.id, "new_id": world.migrate_group(group).id}


@control
async def list_bots(request: web.Request, world: World) -> dict:
    """Known bots."""
    return {
        "bots": [
            {"token": bot.token, "id": bot.id, "username": bot.username, "revoked": bot.revoked}
            for bot in world.bots.values()
        ]
    }


@control
async def register_bot(request: web.Request, world: World) -> dict:
    """Register a bot token ahead of its first Bot API call."""
    data = await body(request)
    token = str(data.get("token") or "")
    if not TOKEN_RE.match(token):
        raise ControlError(400, "a token looks like 123456:ABC-def_1")
    bot = world.bot(token)
    if bot is None:
        raise ControlError(409, "this token was revoked")
    return {"token": bot.token, "id": bot.id, "username": bot.username}


@control
async def revoke_bot(request: web.Request, world: World) -> dict:
    """Revoke a token: its Bot API calls then answer 401 Unauthorized."""
    token = request.match_info["token"]
    world.revoked.add(token)
    bot = world.bots.get(token)
    if bot is not None:
        bot.revoked = True
    return {"token": token, "revoked": True}


@control
async def bot_commands(request: web.Request, world: World) -> dict:
    """The commands a bot set, per scope and language."""
    bot = world.bots.get(request.match_info["token"])
    if bot is None:
        raise ControlError(404, "unknown bot")
    scopes = [
        {"scope": scope, "language_code": language, "commands": commands}
        for (scope, language), commands in bot.commands.items()
    ]
    return {"token": bot.token, "scopes": scopes}


def _limits_view(world: World, token: str | None) -> dict:
    config = world.limiter.config(token) if token else world.limiter.default
    return {"token": token, "limits": asdict(config)}


@control
async def get_limits(request: web.Request, world: World) -> dict:
    """The limits in force (default, or of ``?token=``)."""
    return _limits_view(world, request.query.get("token"))


@control
async def put_limits(request: web.Request, world: World) -> dict:
    """Change limits: the default, or one token's with ``token``."""
    data = await body(request)
    token = data.pop("token", None) or request.query.get("token")
    world.limiter.configure(data, token)
    return _limits_view(world, token)


@control
async def add_fault(request: web.Request, world: World) -> dict:
    """Add a fault rule."""
    return world.faults.add(await body(request)).describe()


@control
async def list_faults(request: web.Request, world: World) -> dict:
    """Fault rules in force, how often each kind fired and how many faulted calls were delivered."""
    faults = world.faults
    return {
        "faults": [fault.describe() for fault in faults.rules],
        "fired": dict(faults.fired),
        "delivered": dict(faults.delivered),
    }


@control
async def clear_faults(request: web.Request, world: World) -> dict:
    """Remove every fault rule."""
    cleared = len(world.faults.rules)
    world.faults.clear()
    return {"cleared": cleared}


@control
async def stats(request: web.Request, world: World) -> dict:
    """Counters per token and per chat: sent, 429s, violations, faults, max in any second."""
    token = request.query.get("token")
    if token:
        return {"token": token, **world.limiter.token_counters(token).report()}
    return {
        "tokens": {name: counters.report() for name, counters in world.limiter.counters.items()},
        "faults_fired": dict(world.faults.fired),
        "users": len(world.users),
        "groups": len(world.groups),
    }


@control
async def reset(request: web.Request, world: World) -> dict:
    """Forget everything (or keep users and groups with keep_users)."""
    data = await body(request)
    world.reset(keep_users=bool(data.get("keep_users")))
    return {"reset": True, "kept_users": len(world.users)}


def add_routes(app: web.Application) -> None:
    """Register every control endpoint."""
    router = app.router
    router.add_post("/sandbox/users", create_user)
    router.add_post("/sandbox/users/bulk", create_users_bulk)
    router.add_get("/sandbox/users", list_users)
    router.add_get("/sandbox/users/{user_id}", get_user)
    router.add_patch("/sandbox/users/{user_id}", patch_user)
    router.add_post("/sandbox/groups", create_group)
    router.add_get("/sandbox/groups", list_groups)
    router.add_post("/sandbox/groups/{group_id}/migrate", migrate_group)
    router.add_get("/sandbox/bots", list_bots)
    router.add_post("/sandbox/bots", register_bot)
    router.add_post("/sandbox/bots/{token}/revoke", revoke_bot)
    router.add_get("/sandbox/bots/{token}/commands", bot_commands)
    router.add_get("/sandbox/config/limits", get_limits)
    router.add_put("/sandbox/config/limits", put_limits)
    router.add_post("/sandbox/faults", add_fault)
    router.add_get("/sandbox/faults", list_faults)
    router.add_delete("/sandbox/faults", clear_faults)
    router.add_get("/sandbox/stats", stats)
    router.add_post("/sandbox/reset", reset)
    play.add_routes(app)
