"""The scheduled-mailings browser: paging, go to #N, delete, edit (with a version conflict), controls."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.telebot_app.conftest import button_texts
from workers.progress import announce, update


@pytest.fixture
def schedule(api_as, admin_player):
    """Create mailings through the API: schedule(count) → their ids in send order."""

    def make(count: int) -> list[int]:
        ids = []
        for number in range(1, count + 1):
            send_at = datetime.now(UTC) + timedelta(hours=number)
            body = {"name": f"M{number:02d}", "text": f"Text <i>{number}</i>", "send_at": send_at.isoformat()}
            response = api_as(admin_player.id).post("/mailings", json=body)
            assert response.status_code == 201, response.get_json()
            ids.append(response.get_json()["id"])
        return ids

    return make


def open_browser(admin) -> list[dict]:
    menu = admin.say("/adminmenu")[-1]
    return admin.press(menu, "Scheduled mailings")


def test_no_mailings(admin_player):
    replies = open_browser(admin_player)
    assert replies[-1]["text"] == "No mailings are scheduled."
    assert button_texts(replies[-1]) == ["✉ New mailing", "📜 Sent mailings"]


def test_paging_through_twelve_and_jumping_to_the_seventh(admin_player, schedule):
    ids = schedule(12)
    admin = admin_player
    preview, control = open_browser(admin)
    assert preview["text"] == "Text 1" and preview["entities"][0]["type"] == "italic"
    assert control["text"].startswith(f"#1 of 12\nM01 (id {ids[0]})\nSend time: ")
    assert "(Europe/Moscow)\nStatus: scheduled" in control["text"]

    preview, control = admin.press(control, "▶")
    assert preview["text"] == "Text 2" and control["text"].startswith("#2 of 12\nM02")
    assert len(admin.messages()) == 1 + 2  # the admin menu and only the current page
    preview, control = admin.press(control, "◀")
    assert control["text"].startswith("#1 of 12\nM01")
    assert admin.press(control, "◀") == []
    assert admin.answer["text"] == "This is the first one."

    assert (
        admin.press(control, "Go to #")[-1]["text"] == "Which one? Send a number from 1 to 12. /cancel stops."
    )
    assert admin.say("seven")[-1]["text"] == "Send just a number from 1 to 12."
    assert admin.say("13")[-1]["text"] == "There is no mailing with that number: send a number from 1 to 12."
    preview, control = admin.say("7")[-2:]
    assert preview["text"] == "Text 7" and control["text"].startswith(f"#7 of 12\nM07 (id {ids[6]})")

    for number in range(8, 13):
        preview, control = admin.press(control, "▶")
        assert control["text"].startswith(f"#{number} of 12\nM{number:02d}")
    assert admin.press(control, "▶") == []
    assert admin.answer["text"] == "This is the last one (#12)."


def test_delete_asks_first(admin_player, schedule, api_as):
    ids = schedule(2)
    admin = admin_player
    _, control = open_browser(admin)
    admin.press(control, "Delete")
    question = admin.message(control["message_id"])
    assert question["text"] == f"Delete the mailing M01 (id {ids[0]})? This cannot be undone."
    admin.press(question, "No")
    _, control = admin.messages()[-2:]
    assert control["text"].startswith("#1 of 2\nM01")
    admin.press(control, "Delete")
    replies = admin.press(admin.message(control["message_id"]), "Yes, delete")
    assert admin.answer["text"] == "Deleted"
    assert replies[-1]["text"].startswith(f"#1 of 1\nM02 (id {ids[1]})")
    assert [m["id"] for m in api_as(admin.id).get("/mailings").get_json()["items"]] == [ids[1]]
    # The question's buttons are stale now: the mailing is gone.
    admin.press_data(replies[-1]["message_id"], f"ml:del:{ids[1]}:1")
    admin.press(admin.message(replies[-1]["message_id"]), "Yes, delete")
    assert admin.messages()[-1]["text"] == "No mailings are scheduled."


def test_edit_with_a_version_conflict_keeps_the_draft(admin_player, schedule, api_as, redis):
    (mailing_id,) = schedule(1)
    admin = admin_player
    _, control = open_browser(admin)
    menu = admin.press(control, "Edit")[-1]
    assert menu["text"].startswith(f"Editing mailing {mailing_id}\nName: M01")
    admin.press(menu, "✏ Name")
    menu = admin.say("Mine")[-1]
    assert "Name: Mine" in menu["text"]

    # Meanwhile someone else changes it (version 1 → 2).
    theirs = api_as(admin.id).patch(f"/mailings/{mailing_id}", json={"version": 1, "name": "Theirs"})
    assert theirs.status_code == 200

    admin.press(menu, "Save")
    replies = admin.press(admin.message(menu["message_id"]), "Yes, save")
    conflict = replies[-1]
    assert f"Someone else changed mailing {mailing_id}" in conflict["text"]
    assert "Your draft is kept" in conflict["text"]
    assert redis.get(f"rassylka:bot:draft:{admin.id}") is not None
    assert api_as(admin.id).get(f"/mailings/{mailing_id}").get_json()["name"] == "Theirs"

    admin.press(conflict, "Save my version over theirs")
    assert admin.message(conflict["message_id"])["text"].startswith(
        f"✅ Changes saved: Mine (id {mailing_id})"
    )
    saved = api_as(admin.id).get(f"/mailings/{mailing_id}").get_json()
    assert (saved["name"], saved["version"], saved["text"]) == ("Mine", 3, "Text <i>1</i>")


def test_edit_conflict_can_reload_theirs(admin_player, schedule, api_as):
    (mailing_id,) = schedule(1)
    admin = admin_player
    _, control = open_browser(admin)
    menu = admin.press(control, "Edit")[-1]
    admin.press(menu, "✏ Text")
    menu = admin.say("<b>Mine</b>")[-1]
    api_as(admin.id).patch(f"/mailings/{mailing_id}", json={"version": 1, "name": "Theirs"})
    admin.press(menu, "Save")
    conflict = admin.press(admin.message(menu["message_id"]), "Yes, save")[-1]
    menu = admin.press(conflict, "Drop my changes")[-1]
    assert "Name: Theirs" in menu["text"] and "Text <i>1</i>" in menu["text"]


def engine_redraws(app, admin, mailing_id: int, progress: dict) -> dict:
    """Run the engine's progress update (its job after pause/resume/cancel); return the message now."""
    with app.app_context():
        assert update(mailing_id, force=True)
    return admin.message(progress["message_id"])


