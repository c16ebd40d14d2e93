"""Clicks on URL buttons: the open redirect counts each recipient once per button and forwards at once."""

from __future__ import annotations

import base64
import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from tests.conftest import JWT_SECRET
from webapi.click_links import ClickKeys, trackable
from webapi.extensions import db
from webapi.services import retention
from webapi.telegram.render import render

KEYS = ClickKeys.from_secret(JWT_SECRET)
BUTTONS = [
    {"text": "Shop", "url": "https://shop.example.com/sale?from=bot"},
    {"text": "Chat", "url": "tg://resolve?domain=example"},
    {"text": "Me", "url": "https://example.com/u/{username|anon}"},
]
ANN, BOB = 20_000_001, 20_000_002


def _sql(app, statement: str, **params):
    with app.app_context():
        result = db.session.execute(text(statement), params)
        rows = result.all() if result.returns_rows else None
        db.session.commit()
        db.session.remove()
    return rows


@pytest.fixture
def sent_mailing(app, client, admin, make_user):
    """A finished mailing with three buttons, sent to Ann and Bob (and failed for a third)."""
    make_user(ANN, first_name="Ann", username="ann & co")
    make_user(BOB, first_name="Bob")
    make_user(20_000_003)
    body = {
        "name": "Sale",
        "text": "Sale!",
        "send_at": (datetime.now(UTC) + timedelta(days=1)).isoformat(),
        "buttons": BUTTONS,
    }
    response = client.post("/api/v1/mailings", json=body, headers=admin)
    assert response.status_code == 201, response.get_json()
    mailing_id = response.get_json()["id"]
    _sql(
        app,
        "INSERT INTO deliveries (mailing_id, user_id, chat_id, status, attempts) VALUES "
        "(:m, :a, :a, 'sent', 1), (:m, :b, :b, 'sent', 1), (:m, 20000003, 20000003, 'failed', 1)",
        m=mailing_id,
        a=ANN,
        b=BOB,
    )
    _sql(
        app,
        "UPDATE mailings SET status = 'finished', started_at = now() - interval '1 hour',"
        " finished_at = now(), report_sent_at = now() WHERE id = :m",
        m=mailing_id,
    )
    return mailing_id


@pytest.fixture
def public_url(app):
    """PUBLIC_URL set for the API while the test runs."""
    original = app.config["SETTINGS"]
    app.config["SETTINGS"] = dataclasses.replace(original, public_url="https://go.example.com")
    yield "https://go.example.com"
    app.config["SETTINGS"] = original


def _click(client, mailing_id: int, position: int, user_id: int, method: str = "GET"):
    return client.open(f"/r/{KEYS.token(mailing_id, position, user_id)}", method=method)


def _stats(client, admin, mailing_id: int) -> dict:
    response = client.get(f"/api/v1/mailings/{mailing_id}/stats", headers=admin)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_a_click_is_counted_once_per_recipient_and_forwarded_at_once(client, admin, sent_mailing):
    first = _click(client, sent_mailing, 0, ANN)
    assert first.status_code == 302
    assert first.headers["Location"] == "https://shop.example.com/sale?from=bot"
    assert first.headers["Cache-Control"] == "no-store"
    assert first.headers["Referrer-Policy"] == "no-referrer"
    assert _click(client, sent_mailing, 0, ANN).status_code == 302  # Ann again: still one
    clicks = _stats(client, admin, sent_mailing)["clicks"]
    assert clicks["buttons"][0]["clicks"] == 1

    assert _click(client, sent_mailing, 0, BOB).status_code == 302
    assert _click(client, sent_mailing, 2, BOB).status_code == 302
    # A HEAD (a link checker) is forwarded too, but counts nothing.
    head = _click(client, sent_mailing, 2, ANN, method="HEAD")
    assert head.status_code == 302

    clicks = _stats(client, admin, sent_mailing)["clicks"]
    # The tg:// button opens in Telegram and is not counted, so it is not listed.
    assert clicks == {
        "buttons": [
            {"position": 0, "text": "Shop", "url": BUTTONS[0]["url"], "clicks": 2, "rate": 1.0},
            {"position": 2, "text": "Me", "url": BUTTONS[2]["url"], "clicks": 1, "rate": 0.5},
        ],
        "total": 3,
    }


def test_a_link_with_placeholders_is_forwarded_filled_in_for_the_recipient(client, sent_mailing):
    assert _click(client, sent_mailing, 2, ANN).headers["Location"] == "https://example.com/u/ann%20%26%20co"
    assert _click(client, sent_mailing, 2, BOB).headers["Location"] == "https://example.com/u/anon"


