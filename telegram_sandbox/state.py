"""The sandbox's world: users, groups, bots, what each bot sent where, files and updates.

Everything lives in one event loop, so nothing here is locked.
"""

import asyncio
import itertools
import re
import secrets
import time
from collections import deque
from dataclasses import dataclass, field

from telegram_sandbox.faults import FaultBook
from telegram_sandbox.limits import RateLimiter

TOKEN_RE = re.compile(r"^(\d+):[A-Za-z0-9_-]+$")
USER_STATUSES = ("active", "blocked", "deactivated", "missing")
FIRST_USER_ID = 100_000_001
FIRST_GROUP_ID = -4_000_000_001
FIRST_SUPERGROUP_ID = -1_002_000_000_001
# Chat versions come from one counter for the whole process, so a version seen before a reset
# is never mistaken for one after it.
_chat_versions = itertools.count(1)


@dataclass(slots=True, eq=False)
class User:
    """A Telegram user; their private chat with any bot has the same id."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    status: str = "active"
    received: int = 0
    _as_user: dict | None = None
    _as_chat: dict | None = None

    def as_user(self) -> dict:
        """The Bot API User object."""
        if self._as_user is None:
            user = {"id": self.id, "is_bot": False, "first_name": self.first_name}
            if self.last_name:
                user["last_name"] = self.last_name
            if self.username:
                user["username"] = self.username
            if self.language_code:
                user["language_code"] = self.language_code
            self._as_user = user
        return self._as_user

    def as_chat(self) -> dict:
        """The Bot API Chat object of the private chat."""
        if self._as_chat is None:
            chat = {"id": self.id, "first_name": self.first_name}
            if self.last_name:
                chat["last_name"] = self.last_name
            if self.username:
                chat["username"] = self.username
            chat["type"] = "private"
            self._as_chat = chat
        return self._as_chat

    def describe(self) -> dict:
        """The user as the control API shows it."""
        return {**self.as_user(), "status": self.status, "received": self.received}


@dataclass(slots=True, eq=False)
class Group:
    """A group or supergroup; a migrated group answers with ``migrate_to_chat_id``."""

    id: int
    title: str
    type: str = "group"
    migrated_to: int | None = None
    _as_chat: dict | None = None

    def as_chat(self) -> dict:
        """The Bot API Chat object."""
        if self._as_chat is None:
            self._as_chat = {"id": self.id, "title": self.title, "type": self.type}
        return self._as_chat

    def describe(self) -> dict:
        """The group as the control API shows it."""
        return {**self.as_chat(), "migrated_to": self.migrated_to}


@dataclass(slots=True, eq=False)
class StoredFile:
    """A file a bot can use by ``file_id`` and download by ``file_path``."""

    file_id: str
    file_unique_id: str
    kind: str
    content: bytes
    file_path: str
    meta: dict


@dataclass(slots=True, eq=False)
class Record:
    """One message in a chat as the sandbox keeps it."""

    message: dict
    outgoing: bool
    edited: bool = False
    deleted: bool = False
    reply_keyboard: dict | None = None
    # When it reached the sandbox (Unix time, sub-second): tests measure timeliness and gaps by it.
    received_at: float = 0.0


@dataclass(slots=True, eq=False)
class ChatLog:
    """The messages of one chat as seen by one bot, with the chat's own message ids."""

    next_id: int = 1
    records: dict[int, Record] = field(default_factory=dict)
    version: int = 0

    def touch(self) -> None:
        """Note that a message of this chat was added, edited or deleted (the page polls for this)."""
        self.version = next(_chat_versions)

    def take_id(self) -> int:
        """Reserve the next message id of this chat."""
        message_id = self.next_id
        self.next_id += 1
        return message_id


class Bot:
    """A bot known by its token: its updates, files, chats and commands."""

    def __init__(self, token: str, bot_id: int) -> None:
        self.token = token
        self.id = bot_id
        self.username = f"sandbox_{bot_id}_bot"
        self.first_name = "Sandbox Bot"
        self.revoked = False
        self.as_user = {
            "id": bot_id,
            "is_bot": True,
            "first_name": self.first_name,
            "username": self.username,
        }
        self.updates: deque[dict] = deque()
        self.next_update_id = 1
        self.poller: asyncio.Future | None = None
        self.allowed_updates: list[str] | None = None
        self.webhook: dict | None = None
        # Webhook pushing (telegram_sandbox/webhooks.py): its task, its wake-up, every attempt, faults.
        self.webhook_task: asyncio.Task | None = None
        self.webhook_wake = asyncio.Event()
        self.webhook_log: list[dict] = []
        self.webhook_lose_answers = 0
        # Pauses between attempts at one update: the first, doubling up to the last (Telegram's are longer).
        self.webhook_retry = (0.2, 10.0)
        self.commands: dict[tuple[str, str], list[dict]] = {}
        self.files: dict[str, StoredFile] = {}
        self.chats: dict[int, ChatLog] = {}
        self.callback_queries: dict[str, dict] = {}

    def chat_log(self, chat_id: int) -> ChatLog:
        """The log of one chat, created on first use."""
        log = self.chats.get(chat_id)
        if log is None:
            log = self.chats[chat_id] = ChatLog()
        return log

    def queue_update(self, kind: str, payload: dict) -> dict:
        """Queue an update for getUpdates and wake a waiting long poll."""
        update = {"update_id": self.next_update_id, kind: payload}
        self.next_update_id += 1
        self.updates.append(update)
        if self.poller is not None and not self.poller.done():
            self.poller.set_result("update")
        self.webhook_wake.set()
        return update


