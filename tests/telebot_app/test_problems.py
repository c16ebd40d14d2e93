"""Every problem the message rules can produce reads in Russian and in English, with its params."""

import html
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from telebot_app.problems import TIME_PARAMS, problem_text
from telebot_app.texts import en, ru
from webapi import domain
from webapi.errors import _MARSHMALLOW_CODES, CODES
from webapi.message_rules import validate_draft
from webapi.problems import TEMPLATES
from webapi.series_rules import TEMPLATES as RULE_TEMPLATES
from webapi.series_rules import read_rule

NOW = datetime(2025, 5, 1, 9, 0, tzinfo=UTC)
ZONE = ZoneInfo("Europe/Moscow")
OK_BUTTON = {"text": "Go", "url": "https://e.com"}
LONG_PATH = "https://e.com/" + "a" * 2040


def link(href: str) -> dict:
    return {"text": f'<a href="{href}">x</a>'}


def button_url(url: str) -> dict:
    return {"buttons": [{"text": "Go", "url": url}]}


def media_file(file_id: str) -> dict:
    return {"media": {"type": "photo", "file_id": file_id}}


# One (partial) draft for each code the rules can produce.
EXAMPLES = {
    "required": {"name": None},
    "name_not_text": {"name": 5},
    "name_empty": {"name": "  "},
    "name_too_long": {"name": "n" * 101},
    "text_not_text": {"text": 5},
    "text_empty": {"text": " "},
    "text_too_long": {"text": "a" * 5120},
    "placeholder_unknown": {"text": "Hi {frist_name}"},
    "html_unclosed_tag": {"text": "<b>x"},
    "html_unescaped_amp": {"text": "Tom & Jerry"},
    "html_bad_char_code": {"text": "&#0;"},
    "html_unknown_entity": {"text": "a&nbsp;b"},
    "html_unescaped_lt": {"text": "1 < 2"},
    "html_br": {"text": "a<br>b"},
    "html_unknown_tag": {"text": "<div>x</div>"},
    "html_unfinished_tag": {"text": "x <b"},
    "html_closing_tag_attributes": {"text": "<b>x</b class=y>"},
    "html_unopened_tag": {"text": "x</b>"},
    "html_misnested_tag": {"text": "<b><i>x</b></i>"},
    "html_self_closing_tag": {"text": "<b/>"},
    "html_unexpected_character": {"text": '<b "x">y</b>'},
    "html_unclosed_quote": {"text": '<a href="https://e.com>x</a>'},
    "html_formatting_in_code": {"text": "<code>a<b>x</b></code>"},
    "html_nested_tag": {"text": "<blockquote><blockquote>x</blockquote></blockquote>"},
    "html_span_class": {"text": "<span>x</span>"},
    "html_emoji_id": {"text": "<tg-emoji>👍</tg-emoji>"},
    "html_link_no_href": {"text": "<a>x</a>"},
    "html_link_empty_href": {"text": '<a href="">x</a>'},
    "html_link_has_space": link("https://e.com/a b"),
    "html_link_too_long": link(LONG_PATH),
    "html_link_invalid": link("http://[::1"),
    "html_link_wrong_scheme": link("ftp://e.com"),
    "html_link_no_host": link("https://"),
    "html_link_incomplete": link("tg://"),
    "buttons_not_list": {"buttons": "Go"},
    "buttons_too_many": {"buttons": [OK_BUTTON] * 101},
    "button_not_object": {"buttons": ["Go"]},
    "button_text_empty": {"buttons": [{"text": " ", "url": "https://e.com"}]},
    "button_text_too_long": {"buttons": [{"text": "x" * 65, "url": "https://e.com"}]},
    "button_placeholder_unknown": {"buttons": [{"text": "Go", "url": "https://e.com/?u={user_id}"}]},
    "button_link_missing": button_url(""),
    "button_link_has_space": button_url("https://e.com/a b"),
    "button_link_too_long": button_url(LONG_PATH),
    "button_link_invalid": button_url("http://[::1"),
    "button_link_wrong_scheme": button_url("ftp://e.com"),
    "button_link_no_host": button_url("https://"),
    "button_link_incomplete": button_url("tg://"),
    "media_not_object": {"media": "photo"},
    "media_type_unsupported": {"media": {"type": "sticker", "file_id": "abc"}},
    "media_file_missing": media_file(""),
    "media_file_id_invalid": media_file("abc def"),
    "media_link_has_space": media_file("https://e.com/a b"),
    "media_link_too_long": media_file(LONG_PATH),
    "media_link_invalid": media_file("http://[::1"),
    "media_link_wrong_scheme": media_file("ftp://e.com/x"),
    "media_link_no_host": media_file("https:///cat.jpg"),
    "send_at_not_time": {"send_at": "2030-01-01T09:00:00+03:00"},
    "send_at_no_timezone": {"send_at": datetime(2030, 1, 1, 9, 0)},  # noqa: DTZ001 - naive on purpose
    "send_at_not_future": {"send_at": NOW - timedelta(days=1)},
}
# Params of the refusals whose details carry some, as the API sends them; the others carry none.
REFUSAL_PARAMS = {
    "wrong_status": {"status": "sending"},
    "version_conflict": {"current_version": 3},
    "idempotency_key_reused": {"mailing_id": 7},
    "rate_limited": {"retry_after": 30},
    "telegram_error": {"description": "Bad Request: chat not found"},
    "series_wrong_status": {"status": "ended"},
}
# One repeat rule of a recurring mailing for each code the rule check can produce (webapi/series_rules.py).
RULE_EXAMPLES = {
    "rule_kind_unknown": {"kind": "hourly", "time": "09:00"},
    "rule_time_invalid": {"kind": "daily", "time": "9.00"},
    "rule_weekdays_missing": {"kind": "weekdays", "time": "09:00"},
    "rule_weekday_invalid": {"kind": "weekdays", "time": "09:00", "weekdays": [7]},
    "rule_weekdays_unexpected": {"kind": "monthly", "time": "09:00", "day": 1, "weekdays": [0]},
    "rule_day_missing": {"kind": "monthly", "time": "09:00"},
    "rule_day_invalid": {"kind": "monthly", "time": "09:00", "day": 32},
    "rule_day_unexpected": {"kind": "weekdays", "time": "09:00", "weekdays": [0], "day": 5},
    "rule_count_invalid": {"kind": "daily", "time": "09:00", "count": 0},
    "rule_until_past": {"kind": "daily", "time": "09:00", "until": date(2025, 4, 30)},
    "rule_never_runs": {"kind": "monthly", "time": "09:00", "day": 31, "until": date(2025, 5, 20)},
}
# Params the catalogs leave out on purpose: internal names that the text says in words instead.
NOT_SHOWN = {"media_type_unsupported": {"type", "types"}}
WEBAPI = Path(domain.__file__).parent
# A code given where the error is raised: ApiError(..., code="x") or a problem dict {"code": "x", "params"…}.
RAISED_CODE = re.compile(r'\bcode="(\w+)"|"code": "(\w+)", "params"')