def test_a_missing_changed_or_foreign_token_is_not_found(app, client, admin, sent_mailing):
    token = KEYS.token(sent_mailing, 0, ANN)
    raw = bytearray(base64.urlsafe_b64decode(token))
    raw[12] ^= 1  # one bit of the encrypted recipient: another recipient, or nobody
    changed_user = base64.urlsafe_b64encode(bytes(raw)).decode()
    raw = bytearray(base64.urlsafe_b64decode(token))
    raw[9] = 2  # another button of the same mailing
    changed_button = base64.urlsafe_b64encode(bytes(raw)).decode()
    foreign = ClickKeys.from_secret("another-secret-" + "y" * 32).token(sent_mailing, 0, ANN)
    for path in (
        "/r/",
        "/r",
        f"/r/{token[:-1]}",
        f"/r/{token}A",
        f"/r/{changed_user}",
        f"/r/{changed_button}",
        f"/r/{foreign}",
        "/r/" + "A" * 40,
        "/r/%00%ff",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.get_json()["error"]["code"] == "not_found", path
    # A signed token for a button or mailing that is not there.
    for mailing_id, position in ((sent_mailing, 3), (sent_mailing + 1000, 0)):
        response = _click(client, mailing_id, position, ANN)
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "not_found"
    assert _sql(app, "SELECT count(*) FROM button_clicks")[0][0] == 0
    assert "clicks" not in _stats(client, admin, sent_mailing)


def test_a_token_shows_nothing_personal_and_is_the_same_for_the_same_click():
    token = KEYS.token(42, 1, ANN)
    raw = base64.urlsafe_b64decode(token)
    assert len(token) == 40 and str(ANN) not in token
    assert ANN.to_bytes(8, "big") not in raw
    assert KEYS.token(42, 1, ANN) == token and KEYS.token(42, 1, BOB) != token
    click = KEYS.read(token)
    assert (click.mailing_id, click.position, click.user_id) == (42, 1, ANN)
    assert KEYS.read(KEYS.token(7, 0, -1001234567890)).user_id == -1001234567890


def test_stats_show_clicks_when_public_url_is_set_even_before_any(client, admin, sent_mailing, public_url):
    clicks = _stats(client, admin, sent_mailing)["clicks"]
    assert [button["position"] for button in clicks["buttons"]] == [0, 2]
    assert all(button["clicks"] == 0 and button["rate"] == 0.0 for button in clicks["buttons"])
    assert clicks["total"] == 0


def test_without_public_url_links_are_sent_as_written(app, sent_mailing):
    from webapi import click_links

    assert click_links.for_mailing(app.config["SETTINGS"], sent_mailing) is None
    (call,) = render({"text": "Hi", "buttons": BUTTONS, "media": None}, None)
    params = call.to(ANN, names={"username": "ann"}, user_id=ANN)
    urls = [row[0]["url"] for row in params["reply_markup"]["inline_keyboard"]]
    assert urls == [BUTTONS[0]["url"], BUTTONS[1]["url"], "https://example.com/u/ann"]


def test_each_recipient_gets_their_own_redirect_for_http_buttons_only(app, public_url, sent_mailing):
    from webapi import click_links

    links = click_links.for_mailing(app.config["SETTINGS"], sent_mailing)
    content = {"text": "Hi {first_name}", "buttons": BUTTONS, "media": None}
    (call,) = render(content, links)
    params = call.to(ANN, names={"first_name": "Ann"}, user_id=ANN)
    shop, chat, me = (row[0]["url"] for row in params["reply_markup"]["inline_keyboard"])
    assert params["text"] == "Hi Ann"
    assert shop.startswith(public_url + "/r/") and me.startswith(public_url + "/r/")
    assert chat == BUTTONS[1]["url"]  # tg:// opens in Telegram: sent as written
    assert KEYS.read(shop.rsplit("/", 1)[1]) == click_links.Click(sent_mailing, 0, ANN)
    assert KEYS.read(me.rsplit("/", 1)[1]) == click_links.Click(sent_mailing, 2, ANN)
    bob = call.to(BOB, user_id=BOB)["reply_markup"]["inline_keyboard"][0][0]["url"]
    assert bob != shop and KEYS.read(bob.rsplit("/", 1)[1]).user_id == BOB
    assert trackable("HTTPS://x.org") and not trackable("tg://resolve?domain=x")


def test_a_deleted_mailing_takes_its_clicks_with_it(app, client, sent_mailing):
    assert _click(client, sent_mailing, 0, ANN).status_code == 302
    assert _sql(app, "SELECT count(*) FROM button_clicks")[0][0] == 1
    _sql(app, "DELETE FROM mailings WHERE id = :m", m=sent_mailing)
    assert _sql(app, "SELECT count(*) FROM button_clicks")[0][0] == 0


def test_pruning_keeps_each_buttons_total_and_later_clicks_forward_uncounted(
    app, client, admin, sent_mailing
):
    for position, user in ((0, ANN), (0, BOB), (2, ANN)):
        assert _click(client, sent_mailing, position, user).status_code == 302
    _sql(app, "UPDATE mailings SET finished_at = now() - interval '100 days' WHERE id = :m", m=sent_mailing)
    with app.app_context():
        pruned = retention.prune(db.engine, 90, batch=1)
    assert pruned.mailings == [sent_mailing] and pruned.complete
    assert _sql(app, "SELECT count(*) FROM button_clicks")[0][0] == 0
    kept = _sql(
        app, "SELECT position, clicks FROM mailing_buttons WHERE mailing_id = :m ORDER BY 1", m=sent_mailing
    )
    assert kept == [(0, 2), (1, 0), (2, 1)]

    # Bob's first click on "Me" after the prune: forwarded, but the count stays as it was kept.
    late = _click(client, sent_mailing, 2, BOB)
    assert late.status_code == 302 and late.headers["Location"] == "https://example.com/u/anon"
    clicks = _stats(client, admin, sent_mailing)["clicks"]
    assert [(b["position"], b["clicks"], b["rate"]) for b in clicks["buttons"]] == [(0, 2, 1.0), (2, 1, 0.5)]
    assert clicks["total"] == 3
    assert _sql(app, "SELECT count(*) FROM button_clicks")[0][0] == 0


def test_public_url_is_an_http_address_without_query_and_loses_its_trailing_slash():
    from webapi.settings import ConfigError, load_settings

    assert (
        load_settings({"PUBLIC_URL": "https://go.example.com/base/"}).public_url
        == "https://go.example.com/base"
    )
    assert load_settings({}).public_url is None
    for bad in (
        "go.example.com",
        "ftp://go.example.com",
        "https://",
        "https://go.example.com/?a=1",
        "https://go.example.com/#top",
        "https://[::1",
        "https://go.example.com/" + "a" * 600,
    ):
        with pytest.raises(ConfigError, match="PUBLIC_URL"):
            load_settings({"PUBLIC_URL": bad})
