"""Placeholders: rendered per recipient, escaped where they land, judged by the rules at their longest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from webapi import placeholders
from webapi.message_rules import CAPTION_LIMIT, TEXT_LIMIT, check_buttons, check_text, fits_caption
from webapi.placeholders import Template
from webapi.telegram.render import render

EVE = placeholders.values_of({"first_name": "<b>Eve</b>", "last_name": None, "username": "eve&co"})


def test_a_template_fills_in_escaped_values_or_the_fallback_as_written():
    template = Template.of("Hi {first_name|you}, {last_name|<i>friend</i>}{last_name|} {unknown} {username}")
    assert template.render(EVE, placeholders.escape_html) == (
        "Hi &lt;b&gt;Eve&lt;/b&gt;, <i>friend</i> {unknown} eve&amp;co"
    )
    assert Template.of("https://e.com/{username}?n={full_name}").render(EVE, placeholders.escape_url) == (
        "https://e.com/eve%26co?n=%3Cb%3EEve%3C%2Fb%3E"
    )
    assert placeholders.values_of({"first_name": "Ann", "last_name": "Lee"})["full_name"] == "Ann Lee"


def test_unknown_placeholders_are_a_problem_naming_them():
    (problem,) = check_text("Hi {frist_name} and {nick} and {first_name}", has_media=False)
    assert problem.code == "placeholder_unknown"
    assert problem.params["names"] == ["frist_name", "nick"]
    (problem,) = check_buttons([{"text": "Go", "url": "https://e.com/{user_id}"}])
    assert (problem.code, problem.params["button"], problem.params["names"]) == (
        "button_placeholder_unknown",
        1,
        ["user_id"],
    )
    assert check_buttons([{"text": "Go", "url": "https://e.com/{username|anon}"}]) == []


def test_the_length_rules_count_the_longest_name_telegram_allows():
    # 64 characters outside the BMP count 128 UTF-16 units, as Telegram counts them.
    room = TEXT_LIMIT - 128
    assert check_text("a" * room + "{first_name}", has_media=False) == []
    (problem,) = check_text("a" * (room + 1) + "{first_name}", has_media=False)
    assert (problem.code, problem.params["length"]) == ("text_too_long", TEXT_LIMIT + 1)
    # A fallback longer than any name counts at its own length.
    (problem,) = check_text("a" * (TEXT_LIMIT - 200) + "{username|" + "b" * 201 + "}", has_media=False)
    assert problem.code == "text_too_long"
    # A caption that a long name could push over its limit goes as a separate message for everyone.
    text = "c" * (CAPTION_LIMIT - 10) + " {first_name}"
    assert not fits_caption(text)
    calls = render({"text": text, "buttons": [], "media": {"type": "photo", "file_id": "f"}})
    assert [call.method for call in calls] == ["sendPhoto", "sendMessage"]


def test_a_call_is_personal_only_where_it_has_placeholders():
    content = {"text": "Hi {first_name}", "buttons": [{"text": "Go", "url": "https://e.com"}], "media": None}
    (call,) = render(content)
    params = call.to(7, names=EVE)
    assert params["text"] == "Hi &lt;b&gt;Eve&lt;/b&gt;"
    assert params["reply_markup"]["inline_keyboard"][0][0]["url"] == "https://e.com"
    assert call.params["text"] == "Hi {first_name}"  # the mailing's own call is left as it was
    (plain,) = render({"text": "Hi all", "buttons": [], "media": None})
    assert plain.personal is None and plain.to(7, names=EVE)["text"] == "Hi all"
    (photo,) = render(
        {
            "text": "",
            "buttons": [{"text": "Go", "url": "https://e.com/{username}"}],
            "media": {"type": "photo", "file_id": "f"},
        }
    )
    sent = photo.to(7, names=EVE)
    assert (
        "caption" not in sent
        and sent["reply_markup"]["inline_keyboard"][0][0]["url"] == "https://e.com/eve%26co"
    )


def test_the_api_refuses_an_unknown_placeholder_with_its_name(client, admin):
    body = {
        "name": "n",
        "text": "Hello {firstname}",
        "send_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
    }
    response = client.post("/api/v1/mailings", json=body, headers=admin)
    assert response.status_code == 422
    (problem,) = response.json["error"]["details"]["text"]
    assert problem["code"] == "placeholder_unknown" and problem["params"]["names"] == ["firstname"]
    assert "firstname" in problem["message"]