def domain_codes() -> set[str]:
    """The `code` of every DomainError subclass the API declares, however deep."""
    codes, kinds = set(), list(domain.DomainError.__subclasses__())
    while kinds:
        kind = kinds.pop()
        kinds.extend(kind.__subclasses__())
        if kind.__module__.startswith("webapi."):  # not a test's own subclass
            codes.add(kind.code)
    return codes


def raised_codes() -> set[str]:
    """Codes written out where the API raises or builds an error, outside the tables above."""
    return {
        "".join(found)
        for path in WEBAPI.rglob("*.py")
        for found in RAISED_CODE.findall(path.read_text(encoding="utf-8"))
    }


# Every code the API answers besides the rules': by status, by kind of domain failure, by marshmallow
# field error (and "invalid" for a validator's message), or given where raised.
REFUSALS = sorted(
    set(CODES.values()) | domain_codes() | set(_MARSHMALLOW_CODES.values()) | {"invalid"} | raised_codes()
)


def produced(code: str) -> dict:
    """The problem `code` as the rules produce it from its example."""
    found = [p for problems in validate_draft(EXAMPLES[code], NOW, partial=True).values() for p in problems]
    matching = [p for p in found if p.code == code]
    assert matching, (code, [p.code for p in found])
    return matching[0].as_dict()


