"""Two-person approval in the bot: the card shows it, a second admin approves, the author cannot."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from tests.telebot_app.conftest import button_texts

SECOND_ID = 50_002


@pytest.fixture
def threshold(app):
    """Every mailing to anyone needs approval (APPROVAL_THRESHOLD=0) in the API the bot talks to."""
    original = app.config["SETTINGS"]
    app.config["SETTINGS"] = dataclasses.replace(original, approval_threshold=0)
    yield
    app.config["SETTINGS"] = original


@pytest.fixture
def second_admin(player, make_user):
    """Another admin, played through the sandbox."""
    make_user(SECOND_ID, role="admin", first_name="Vera", language_code="en")
    return player(SECOND_ID, first_name="Vera")


@pytest.fixture
def waiting(api_as, admin_player, threshold) -> dict:
    """A mailing by the first admin that waits for approval."""
    body = {
        "name": "Big news",
        "text": "Big <b>news</b>",
        "send_at": (datetime.now(UTC) + timedelta(hours=2)).isoformat(),
    }
    response = api_as(admin_player.id).post("/mailings", json=body)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["approval"]["required"] is True
    return response.get_json()


def open_browser(someone) -> list[dict]:
    menu = someone.say("/adminmenu")[-1]
    return someone.press(menu, "Scheduled mailings")


def test_a_second_admin_approves_on_the_card_and_the_author_sees_no_approve(
    admin_player, second_admin, waiting, api_as
):
    _, card = open_browser(admin_player)
    assert "🔐 Needs approval by an admin or moderator other than its author" in card["text"]
    assert "✅ Approve" not in button_texts(card)

    _, card = open_browser(second_admin)
    assert "🔐 Needs approval" in card["text"]
    assert "✅ Approve" in button_texts(card)
    _, card = second_admin.press(card, "Approve")

    assert second_admin.answer["text"] == "Approved"
    assert "✅ Approved by you at " in card["text"] and "🔐" not in card["text"]
    assert "✅ Approve" not in button_texts(card)
    approval = api_as(SECOND_ID).get(f"/mailings/{waiting['id']}").get_json()["approval"]
    assert approval["approved_by"] == SECOND_ID
    _, card = open_browser(admin_player)
    assert f"✅ Approved by {SECOND_ID} at " in card["text"]


def test_the_approvers_are_asked_with_the_card_and_approve_from_it(
    app, telegram_app, admin_player, second_admin, waiting, api_as
):
    from workers import approval

    with app.app_context():
        assert approval.ask(waiting["id"]) == 1  # the second admin; the author is not asked
    (asked,) = second_admin.messages()
    assert asked["text"].startswith(f"🔐 Approval needed: Big news (id {waiting['id']})")
    assert not admin_player.messages()

    preview = second_admin.press(asked, "Preview")
    assert [m["text"] for m in preview] == ["Big news"]

    replies = second_admin.press(asked, "Approve")
    assert second_admin.answer["text"] == "Approved"
    assert [m["text"] for m in replies] == ["✅ You approved it."]
    assert "reply_markup" not in second_admin.message(asked["message_id"]) or not button_texts(
        second_admin.message(asked["message_id"])
    )
    assert (
        api_as(SECOND_ID).get(f"/mailings/{waiting['id']}").get_json()["approval"]["approved_by"] == SECOND_ID
    )


def test_an_approve_of_a_version_since_changed_is_refused(
    app, telegram_app, admin_player, second_admin, waiting, api_as
):
    from workers import approval

    with app.app_context():
        approval.ask(waiting["id"])
    (asked,) = second_admin.messages()
    changed = api_as(admin_player.id).patch(
        f"/mailings/{waiting['id']}", json={"version": waiting["version"], "text": "Other news"}
    )
    assert changed.status_code == 200

    second_admin.press(asked, "Approve")

    assert second_admin.answer["show_alert"] is True
    assert second_admin.answer["text"].startswith("Not approved: Someone else changed this mailing")
    assert api_as(SECOND_ID).get(f"/mailings/{waiting['id']}").get_json()["approval"]["approved_at"] is None


def test_saving_a_mailing_that_needs_approval_says_so(admin_player, threshold):
    from tests.telebot_app.test_constructor import start_draft

    menu = start_draft(admin_player, name="Launch")
    admin_player.press(menu, "Save")
    admin_player.press(admin_player.message(menu["message_id"]), "Yes, save")

    saved = admin_player.message(menu["message_id"])["text"]
    assert saved.startswith("✅ Saved: Launch (id ")
    assert saved.endswith(
        "🔐 It needs approval by another admin or moderator before it starts: they have been asked."
    )