class World:
    """All state of one sandbox server."""

    def __init__(self, limits_enabled: bool = True, tokens: tuple[str, ...] = ()) -> None:
        self.limits_enabled = limits_enabled
        self.preset_tokens = tuple(tokens)
        self.started = time.time()
        self.stop_event = asyncio.Event()
        self.users: dict[int, User] = {}
        self._reset_all(keep_users=False)

    def _reset_all(self, keep_users: bool) -> None:
        if not keep_users:
            self.users = {}
            self.groups: dict[int, Group] = {}
        else:
            for user in self.users.values():
                user.received = 0
        self.bots: dict[str, Bot] = {}
        self.revoked: set[str] = set()
        self.files_by_path: dict[str, tuple[str, StoredFile]] = {}
        self.callback_answers: list[dict] = []
        self.faults = FaultBook()
        self.limiter = RateLimiter(enabled=self.limits_enabled)
        self._ids = itertools.count(1)
        self._group_ids = itertools.count(0)
        self._supergroup_ids = itertools.count(0)
        for token in self.preset_tokens:
            self.bot(token)

    def reset(self, keep_users: bool = False) -> None:
        """Forget everything, or everything but users and groups."""
        for bot in self.bots.values():
            if bot.poller is not None and not bot.poller.done():
                bot.poller.cancel()
            if bot.webhook_task is not None and not bot.webhook_task.done():
                bot.webhook_task.cancel()
        self._reset_all(keep_users)

    def bot(self, token: str) -> Bot | None:
        """The bot of a well-formed, unrevoked token (created on first use), else None."""
        bot = self.bots.get(token)
        if bot is not None:
            return None if bot.revoked else bot
        match = TOKEN_RE.match(token)
        if match is None or token in self.revoked:
            return None
        bot = self.bots[token] = Bot(token, int(match.group(1)))
        return bot

    def next_user_id(self) -> int:
        """The lowest id above every known user."""
        return max(self.users, default=FIRST_USER_ID - 1) + 1

    def add_user(self, **fields) -> User:
        """Create (or replace) a user."""
        user_id = fields.pop("id", None)
        user = User(id=int(user_id) if user_id is not None else self.next_user_id(), **fields)
        self.users[user.id] = user
        return user

    def add_users(self, count: int, start_id: int | None, language_code: str | None, prefix: str) -> range:
        """Create ``count`` users with consecutive ids."""
        start = self.next_user_id() if start_id is None else start_id
        ids = range(start, start + count)
        users = self.users
        for user_id in ids:
            users[user_id] = User(user_id, f"{prefix}{user_id}", None, None, language_code)
        return ids

    def add_group(self, title: str, group_id: int | None = None, kind: str = "group") -> Group:
        """Create a group (negative id) or supergroup (-100… id)."""
        if group_id is None:
            if kind == "supergroup":
                group_id = FIRST_SUPERGROUP_ID - next(self._supergroup_ids)
            else:
                group_id = FIRST_GROUP_ID - next(self._group_ids)
                while group_id in self.groups:
                    group_id = FIRST_GROUP_ID - next(self._group_ids)
        group = Group(group_id, title, kind)
        self.groups[group_id] = group
        return group

    def migrate_group(self, group: Group) -> Group:
        """Upgrade a group to a new supergroup; the old id then answers with migrate_to_chat_id."""
        new_id = FIRST_SUPERGROUP_ID - next(self._supergroup_ids)
        while new_id in self.groups:
            new_id = FIRST_SUPERGROUP_ID - next(self._supergroup_ids)
        supergroup = self.add_group(group.title, new_id, "supergroup")
        group.migrated_to = supergroup.id
        return supergroup

    def new_file(self, bot: Bot, kind: str, content: bytes, meta: dict, extension: str) -> StoredFile:
        """Register a file owned by ``bot``."""
        serial = next(self._ids)
        unique = secrets.token_urlsafe(9)
        stored = StoredFile(
            file_id=f"{_PREFIX.get(kind, 'BQ')}ACAgIAAxkBAA{serial:06d}{secrets.token_urlsafe(24)}",
            file_unique_id=f"AQAD{unique}",
            kind=kind,
            content=content,
            file_path=f"{_FOLDER.get(kind, 'documents')}/file_{serial}.{extension}",
            meta=meta,
        )
        bot.files[stored.file_id] = stored
        self.files_by_path[stored.file_path] = (bot.token, stored)
        return stored


_PREFIX = {"photo": "Ag", "animation": "Cg", "video": "BA", "document": "BQ", "audio": "CQ", "voice": "Aw"}
_FOLDER = {
    "photo": "photos",
    "animation": "animations",
    "video": "videos",
    "document": "documents",
    "audio": "music",
    "voice": "voice",
}