def test_every_rule_code_of_a_recurring_mailing_has_an_example():
    assert set(RULE_EXAMPLES) == set(RULE_TEMPLATES)


@pytest.mark.parametrize("code", sorted(RULE_TEMPLATES))
def test_every_repeat_rule_problem_reads_in_both_languages_with_its_params(code):
    _, errors = read_rule(RULE_EXAMPLES[code], ZONE, NOW)
    found = [p.as_dict() for problems in errors.values() for p in problems if p.code == code]
    assert found, (code, errors)
    for language, catalog in (("ru", ru.TEXTS), ("en", en.TEXTS)):
        assert f"problem_{code}" in catalog
        shown = problem_text(language, found[0], ZONE)
        assert shown != html.escape(found[0]["message"], quote=False) or language == "en"
        for value in found[0]["params"].values():
            assert html.escape(str(value), quote=False) in shown, (language, code, value)


def test_every_code_has_an_example_and_no_example_is_stale():
    assert set(EXAMPLES) == set(TEMPLATES)


def test_the_refusal_codes_are_found_and_their_params_are_not_stale():
    found = set(REFUSALS)
    assert {"forbidden", "invalid_key", "idempotency_key_reused", "invalid_utf8", "too_large"} <= found
    assert {"telegram_error", "telegram_unavailable", "nul_character", "wrong_status"} <= found
    assert {"approval_by_author", "approval_not_required", "approval_required"} <= found
    assert set(REFUSAL_PARAMS) <= found


@pytest.mark.parametrize("code", sorted(TEMPLATES))
@pytest.mark.parametrize("language", ["ru", "en"])
def test_every_rule_problem_reads_in_both_languages_with_its_params(code, language):
    problem = produced(code)
    assert f"problem_{code}" in {"ru": ru.TEXTS, "en": en.TEXTS}[language]

    shown = problem_text(language, problem, ZONE)

    if language == "ru":
        assert shown != html.escape(problem["message"], quote=False)  # the catalog's, not the API's English
    assert "{" not in shown.replace("{{", "").replace('{"', "")
    for name, value in problem["params"].items():
        if name in NOT_SHOWN.get(code, ()):
            continue
        if name in TIME_PARAMS:
            assert "MSK (Europe/Moscow)" in shown
        elif isinstance(value, list):
            assert ", ".join(value) in shown
        else:
            assert html.escape(str(value), quote=False) in shown, name


@pytest.mark.parametrize("code", REFUSALS)
def test_refusal_codes_read_in_both_languages(code):
    problem = {"code": code, "params": REFUSAL_PARAMS.get(code, {}), "message": "English from the API"}
    for language, catalog in (("ru", ru.TEXTS), ("en", en.TEXTS)):
        assert f"problem_{code}" in catalog
        assert problem_text(language, problem, ZONE) != "English from the API"


def test_russian_reads_russian_and_unknown_codes_fall_back_to_the_api_message():
    problem = {
        "code": "text_too_long",
        "params": {"length": 5120, "limit": 4096, "excess": 1024},
        "message": "Text is 5120 characters after formatting is removed; the limit is 4096.",
    }
    assert problem_text("ru", problem, ZONE) == (
        "Текст без учёта оформления длиннее 4096 символов (сейчас 5120): сократите его на 1024 симв."
    )
    status = {"code": "wrong_status", "params": {"status": "paused"}, "message": "x"}
    assert problem_text("ru", status, ZONE) == "Сейчас это сделать нельзя: рассылка на паузе."
    unknown = {"code": "brand_new", "params": {}, "message": "A <new> problem."}
    assert problem_text("ru", unknown, ZONE) == "A &lt;new&gt; problem."
    changed = {"code": "text_too_long", "params": {"size": 1}, "message": "Too long."}
    assert problem_text("en", changed, ZONE) == "Too long."