def test_send_now_pause_resume_and_the_engines_progress_buttons(admin_player, schedule, api_as, telegram_app):
    (mailing_id,) = schedule(1)
    admin = admin_player
    _, control = open_browser(admin)
    admin.press(control, "Send now")
    question = admin.message(control["message_id"])
    assert question["text"] == f"Start sending M01 (id {mailing_id}) to all subscribers now?"
    replies = admin.press(question, "Yes, send now")
    assert admin.answer["text"] == "Sending has started"
    control = replies[-1]
    assert "Status: sending\nProgress: " in control["text"]
    assert "Pause" in " ".join(button_texts(control)) and "Edit" not in " ".join(button_texts(control))

    control = admin.press(control, "Pause")[-1]
    assert admin.answer["text"] == "Paused" and "Status: paused" in control["text"]
    control = admin.press(control, "Resume")[-1]
    assert "Status: sending" in control["text"]

    # The engine's own progress message (sent to the author) carries mc:pause|resume|cancel:<id>.
    with telegram_app.app_context():
        assert announce(mailing_id)
    progress = next(m for m in admin.messages() if m["text"].startswith("M01 — "))
    assert [b["callback_data"] for b in progress["reply_markup"]["inline_keyboard"][0]] == [
        f"mc:pause:{mailing_id}",
        f"mc:cancel:{mailing_id}",
    ]
    admin.press(progress, "Pause")
    assert admin.answer["text"] == "Paused"
    assert api_as(admin.id).get(f"/mailings/{mailing_id}").get_json()["status"] == "paused"
    admin.press(progress, "Pause")  # pressed again before the engine redraws it: a stale button
    assert admin.answer["text"] == "Not possible now: the mailing is paused."

    progress = engine_redraws(telegram_app, admin, mailing_id, progress)  # what its update job does
    admin.press(progress, "Resume")
    assert admin.answer["text"] == "Resumed"
    assert api_as(admin.id).get(f"/mailings/{mailing_id}").get_json()["status"] == "sending"

    progress = engine_redraws(telegram_app, admin, mailing_id, progress)
    question = admin.press(progress, "Cancel")[-1]
    assert "Cancel sending mailing" in question["text"]
    admin.press(question, "Yes, cancel sending")
    assert api_as(admin.id).get(f"/mailings/{mailing_id}").get_json()["status"] == "cancelled"
    assert admin.message(question["message_id"])["text"] == "Sending is cancelled."


def test_one_and_a_hundred(admin_player, schedule):
    admin = admin_player
    schedule(1)
    _, control = open_browser(admin)
    assert control["text"].startswith("#1 of 1\nM01")
    assert admin.press(control, "▶") == [] and admin.answer["text"] == "This is the last one (#1)."
    schedule(99)
    admin.press(control, "Go to #")
    preview, control = admin.say("100")[-2:]
    assert control["text"].startswith("#100 of 100\nM99")
    assert admin.press(control, "▶") == [] and admin.answer["text"] == "This is the last one (#100)."
    preview, control = admin.press(control, "◀")
    assert control["text"].startswith("#99 of 100")
