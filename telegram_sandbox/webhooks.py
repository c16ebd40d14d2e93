"""Webhooks as Telegram runs them: setWebhook, deleteWebhook, getWebhookInfo and the pushing of updates.

While a webhook is set, getUpdates answers 409 and every queued update is POSTed to the webhook's
URL as JSON, oldest first and one at a time, with the secret in X-Telegram-Bot-Api-Secret-Token. Any
2xx answer confirms the update; anything else (or no answer) is recorded as the webhook's last error
and the same update is sent again after a pause that doubles, as Telegram retries. Unlike Telegram,
the sandbox also takes http:// URLs on this machine (127.0.0.1, localhost, ::1), on any port, since
it has no certificates to check; elsewhere it gives Telegram's refusals. It never leaves this machine:
a webhook on another host is remembered, and its updates wait (pending_update_count). The control
API can make it lose the next answers (the update was handled, the answer never reached Telegram:
it is sent again) and shows every delivery attempt.
"""

import asyncio
import json
import re
import time
from urllib.parse import urlsplit

import aiohttp

from telegram_sandbox.bot_methods import DEFAULT_UPDATES, Described
from telegram_sandbox.params import bad_request, bool_param, int_param, json_param, text_param
from telegram_sandbox.state import Bot, World

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header's name
SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
PORTS = frozenset({80, 88, 443, 8443})
DEFAULT_CONNECTIONS = 40
ANSWER_TIMEOUT = 10.0  # seconds Telegram waits for the webhook's answer (the sandbox's choice)
READ_TIMEOUT = "Read timeout expired"


def _check_url(url: str) -> None:
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        raise bad_request("bad webhook: Failed to resolve host: Name or service not known") from None
    if parts.scheme == "http" and host in LOOPBACK:
        return
    if parts.scheme != "https":
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    if not host:
        raise bad_request("bad webhook: Failed to resolve host: Name or service not known")
    if (port or 443) not in PORTS:
        raise bad_request("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")


def _stop(bot: Bot) -> None:
    task = bot.webhook_task
    bot.webhook_task = None
    if task is not None and not task.done():
        task.cancel()


def set_webhook(world: World, bot: Bot, params: dict) -> Described:
    """setWebhook: check the URL and secret like Telegram, then push every queued update to it."""
    url = text_param(params, "url") or ""
    if not url:
        return delete_webhook(world, bot, params)
    _check_url(url)
    secret = text_param(params, "secret_token")
    if secret is not None and not SECRET_RE.match(secret):
        raise bad_request("secret token contains unallowed characters")
    allowed = json_param(params, "allowed_updates", "allowed updates")
    if isinstance(allowed, list):
        bot.allowed_updates = [str(kind) for kind in allowed] or None
    if bool_param(params, "drop_pending_updates"):
        bot.updates.clear()
    connections = min(max(int_param(params, "max_connections", DEFAULT_CONNECTIONS), 1), 100)
    previous = bot.webhook
    same = previous is not None and previous["url"] == url and previous["secret_token"] == secret
    _stop(bot)
    bot.webhook = {
        "url": url,
        "secret_token": secret,
        "max_connections": connections,
        "last_error_date": None,
        "last_error_message": None,
    }
    if urlsplit(url).hostname in LOOPBACK:
        bot.webhook_task = asyncio.get_running_loop().create_task(_deliver(bot, bot.webhook))
    return Described(True, "Webhook is already set" if same else "Webhook was set")


def delete_webhook(world: World, bot: Bot, params: dict) -> Described:
    """deleteWebhook: updates wait for getUpdates again (or are dropped with drop_pending_updates)."""
    if bool_param(params, "drop_pending_updates"):
        bot.updates.clear()
    _stop(bot)
    if bot.webhook is None:
        return Described(True, "Webhook is already deleted")
    bot.webhook = None
    return Described(True, "Webhook was deleted")


