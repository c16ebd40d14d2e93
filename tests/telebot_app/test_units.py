"""Small pure parts: typed send times, callback_data sizes, text catalogs."""

import string
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from telebot_app import keyboards, texts
from telebot_app.drafts import new_draft
from telebot_app.times import NotATime, parse_send_time, show_decimal, show_duration, show_time

MOSCOW = ZoneInfo("Europe/Moscow")
NOW = datetime(2031, 3, 1, 9, 30, tzinfo=UTC)  # 12:30 in Moscow


def test_typed_times():
    assert parse_send_time("01.03.2031 15:00", MOSCOW, NOW) == datetime(2031, 3, 1, 15, 0, tzinfo=MOSCOW)
    assert parse_send_time(" 1.3.2031   9:05 ", MOSCOW, NOW) == datetime(2031, 3, 1, 9, 5, tzinfo=MOSCOW)
    assert parse_send_time("13:00", MOSCOW, NOW) == datetime(2031, 3, 1, 13, 0, tzinfo=MOSCOW)
    assert parse_send_time("12:30", MOSCOW, NOW) == datetime(2031, 3, 2, 12, 30, tzinfo=MOSCOW)  # next one
    assert parse_send_time("NOW", MOSCOW, NOW) is None
    assert parse_send_time("сейчас", MOSCOW, NOW) is None
    for wrong in ("", "tomorrow", "24:00", "12:60", "30.02.2031 10:00", "2031-03-01 10:00", "10.00"):
        with pytest.raises(NotATime):
            parse_send_time(wrong, MOSCOW, NOW)


def test_times_are_shown_in_the_zone_with_its_name():
    assert show_time("2031-03-01T09:30:00+00:00", MOSCOW) == "01.03.2031 12:30 MSK (Europe/Moscow)"
    assert (
        show_time("2031-07-01T09:30:00Z", ZoneInfo("Europe/Berlin"))
        == "01.07.2031 11:30 CEST (Europe/Berlin)"
    )


def test_durations_and_numbers_read_as_the_engine_writes_them():
    assert [show_duration(s) for s in (0, 59.4, 61, 3599, 3600, 36_061)] == [
        "0:00",
        "0:59",
        "1:01",
        "59:59",
        "1:00:00",
        "10:01:01",
    ]
    assert show_decimal(12.345, "ru") == "12,3" and show_decimal(12.345, "en") == "12.3"


def _all_data(markup) -> list[str]:
    return [b.callback_data for row in markup.keyboard for b in row if b.callback_data]


@given(
    mailing_id=st.integers(1, 2**63 - 1),
    number=st.integers(1, 10**9),
    status=st.sampled_from(["scheduled", "sending", "paused"]),
)
def test_callback_data_fits_64_bytes(mailing_id, number, status):
    t = lambda key, **values: key  # noqa: E731 - labels do not matter here
    draft = {
        **new_draft(),
        "buttons": [{"text": "x" * 64, "url": "https://e.org"}] * 100,
        "media": {"type": "photo"},
    }
    markups = [
        keyboards.browser(t, {"id": mailing_id, "status": status}, number),
        keyboards.role_choice(t, 2**63 - 1, "admin"),
        keyboards.constructor_menu(t, draft),
        keyboards.conflict(t, draft),
        keyboards.manage_buttons(t, draft, 4),
        keyboards.confirm(t, "yes", f"ml:cancelok:{mailing_id}:{number}", f"ml:p:{number}"),
    ]
    for markup in markups:
        assert all(len(data.encode()) <= 64 for data in _all_data(markup))
        assert sum(len(row) for row in markup.keyboard) <= 100


def test_catalogs_have_the_same_keys_and_placeholders():
    formatter = string.Formatter()
    assert set(texts.CATALOGS["ru"]) == set(texts.CATALOGS["en"])
    for key, english in texts.CATALOGS["en"].items():
        russian = texts.CATALOGS["ru"][key]
        names = {name for _, name, _, _ in formatter.parse(english) if name}
        assert names == {name for _, name, _, _ in formatter.parse(russian) if name}, key


def test_values_are_escaped_but_markup_is_kept():
    assert texts.text("en", "api_error", message="<b> & co") == "That did not work: &lt;b&gt; &amp; co"
    assert texts.text("en", "api_error", message=texts.Markup("<b>x</b>")) == "That did not work: <b>x</b>"
    assert texts.language_for("ru-RU", "en") == "ru" and texts.language_for(None, "ru") == "ru"
