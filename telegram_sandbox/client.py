"""SandboxClient: a small requests-based wrapper over the sandbox's control API."""

import requests


class SandboxError(RuntimeError):
    """A control API call failed; ``status`` and ``payload`` say how."""

    def __init__(self, status: int, payload: object) -> None:
        super().__init__(f"sandbox answered {status}: {payload}")
        self.status = status
        self.payload = payload


class SandboxClient:
    """Create and play users, read chats and stats, configure limits and faults, reset."""

    def __init__(self, url: str, token: str | None = None, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.session = requests.Session()

    def _call(
        self, method: str, path: str, json: object = None, params: dict | None = None, **kwargs
    ) -> dict:
        response = self.session.request(
            method, self.url + path, json=json, params=params, timeout=self.timeout, **kwargs
        )
        try:
            payload = response.json()
        except ValueError:
            payload = response.text
        if response.status_code >= 400:
            raise SandboxError(response.status_code, payload)
        return payload

    def _token(self, token: str | None) -> dict:
        token = token or self.token
        return {"token": token} if token else {}

    # Bots
    def bot_api_url(self) -> str:
        """The value for ``telebot.apihelper.API_URL``."""
        return self.url + "/bot{0}/{1}"

    def file_url(self) -> str:
        """The value for ``telebot.apihelper.FILE_URL``."""
        return self.url + "/file/bot{0}/{1}"

    def register_bot(self, token: str) -> dict:
        """Make a bot known before its first Bot API call."""
        return self._call("POST", "/sandbox/bots", {"token": token})

    def revoke_bot(self, token: str) -> dict:
        """Revoke a token: its calls then answer 401."""
        return self._call("POST", f"/sandbox/bots/{token}/revoke")

    def bot_commands(self, token: str | None = None) -> dict:
        """Commands the bot set, per scope and language."""
        return self._call("GET", f"/sandbox/bots/{token or self.token}/commands")

    # Users and groups
    def create_user(self, first_name: str = "User", **fields) -> dict:
        """Create a user: id, first_name, last_name, username, language_code."""
        return self._call("POST", "/sandbox/users", {"first_name": first_name, **fields})

    def create_users(self, count: int, start_id: int | None = None, **fields) -> dict:
        """Create ``count`` users at once."""
        return self._call("POST", "/sandbox/users/bulk", {"count": count, "start_id": start_id, **fields})

    def users(self, offset: int = 0, limit: int = 100) -> dict:
        """A page of users with their status and received counts."""
        return self._call("GET", "/sandbox/users", params={"offset": offset, "limit": limit})

    def user(self, user_id: int) -> dict:
        """One user."""
        return self._call("GET", f"/sandbox/users/{user_id}")

    def set_status(self, user_id: int, status: str) -> dict:
        """active, blocked, deactivated or missing."""
        return self._call("PATCH", f"/sandbox/users/{user_id}", {"status": status})

    def create_group(self, title: str, group_id: int | None = None, kind: str = "group") -> dict:
        """Create a group or supergroup."""
        return self._call("POST", "/sandbox/groups", {"title": title, "id": group_id, "type": kind})

    def migrate_group(self, group_id: int) -> int:
        """Upgrade a group to a supergroup; returns the new id."""
        return self._call("POST", f"/sandbox/groups/{group_id}/migrate")["new_id"]

    # Playing users
    def send_text(
        self, user_id: int, text: str, token: str | None = None, forward_from: int | None = None
    ) -> dict:
        """The user writes ``text`` to the bot; returns the queued Update."""
        data = {"text": text, **self._token(token)}
        if forward_from is not None:
            data["forward_from"] = forward_from
        return self._call("POST", f"/sandbox/users/{user_id}/messages", data)

    def send_media(
        self,
        user_id: int,
        kind: str,
        content: bytes | None = None,
        file_name: str | None = None,
        caption: str | None = None,
        token: str | None = None,
        media_group_id: str | None = None,
    ) -> dict:
        """The user sends a file (given bytes, or a generated one); returns the queued Update.

        Files sent with the same ``media_group_id`` are the items of one album.
        """
        path = f"/sandbox/users/{user_id}/media"
        fields = {"type": kind, **self._token(token)}
        if caption is not None:
            fields["caption"] = caption
        if media_group_id is not None:
            fields["media_group_id"] = media_group_id
        if content is None:
            return self._call("POST", path, {**fields, "file_name": file_name})
        files = {"file": (file_name or "upload", content)}
        return self._call("POST", path, data=fields, files=files)

    def press(self, user_id: int, message_id: int, callback_data: str, token: str | None = None) -> dict:
        """The user presses an inline button; returns the queued callback_query Update."""
        data = {"message_id": message_id, "callback_data": callback_data, **self._token(token)}
        return self._call("POST", f"/sandbox/users/{user_id}/press", data)

    # Reading
    def messages(
        self,
        chat_id: int,
        token: str | None = None,
        include_deleted: bool = False,
        include_incoming: bool = False,
    ) -> list[dict]:
        """Messages the bot sent in a chat, edits applied, each with ``copies``."""
        params = {**self._token(token)}
        if include_deleted:
            params["include_deleted"] = "1"
        if include_incoming:
            params["include_incoming"] = "1"
        return self._call("GET", f"/sandbox/chats/{chat_id}/messages", params=params)["messages"]

    def callback_answers(self, token: str | None = None) -> list[dict]:
        """Recorded answerCallbackQuery calls."""
        return self._call("GET", "/sandbox/callback_answers", params=self._token(token))["answers"]

    def pending_updates(self, token: str | None = None) -> list[dict]:
        """Updates not yet confirmed by the bot."""
        return self._call("GET", "/sandbox/updates", params=self._token(token))["updates"]

    def webhook(self, token: str | None = None) -> dict:
        """The bot's webhook (secret included), every delivery attempt and the faults in force."""
        return self._call("GET", "/sandbox/webhook", params=self._token(token))

    def configure_webhook(self, token: str | None = None, **options) -> dict:
        """lose_answers (the next N answers never reach the sandbox: it delivers again), retry_first,
        retry_most (seconds between attempts at one update, doubling)."""
        return self._call("PUT", "/sandbox/webhook", {**options, **self._token(token)})

    def stats(self, token: str | None = None) -> dict:
        """Counters of one token (or of all without a token)."""
        return self._call("GET", "/sandbox/stats", params=self._token(token))

    # Configuration
    def set_limits(self, token: str | None = None, **limits) -> dict:
        """Change limits: enabled, global_rate, global_burst, per_chat_rate, per_chat_burst, ..."""
        return self._call("PUT", "/sandbox/config/limits", {**limits, **({"token": token} if token else {})})

    def limits(self, token: str | None = None) -> dict:
        """The limits in force."""
        return self._call("GET", "/sandbox/config/limits", params={"token": token} if token else None)

    def add_fault(self, method: str, kind: str, **options) -> dict:
        """Add a fault rule; ``options`` are the control API's fields, all optional.

        probability (0..1), count (next N matching calls), seconds (delay, stall), token,
        deliver (stall, error: carry the call out first; default False), status (error: 500, 502,
        503 or 504; default 500), duration (seconds the rule is in force from now; default: for good).
        ``add_fault("*", "error", status=502, duration=20)`` is a 20 s outage answering 502.
        """
        return self._call("POST", "/sandbox/faults", {"method": method, "kind": kind, **options})

    def faults(self) -> dict:
        """Fault rules in force, ``fired`` and ``delivered`` counters per kind."""
        return self._call("GET", "/sandbox/faults")

    def clear_faults(self) -> dict:
        """Remove all fault rules."""
        return self._call("DELETE", "/sandbox/faults")

    def reset(self, keep_users: bool = False) -> dict:
        """Forget everything (or all but users and groups)."""
        return self._call("POST", "/sandbox/reset", {"keep_users": keep_users})
