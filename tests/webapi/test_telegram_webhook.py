"""POST /telegram/webhook: signed by the secret header (no JWT), each update_id taken once, refused with
503 when nothing can take it so that Telegram delivers it again. The bot's side is tested end to end in
tests/telebot_app/test_webhook.py; here the API's side, with a sink that records what it is handed."""

from __future__ import annotations

import dataclasses

import pytest
from redis import Redis

from webapi.resources.telegram_webhook import SECRET_HEADER, SEEN_PREFIX, UPDATE_SINK

SECRET = "webhook-secret_1"
URL = "/telegram/webhook"


class RecordingSink:
    """Takes updates like the bot's lanes do: up to `room`, refusing what is not an update."""

    def __init__(self, room: int = 100) -> None:
        self.room = room
        self.taken: list[dict] = []

    def submit(self, raw: dict) -> bool:
        if not isinstance(raw.get("message", {}), dict):
            raise ValueError("not an update")
        if len(self.taken) >= self.room:
            return False
        self.taken.append(raw)
        return True


@pytest.fixture
def webhook_app(app):
    """The app in webhook mode with a recording sink."""
    original = app.config["SETTINGS"]
    app.config["SETTINGS"] = dataclasses.replace(
        original,
        bot_token="777002:webhook-tests",
        webhook_url="https://bot.example.org/telegram/webhook",
        webhook_secret=SECRET,
    )
    app.extensions[UPDATE_SINK] = RecordingSink()
    yield app
    app.config["SETTINGS"] = original
    app.extensions.pop(UPDATE_SINK, None)


def _update(update_id: int = 7, **fields) -> dict:
    message = {"message_id": 1, "date": 1, "chat": {"id": 5, "type": "private"}, "text": "/start"}
    return {"update_id": update_id, "message": message, **fields}


def test_a_missing_or_wrong_secret_is_refused_and_nothing_taken(webhook_app, redis):
    client = webhook_app.test_client()
    for headers in ({}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: SECRET + "x"}, {SECRET_HEADER: ""}):
        response = client.post(URL, json=_update(), headers=headers)
        assert response.status_code == 401, headers
        assert response.json["error"]["code"] == "unauthorized"
        assert "WWW-Authenticate" not in response.headers
    # The secret is checked before the body is read.
    assert client.post(URL, data="not json", headers={SECRET_HEADER: "wrong"}).status_code == 401
    assert webhook_app.extensions[UPDATE_SINK].taken == []
    assert redis.keys(f"{SEEN_PREFIX}:*") == []


def test_without_webhook_mode_no_secret_matches(client):
    assert client.post(URL, json=_update(), headers={SECRET_HEADER: "anything"}).status_code == 401
    assert client.post(URL, json=_update()).status_code == 401


def test_an_update_is_taken_once_however_often_telegram_delivers_it(webhook_app):
    client = webhook_app.test_client()
    headers = {SECRET_HEADER: SECRET}
    first = client.post(URL, json=_update(7), headers=headers)
    again = client.post(URL, json=_update(7), headers=headers)
    other = client.post(URL, json=_update(8), headers=headers)
    assert (first.status_code, first.json) == (200, {"ok": True, "duplicate": False})
    assert (again.status_code, again.json) == (200, {"ok": True, "duplicate": True})
    assert other.json == {"ok": True, "duplicate": False}
    assert [u["update_id"] for u in webhook_app.extensions[UPDATE_SINK].taken] == [7, 8]


def test_a_full_sink_answers_503_and_the_retry_is_taken(webhook_app):
    client = webhook_app.test_client()
    headers = {SECRET_HEADER: SECRET}
    sink = webhook_app.extensions[UPDATE_SINK]
    sink.room = 0
    busy = client.post(URL, json=_update(9), headers=headers)
    assert busy.status_code == 503
    assert busy.json["error"]["code"] == "unavailable"
    assert busy.headers["Retry-After"] == "1"
    sink.room = 1
    assert client.post(URL, json=_update(9), headers=headers).json == {"ok": True, "duplicate": False}


def test_bodies_that_are_not_updates_are_refused_with_the_envelope(webhook_app):
    client = webhook_app.test_client()
    headers = {SECRET_HEADER: SECRET}
    no_id = client.post(URL, json={"message": {}}, headers=headers)
    assert no_id.status_code == 422
    assert no_id.json["error"]["details"]["update_id"][0]["code"] == "required"
    assert client.post(URL, json={"update_id": "7"}, headers=headers).status_code == 422
    assert client.post(URL, json={"update_id": -1}, headers=headers).status_code == 422
    assert client.post(URL, data="{}", content_type="text/plain", headers=headers).status_code == 415
    garbage = client.post(URL, json=_update(10, message="not a message"), headers=headers)
    assert garbage.status_code == 400
    # Refused, so not remembered: a well-formed delivery of that id is still taken.
    assert client.post(URL, json=_update(10), headers=headers).json["duplicate"] is False


def test_no_sink_or_no_redis_answers_503_so_telegram_retries(webhook_app):
    client = webhook_app.test_client()
    headers = {SECRET_HEADER: SECRET}
    sink = webhook_app.extensions.pop(UPDATE_SINK)
    assert client.post(URL, json=_update(11), headers=headers).status_code == 503
    webhook_app.extensions[UPDATE_SINK] = sink
    redis = webhook_app.extensions["redis"]
    webhook_app.extensions["redis"] = Redis(host="127.0.0.1", port=1, socket_connect_timeout=1)
    try:
        away = client.post(URL, json=_update(11), headers=headers)
    finally:
        webhook_app.extensions["redis"] = redis
    assert away.status_code == 503
    assert "Redis" in away.json["error"]["message"]
    assert sink.taken == []


def test_the_endpoint_is_documented_without_bearer_auth(client):
    operation = client.get("/openapi.json").json["paths"][URL]["post"]
    assert operation["security"] == []
    assert [(p["in"], p["name"], p["required"]) for p in operation["parameters"]] == [
        ("header", SECRET_HEADER, True)
    ]
    assert {"200", "401", "503"} <= set(operation["responses"])
