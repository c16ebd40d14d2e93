"""The only place that talks HTTP to the API: timeouts, token minting, retries and error mapping."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import requests

from webapi.tokens import mint_bot_token

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 3.05
READ_TIMEOUT = 15.0
# A test send goes to Telegram through the API, so it may take longer than a plain read.
SEND_TIMEOUT = 30.0
RETRIES = 2
RETRY_STATUSES = frozenset({502, 503, 504})
ACTIVE_STATUSES = ("scheduled", "sending", "paused")


class ApiUnavailable(Exception):
    """The API did not answer in time or answered with a server error: try again shortly."""


@dataclass(eq=False)
class ApiError(Exception):
    """The API refused the request: status, machine-readable code, message and details."""

    status: int
    code: str
    message: str
    details: Any = None

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"

    def field_errors(self) -> dict[str, list]:
        """Per-field problems of a validation error, or {} when the error has none."""
        if isinstance(self.details, dict):
            return {
                key: value if isinstance(value, list) else [str(value)] for key, value in self.details.items()
            }
        return {}


@dataclass
class ApiClient:
    """Calls the Rassylka API on behalf of one Telegram user per call, with a fresh bot token."""

    base_url: str
    jwt_secret: str
    session: requests.Session = field(default_factory=requests.Session)
    read_timeout: float = READ_TIMEOUT
    send_timeout: float = SEND_TIMEOUT

    def _request(
        self,
        method: str,
        path: str,
        tg_id: int,
        *,
        json: Any = None,
        params: Any = None,
        idempotent: bool,
        read_timeout: float | None = None,
        headers: dict[str, str] | None = None,
        raw_limit: int | None = None,
    ) -> Any:
        url = f"{self.base_url.rstrip('/')}/api/v1{path}"
        attempts = RETRIES + 1
        for attempt in range(1, attempts + 1):
            sent_headers = {
                **(headers or {}),
                "Authorization": f"Bearer {mint_bot_token(self.jwt_secret, tg_id)}",
            }
            try:
                response = self.session.request(
                    method,
                    url,
                    json=json,
                    params=params,
                    headers=sent_headers,
                    timeout=(CONNECT_TIMEOUT, read_timeout or self.read_timeout),
                    stream=raw_limit is not None,
                )
            except requests.ConnectionError as exc:
                # A refused connection never reached the API, so any call may be repeated;
                # a reset or read timeout may have, so only idempotent calls are.
                refused = isinstance(exc, requests.exceptions.ConnectTimeout) or _never_sent(exc)
                if attempt < attempts and (idempotent or refused):
                    log.warning("API %s %s failed (%s), retrying", method, path, exc.__class__.__name__)
                    continue
                raise ApiUnavailable(str(exc)) from exc
            except requests.Timeout as exc:
                if attempt < attempts and idempotent:
                    log.warning("API %s %s timed out, retrying", method, path)
                    continue
                raise ApiUnavailable(str(exc)) from exc
            except requests.RequestException as exc:
                raise ApiUnavailable(str(exc)) from exc
            if response.status_code in RETRY_STATUSES and attempt < attempts and idempotent:
                log.warning("API %s %s answered %s, retrying", method, path, response.status_code)
                continue
            if raw_limit is not None and response.status_code == 200:
                return _body(response, raw_limit)
            return _result(response)
        raise AssertionError("unreachable")  # pragma: no cover

    # Users
    def subscribe(self, tg_id: int, profile: dict) -> dict:
        """Subscribe or re-subscribe the user with their names and language."""
        return self._request("PUT", f"/users/{tg_id}", tg_id, json=profile, idempotent=True)

    def get_user(self, actor: int, tg_id: int) -> dict:
        """One user (the actor themselves, or anyone for admins)."""
        return self._request("GET", f"/users/{tg_id}", actor, idempotent=True)

    def unsubscribe(self, tg_id: int) -> dict:
        """The user leaves the mailing list."""
        return self._request("POST", f"/users/{tg_id}/unsubscribe", tg_id, idempotent=True)

    def claim_admin(self, tg_id: int, key: str) -> dict:
        """Become admin with the deep-link key (never retried: wrong keys are counted)."""
        return self._request(
            "POST", f"/users/{tg_id}/claim-admin", tg_id, json={"key": key}, idempotent=False
        )

    def set_reports(self, tg_id: int, wants: bool) -> dict:
        """Turn the user's own mailing reports on or off."""
        return self._request(
            "PUT", f"/users/{tg_id}/reports", tg_id, json={"wants_reports": wants}, idempotent=True
        )

    def change_role(self, actor: int, tg_id: int, role: str) -> dict:
        """Give a user a new role."""
        return self._request("PATCH", f"/users/{tg_id}", actor, json={"role": role}, idempotent=True)

    def list_users(self, actor: int, role: str | None = None, status: str | None = None) -> dict:
        """A page of users by role and status."""
        params = {key: value for key, value in (("role", role), ("status", status)) if value}
        return self._request("GET", "/users", actor, params=params, idempotent=True)

    def change_tags(self, actor: int, tg_ids: list[int], add: list[str], remove: list[str]) -> dict:
        """Add and remove tags of many users at once: {"changed", "missing"}."""
        body = {"tg_ids": tg_ids, "add": add, "remove": remove}
        return self._request("POST", "/users/tags", actor, json=body, idempotent=True)

    # Invite links
    def list_invite_links(self, actor: int) -> list[dict]:
        """The invite links, newest first, with whom each brought."""
        return self._request("GET", "/invite-links", actor, idempotent=True)

    def create_invite_link(self, actor: int, name: str) -> dict:
        """A new invite link, its source made from the name (never retried: a repeat makes a second link)."""
        return self._request("POST", "/invite-links", actor, json={"name": name}, idempotent=False)

    # Mailings
    def validate(self, actor: int, draft: dict) -> dict[str, list[dict]]:
        """The message rules' verdict on (part of) a draft: {field: [problems]}, empty when valid."""
        result = self._request("POST", "/mailings/validate", actor, json=draft, idempotent=True)
        return result.get("errors") or {}

    def read_text(self, actor: int, text: str, media: dict | None, text_format: str) -> dict:
        """A text read as `text_format` and judged: errors, the HTML it becomes and the format used."""
        draft = {"text": text, "media": media, "text_format": text_format}
        return self._request("POST", "/mailings/validate", actor, json=draft, idempotent=True)

    def audience(self, actor: int, segment: dict | None) -> dict:
        """How many active subscribers a segment holds now, and all of them: {"count", "total", "segment"}."""
        return self._request("POST", "/mailings/audience", actor, json={"segment": segment}, idempotent=True)

    def create_mailing(self, actor: int, draft: dict, key: str) -> dict:
        """Schedule a new mailing; `key` (the API's Idempotency-Key) makes repeating it safe."""
        return self._request(
            "POST", "/mailings", actor, json=draft, idempotent=True, headers={"Idempotency-Key": key}
        )

    def list_mailings(
        self, actor: int, statuses: tuple[str, ...], order: str, offset: int, limit: int = 1
    ) -> dict:
        """Mailings in `statuses` by send time (`-send_at`: latest first), with the total."""
        params = [("status", status) for status in statuses]
        params += [("order", order), ("offset", offset), ("limit", limit)]
        return self._request("GET", "/mailings", actor, params=params, idempotent=True)

    def get_mailing(self, actor: int, mailing_id: int) -> dict:
        """Read one mailing."""
        return self._request("GET", f"/mailings/{mailing_id}", actor, idempotent=True)

    def update_mailing(self, actor: int, mailing_id: int, version: int, changes: dict) -> dict:
        """Change a scheduled mailing made against `version`."""
        body = {"version": version, **changes}
        return self._request("PATCH", f"/mailings/{mailing_id}", actor, json=body, idempotent=True)

    def delete_mailing(self, actor: int, mailing_id: int) -> None:
        """Delete a scheduled mailing."""
        self._request("DELETE", f"/mailings/{mailing_id}", actor, idempotent=True)

    def mailing_stats(self, actor: int, mailing_id: int) -> dict:
        """Delivery counts and progress."""
        return self._request("GET", f"/mailings/{mailing_id}/stats", actor, idempotent=True)

    def control_mailing(self, actor: int, mailing_id: int, action: str) -> dict:
        """send-now, pause, resume or cancel."""
        if action not in {"send-now", "pause", "resume", "cancel"}:
            raise ValueError(action)
        return self._request("POST", f"/mailings/{mailing_id}/{action}", actor, idempotent=True)

    def approve_mailing(self, actor: int, mailing_id: int, version: int | None = None) -> dict:
        """Approve a mailing (only `version` of it, when given); approving again changes nothing."""
        params = {} if version is None else {"version": version}
        return self._request("POST", f"/mailings/{mailing_id}/approve", actor, params=params, idempotent=True)

    def retry_mailing(self, actor: int, mailing_id: int, statuses: list[str]) -> dict:
        """Send the deliveries in `statuses` (unknown, failed) again: {"requeued", "mailing"}.

        Never repeated by itself: a repeat after a lost answer could send the rows that failed again.
        """
        body = {"statuses": statuses}
        return self._request("POST", f"/mailings/{mailing_id}/retry", actor, json=body, idempotent=False)

    def not_reached_csv(self, actor: int, mailing_id: int, limit: int) -> bytes | None:
        """The CSV of the recipients a mailing did not reach; None when it is larger than `limit` bytes."""
        return self._request(
            "GET", f"/mailings/{mailing_id}/not-reached", actor, idempotent=True, raw_limit=limit
        )

    def test_draft(self, actor: int, chat_id: int, draft: dict) -> list[int]:
        """Send a draft to one chat exactly as subscribers get it; returns the message ids."""
        body = {"chat_id": chat_id, "draft": draft}
        result = self._request(
            "POST", "/mailings/test", actor, json=body, idempotent=False, read_timeout=self.send_timeout
        )
        return list(result.get("message_ids") or [])

    def test_mailing(self, actor: int, chat_id: int, mailing_id: int) -> list[int]:
        """Send a saved mailing to one chat exactly as subscribers get it."""
        result = self._request(
            "POST",
            f"/mailings/{mailing_id}/test",
            actor,
            json={"chat_id": chat_id},
            idempotent=False,
            read_timeout=self.send_timeout,
        )
        return list(result.get("message_ids") or [])

    def create_series(self, actor: int, body: dict, key: str) -> dict:
        """Create a recurring mailing; `key` (the API's Idempotency-Key) makes repeating it safe."""
        return self._request(
            "POST", "/series", actor, json=body, idempotent=True, headers={"Idempotency-Key": key}
        )

    def list_series(self, actor: int, statuses: tuple[str, ...], limit: int) -> dict:
        """Recurring mailings in `statuses`, newest first, each with its next run, and the total."""
        params = [("status", status) for status in statuses] + [("limit", limit)]
        return self._request("GET", "/series", actor, params=params, idempotent=True)

    def control_series(self, actor: int, series_id: int, action: str) -> dict:
        """pause, resume or end a recurring mailing."""
        if action not in ("pause", "resume", "end"):
            raise ValueError(action)
        return self._request("POST", f"/series/{series_id}/{action}", actor, idempotent=True)


def _body(response: requests.Response, limit: int) -> bytes | None:
    """A streamed answer's bytes, read no further than `limit` (None when it is longer)."""
    chunks, size = [], 0
    try:
        for chunk in response.iter_content(64 * 1024):
            size += len(chunk)
            if size > limit:
                return None
            chunks.append(chunk)
    except requests.RequestException as exc:
        raise ApiUnavailable(str(exc)) from exc
    finally:
        response.close()
    return b"".join(chunks)


def _never_sent(exc: requests.ConnectionError) -> bool:
    text = str(exc)
    return "Connection refused" in text or "NewConnectionError" in text or "Name or service not known" in text


def _result(response: requests.Response) -> Any:
    if response.status_code == 204:
        return None
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code >= 500:
        raise ApiUnavailable(f"API answered {response.status_code}")
    if response.status_code >= 400:
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict):
            error = {}
        raise ApiError(
            response.status_code,
            str(error.get("code") or "error"),
            str(error.get("message") or response.reason or ""),
            error.get("details"),
        )
    return body