def get_webhook_info(world: World, bot: Bot, params: dict) -> dict:
    """getWebhookInfo, with Telegram's fields (the optional ones only when they have a value)."""
    info = {"url": "", "has_custom_certificate": False, "pending_update_count": len(bot.updates)}
    hook = bot.webhook
    if hook is None:
        return info
    info["url"] = hook["url"]
    if hook["last_error_date"] is not None:
        info["last_error_date"] = hook["last_error_date"]
        info["last_error_message"] = hook["last_error_message"]
    info["max_connections"] = hook["max_connections"]
    if bot.allowed_updates:
        info["allowed_updates"] = list(bot.allowed_updates)
    return info


def _next_update(bot: Bot) -> dict | None:
    allowed = set(bot.allowed_updates) if bot.allowed_updates else DEFAULT_UPDATES
    while bot.updates:
        update = bot.updates[0]
        kind = next(key for key in update if key != "update_id")
        if kind in allowed:
            return update
        bot.updates.popleft()  # Telegram drops what the bot did not ask for
    return None


async def _post(session: aiohttp.ClientSession, hook: dict, update: dict) -> tuple[int | None, str | None]:
    headers = {"Content-Type": "application/json"}
    if hook["secret_token"]:
        headers[SECRET_HEADER] = hook["secret_token"]
    body = json.dumps(update, ensure_ascii=False).encode()
    try:
        async with session.post(hook["url"], data=body, headers=headers) as response:
            await response.read()
            if 200 <= response.status < 300:
                return response.status, None
            return response.status, f"Wrong response from the webhook: {response.status} {response.reason}"
    except TimeoutError:
        return None, READ_TIMEOUT
    except aiohttp.ClientConnectorError:
        return None, "Connection refused"
    except aiohttp.ClientError as error:
        return None, f"Connection failed: {type(error).__name__}"


async def _deliver(bot: Bot, hook: dict) -> None:
    """Push the bot's updates to `hook` until the webhook is changed or deleted."""
    timeout = aiohttp.ClientTimeout(total=ANSWER_TIMEOUT)
    pause = bot.webhook_retry[0]
    async with aiohttp.ClientSession(timeout=timeout) as session:
        while bot.webhook is hook:
            update = _next_update(bot)
            if update is None:
                bot.webhook_wake.clear()
                await bot.webhook_wake.wait()
                continue
            status, error = await _post(session, hook, update)
            if error is None and bot.webhook_lose_answers > 0:
                bot.webhook_lose_answers -= 1
                error = READ_TIMEOUT  # handled there, but the answer never came back
            bot.webhook_log.append(
                {"update_id": update["update_id"], "status": status, "error": error, "at": time.time()}
            )
            if error is None:
                if bot.updates and bot.updates[0] is update:
                    bot.updates.popleft()
                pause = bot.webhook_retry[0]
                continue
            hook["last_error_date"] = int(time.time())
            hook["last_error_message"] = error
            await asyncio.sleep(pause)
            pause = min(pause * 2, bot.webhook_retry[1])


def configure(bot: Bot, data: dict) -> dict:
    """Control API: lose the next `lose_answers` answers; set the pauses between attempts."""
    if "lose_answers" in data:
        bot.webhook_lose_answers = max(int(data["lose_answers"]), 0)
    first = float(data.get("retry_first", bot.webhook_retry[0]))
    most = float(data.get("retry_most", bot.webhook_retry[1]))
    if not 0 < first <= most:
        raise ValueError("retry_first must be above 0 and at most retry_most")
    bot.webhook_retry = (first, most)
    return describe(bot)


def describe(bot: Bot) -> dict:
    """Control API: the webhook (its secret too), the attempts so far and the settings above."""
    hook = bot.webhook
    return {
        "webhook": dict(hook) if hook else None,
        "deliveries": list(bot.webhook_log),
        "lose_answers": bot.webhook_lose_answers,
        "retry_first": bot.webhook_retry[0],
        "retry_most": bot.webhook_retry[1],
    }
