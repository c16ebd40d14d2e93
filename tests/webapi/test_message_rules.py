"""Message rules: what Telegram accepts in a mailing draft."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from webapi.message_rules import (
    BUTTONS_LIMIT,
    CAPTION_LIMIT,
    MEDIA_TYPES,
    TEXT_LIMIT,
    as_html,
    check_buttons,
    check_media,
    check_name,
    check_send_at,
    check_text,
    fits_caption,
    validate_draft,
)
from webapi.problems import TEMPLATES
from webapi.telegram_html import ALLOWED_TAGS, HtmlError, ParsedText, parse_html, visible_length

NOW = datetime(2025, 5, 1, 9, 0, tzinfo=UTC)
MSK = timezone(timedelta(hours=3))
PHOTO = {"type": "photo", "file_id": "AgACAgIAAxkBAAIBZ2Yx_abc-DEF"}
NAIVE = datetime(2030, 1, 1, 9, 0)  # noqa: DTZ001 - the point is a time without an offset
REQUIRED = "This field is required."
ALLOWED = (
    "<b>, <strong>, <i>, <em>, <u>, <ins>, <s>, <strike>, <del>, <span>, <tg-spoiler>, "
    "<a>, <code>, <pre>, <blockquote>, <tg-emoji>"
)
NO_TIMEZONE = "Send time has no timezone: add a UTC offset, e.g. 2025-05-01T09:00:00+03:00."
MEDIA_TYPE = "Media type {!r} is not supported; use one of: photo, animation, video, document, audio, voice."
NO_FILE = "Media file is missing: send the file to the bot or give an http(s) link to it."
BAD_FILE_ID = "Media file_id is not a Telegram file_id: send the file to the bot again."
SPAN = '<span> at character 1 needs class="tg-spoiler"; Telegram supports no other spans.'
EMOJI_ID = '<tg-emoji> at character 1 needs a numeric emoji-id, like emoji-id="5368324170671202".'
LINK_SCHEMES = "must start with http://, https://, tg:// or mailto:"


def not_future(send_at, now):
    return f"Send time {send_at} is not in the future (it is now {now}): choose a later time."


def in_code(tag, at, block):
    return (
        f"<{tag}> at character {at} is inside <{block}> (opened at character 1): "
        "Telegram allows no formatting in code blocks; move it outside."
    )


def messages(problems):
    """The English messages of a check's problems, by field for a whole draft."""
    if isinstance(problems, dict):
        return {field: messages(found) for field, found in problems.items()}
    return [problem.message for problem in problems]


def entity(kind, offset, length, **extra):
    return {"type": kind, "offset": offset, "length": length, **extra}


def html_error(source):
    with pytest.raises(HtmlError) as caught:
        parse_html(source)
    return caught.value


# --- valid HTML -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "entities"),
    [
        ("<b>x</b>", [entity("bold", 0, 1)]),
        ("<strong>x</strong>", [entity("bold", 0, 1)]),
        ("<i>x</i>", [entity("italic", 0, 1)]),
        ("<em>x</em>", [entity("italic", 0, 1)]),
        ("<u>x</u>", [entity("underline", 0, 1)]),
        ("<ins>x</ins>", [entity("underline", 0, 1)]),
        ("<s>x</s>", [entity("strikethrough", 0, 1)]),
        ("<strike>x</strike>", [entity("strikethrough", 0, 1)]),
        ("<del>x</del>", [entity("strikethrough", 0, 1)]),
        ('<span class="tg-spoiler">x</span>', [entity("spoiler", 0, 1)]),
        ("<tg-spoiler>x</tg-spoiler>", [entity("spoiler", 0, 1)]),
        ('<a href="https://example.com">x</a>', [entity("text_link", 0, 1, url="https://example.com")]),
        ("<code>x</code>", [entity("code", 0, 1)]),
        ("<pre>x</pre>", [entity("pre", 0, 1)]),
        ("<blockquote>x</blockquote>", [entity("blockquote", 0, 1)]),
        (
            '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>',
            [entity("custom_emoji", 0, 2, custom_emoji_id="5368324170671202286")],
        ),
    ],
)
def test_each_allowed_tag_makes_its_entity(source, entities):
    assert parse_html(source).entities == entities


def test_allowed_tags_are_telegrams_set():
    assert set(ALLOWED_TAGS) == {
        *("b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler"),
        *("a", "code", "pre", "blockquote", "tg-emoji"),
    }


@pytest.mark.parametrize(
    ("source", "entities"),
    [
        ("<B>x</b>", [entity("bold", 0, 1)]),
        (
            "<A HREF='tg://resolve?domain=rassylka'>x</A>",
            [entity("text_link", 0, 1, url="tg://resolve?domain=rassylka")],
        ),
        ("<a href=https://example.com/p>x</a>", [entity("text_link", 0, 1, url="https://example.com/p")]),
        (
            '<a href = "mailto:team@example.com" >x</a>',
            [entity("text_link", 0, 1, url="mailto:team@example.com")],
        ),
        (
            '<a href="https://e.com/?a=1&amp;b=2">x</a>',
            [entity("text_link", 0, 1, url="https://e.com/?a=1&b=2")],
        ),
        ('<a href="https://e.com/?a=1&b=2">x</a>', [entity("text_link", 0, 1, url="https://e.com/?a=1&b=2")]),
        ("<span class='tg-spoiler'>x</span>", [entity("spoiler", 0, 1)]),
        ("<blockquote expandable>x</blockquote>", [entity("expandable_blockquote", 0, 1)]),
        ('<pre><code class="language-python">x</code></pre>', [entity("pre", 0, 1, language="python")]),
        ("<pre><code>x</code></pre>", [entity("pre", 0, 1)]),
        ('<code class="language-python">x</code>', [entity("code", 0, 1)]),
        ('<b title="ignored">x</b>', [entity("bold", 0, 1)]),
    ],
)
def test_tag_case_and_attribute_forms(source, entities):
    assert parse_html(source) == ParsedText("x", entities)


def test_nested_entities_have_utf16_offsets_in_opening_order():
    parsed = parse_html("😀 <b>bold <i>both</i></b> &amp; <u>🎉</u>")

    assert parsed.text == "😀 bold both & 🎉"
    assert parsed.entities == [
        entity("bold", 3, 9),
        entity("italic", 8, 4),
        entity("underline", 15, 2),
    ]


def test_formatting_around_code_and_links_is_allowed():
    parsed = parse_html('<b><code>x</code> <a href="https://e.com"><i>y</i></a></b>')

    assert parsed.entities == [
        entity("bold", 0, 3),
        entity("code", 0, 1),
        entity("text_link", 2, 1, url="https://e.com"),
        entity("italic", 2, 1),
    ]


def test_entities_covering_no_text_are_dropped():
    assert parse_html("<b></b>x<i></i>") == ParsedText("x", [])


@pytest.mark.parametrize(
    ("source", "text"),
    [
        ("&lt;b&gt; &amp; &quot;q&quot;", '<b> & "q"'),
        ("&#65;&#x42;&#X43;&#128512;", "ABC😀"),
        ("a > b", "a > b"),
        ("line one\nline two", "line one\nline two"),
        ("", ""),
    ],
)
def test_entities_are_decoded_into_visible_text(source, text):
    assert parse_html(source).text == text


# --- invalid HTML: message and position --------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "position", "message"),
    [
        ("Hi <b>there", 3, "Unclosed <b> tag opened at character 4: add </b>."),
        ("<b>a<i>b", 4, "Unclosed <i> tag opened at character 5: add </i>."),
        (
            "<b><i>x</b></i>",
            7,
            "</b> at character 8 closes <b> while <i> (opened at character 4) is still open: add </i> first.",
        ),
        ("x</b>", 1, "</b> at character 2 has no matching opening <b> tag: remove it or add <b>."),
        ("<div>x</div>", 0, f"Unknown tag <div> at character 1: Telegram allows only {ALLOWED}."),
        ("a<BR>b", 1, "<br> at character 2 is not supported by Telegram: use a line break instead."),
        ("a<br/>b", 1, "<br> at character 2 is not supported by Telegram: use a line break instead."),
        ("<b/>", 0, "<b/> at character 1: Telegram has no self-closing tags; write <b>…</b>."),
        ("1 < 2", 2, "Unescaped '<' at character 3: write &lt; for a literal '<'."),
        ("I <3 you", 2, "Unescaped '<' at character 3: write &lt; for a literal '<'."),
        ("Tom & Jerry", 4, "Unescaped '&' at character 5: write &amp; for a literal '&'."),
        (
            "a&nbsp;b",
            1,
            "Unsupported entity &nbsp; at character 2: Telegram knows only &lt; &gt; &amp; &quot; and "
            "numeric ones like &#160;; write &amp; for a literal '&'.",
        ),
        ("&#0;", 0, "&#0; at character 1 is not a valid character code: write &amp; for a literal '&'."),
        (
            "&#xD800;",
            0,
            "&#xD800; at character 1 is not a valid character code: write &amp; for a literal '&'.",
        ),
        ("x <b", 2, "Tag <b at character 3 has no closing '>': finish the tag, or write &lt; for a '<'."),
        ("<b>x</b", 4, "Tag </b at character 5 has no closing '>': finish the tag, or write &lt; for a '<'."),
        ("<b>x</b class=y>", 4, "Closing tag </b> at character 5 cannot have attributes."),
        ('<a href="https://e.com>x</a>', 8, 'The href value at character 9 has no closing ".'),
    ],
)
def test_html_errors_name_the_tag_and_position(source, position, message):
    error = html_error(source)

    assert (error.position, error.message) == (position, message)
    assert str(error) == message


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("<a>x</a>", '<a> at character 1 has no href: write <a href="https://example.com">.'),
        ('<a href="">x</a>', '<a> at character 1 has an empty href: put the link in href="…".'),
        (
            '<a href="javascript:alert(1)">x</a>',
            f"The link in <a> at character 1 {LINK_SCHEMES} (got 'javascript:').",
        ),
        (
            '<a href="https://">x</a>',
            "The link in <a> at character 1 has no host: write it like https://example.com/page.",
        ),
        (
            '<a href="example.com">x</a>',
            f"The link in <a> at character 1 {LINK_SCHEMES} (got 'example.com').",
        ),
        ("<span>x</span>", SPAN),
        ('<span class="red">x</span>', SPAN),
        ("<tg-emoji>👍</tg-emoji>", EMOJI_ID),
        ('<tg-emoji emoji-id="abc">👍</tg-emoji>', EMOJI_ID),
    ],
)
def test_tag_attribute_errors(source, message):
    assert html_error(source).message == message


@pytest.mark.parametrize(
    ("source", "position", "message"),
    [
        ("<code>a<b>x</b></code>", 7, in_code("b", 8, "code")),
        ("<pre>a<i>x</i></pre>", 6, in_code("i", 7, "pre")),
        ("<pre><code><code>x</code></code></pre>", 11, in_code("code", 12, "pre")),
        ("<code><pre>x</pre></code>", 6, in_code("pre", 7, "code")),
        (
            '<a href="https://a.com">1<a href="https://b.com">2</a></a>',
            25,
            "<a> at character 26 is inside another <a> opened at character 1: add </a> before it.",
        ),
        (
            "<blockquote><blockquote>x</blockquote></blockquote>",
            12,
            "<blockquote> at character 13 is inside another <blockquote> opened at character 1: "
            "add </blockquote> before it.",
        ),
    ],
)
def test_nesting_errors(source, position, message):
    error = html_error(source)

    assert (error.position, error.message) == (position, message)


# --- lengths ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "length"),
    [("hello", 5), ("😀", 2), ("привет", 6), ("👨‍👩‍👧", 8), ("", 0)],
)
def test_visible_length_counts_utf16_code_units(text, length):
    assert visible_length(text) == length


@pytest.mark.parametrize(
    "text",
    [
        "a" * TEXT_LIMIT,
        "<b>" + "a" * TEXT_LIMIT + "</b>",
        '<a href="https://example.com">' + "a" * TEXT_LIMIT + "</a>",
        "&amp;" * TEXT_LIMIT,
        "😀" * (TEXT_LIMIT // 2),
    ],
    ids=["plain", "bold", "link", "entities", "emoji"],
)
def test_text_at_the_limit_is_accepted(text):
    assert messages(check_text(text, has_media=False)) == []


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("a" * (TEXT_LIMIT + 1), 4097),
        ("<i>" + "a" * (TEXT_LIMIT + 1) + "</i>", 4097),
        ("😀" * (TEXT_LIMIT // 2) + "a", 4097),
        ("a" * 4100, 4100),
    ],
    ids=["plain", "italic", "emoji", "4100"],
)
def test_text_over_the_limit_says_by_how_much(text, length):
    assert messages(check_text(text, has_media=False)) == [
        f"Text is {length} characters after formatting is removed; the limit is 4096. "
        f"Shorten it by {length - 4096}."
    ]


@pytest.mark.parametrize("text", ["", "   \n ", "<b></b>", "<b> </b>"])
def test_empty_text_is_refused_without_media_and_allowed_with_it(text):
    assert messages(check_text(text, has_media=False)) == ["Text is empty: write the message text."]
    assert messages(check_text(text, has_media=True)) == []


def test_long_text_with_media_is_allowed_up_to_the_text_limit():
    assert messages(check_text("a" * 2000, has_media=True)) == []
    assert messages(check_text("a" * 4097, has_media=True)) == [
        "Text is 4097 characters after formatting is removed; the limit is 4096. Shorten it by 1."
    ]


def test_text_reports_html_errors_and_wrong_types():
    assert messages(check_text("<b>x", has_media=False)) == [
        "Unclosed <b> tag opened at character 1: add </b>."
    ]
    assert messages(check_text(None, has_media=False)) == ["Text must be a string of HTML."]


@pytest.mark.parametrize(
    ("text", "fits"),
    [
        ("a" * CAPTION_LIMIT, True),
        ("<b>" + "a" * CAPTION_LIMIT + "</b>", True),
        ("&lt;" * CAPTION_LIMIT, True),
        ("a" * (CAPTION_LIMIT + 1), False),
        ("😀" * (CAPTION_LIMIT // 2) + "a", False),
        ("", True),
    ],
)
def test_fits_caption_counts_visible_utf16_length(text, fits):
    assert fits_caption(text) is fits


# --- name -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "errors"),
    [
        ("May sale", []),
        ("я" * 100, []),
        ("   ", ["Name is empty: give the mailing a short internal name."]),
        ("n" * 101, ["Name is 101 characters; the limit is 100. Shorten it."]),
        (42, ["Name must be text."]),
    ],
)
def test_check_name(name, errors):
    assert messages(check_name(name)) == errors


# --- buttons ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com",
        "http://example.com/a?b=c",
        "tg://resolve?domain=rassylka",
        "HTTPS://EXAMPLE.COM",
    ],
)
def test_button_links_that_telegram_accepts(url):
    assert messages(check_buttons([{"text": "Open", "url": url}])) == []


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("javascript:alert(1)", "link must start with http://, https:// or tg:// (got 'javascript:')."),
        ("ftp://example.com/file", "link must start with http://, https:// or tg:// (got 'ftp:')."),
        ("mailto:team@example.com", "link must start with http://, https:// or tg:// (got 'mailto:')."),
        ("example.com", "link must start with http://, https:// or tg:// (got 'example.com')."),
        ("https://", "link has no host: write it like https://example.com/page."),
        ("tg://", "link has nothing after tg://: complete the address."),
        ("https://example.com/a b", "link contains a space: remove it or write it as %20."),
        ("http://[::1", "link is not a valid address."),
        ("https://e.com/" + "a" * 2040, "link is 2054 characters long; the limit is 2048."),
        ("", "link is missing: add an http://, https:// or tg:// link."),
    ],
)
def test_button_links_that_telegram_refuses(url, problem):
    buttons = [{"text": "Fine", "url": "https://ok.com"}, {"text": "Bad", "url": url}]

    assert messages(check_buttons(buttons)) == [f"Button 2: {problem}"]


@pytest.mark.parametrize(
    ("button", "problems"),
    [
        ({"text": "  ", "url": "https://e.com"}, ["Button 1: text is empty: write the button label."]),
        ({"text": "x" * 64, "url": "https://e.com"}, []),
        ({"text": "x" * 65, "url": "https://e.com"}, ["Button 1: text is 65 characters; the limit is 64."]),
        ({"text": "😀" * 33, "url": "https://e.com"}, ["Button 1: text is 66 characters; the limit is 64."]),
        (
            {"text": ""},
            [
                "Button 1: text is empty: write the button label.",
                "Button 1: link is missing: add an http://, https:// or tg:// link.",
            ],
        ),
        ("Open", ['Button 1: must be {"text": …, "url": …}.']),
    ],
)
def test_button_labels(button, problems):
    assert messages(check_buttons([button])) == problems


def test_button_count_limit():
    button = {"text": "Go", "url": "https://e.com"}

    assert messages(check_buttons([button] * BUTTONS_LIMIT)) == []
    assert messages(check_buttons([button] * (BUTTONS_LIMIT + 1))) == [
        "There are 101 buttons; the limit is 100. Remove 1."
    ]
    assert messages(check_buttons(None)) == []
    assert messages(check_buttons("Go")) == ['Buttons must be a list of {"text": …, "url": …}.']


# --- media ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", MEDIA_TYPES)
def test_every_media_type_is_accepted(kind):
    assert messages(check_media({"type": kind, "file_id": PHOTO["file_id"]})) == []


@pytest.mark.parametrize(
    ("media", "errors"),
    [
        (None, []),
        ({"type": "photo", "file_id": "https://example.com/cat.jpg"}, []),
        ({"type": "sticker", "file_id": "abc"}, [MEDIA_TYPE.format("sticker")]),
        ({"type": "photo", "file_id": ""}, [NO_FILE]),
        ({"type": "photo"}, [NO_FILE]),
        ({"type": "photo", "file_id": "abc def"}, [BAD_FILE_ID]),
        ({"type": "photo", "file_id": "A" * 256}, [BAD_FILE_ID]),
        (
            {"type": "photo", "file_id": "ftp://example.com/cat.jpg"},
            ["Media link must start with http:// or https:// (got 'ftp:')."],
        ),
        (
            {"type": "photo", "file_id": "https:///cat.jpg"},
            ["Media link has no host: write it like https://example.com/page."],
        ),
        ("photo", ['Media must be {"type": …, "file_id": …}.']),
    ],
)
def test_check_media(media, errors):
    assert messages(check_media(media)) == errors


# --- send time --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("send_at", "errors"),
    [
        (NOW + timedelta(seconds=1), []),
        (datetime(2025, 5, 1, 12, 30, tzinfo=MSK), []),
        (NOW, [not_future("2025-05-01T09:00:00+00:00", "2025-05-01T09:00:00+00:00")]),
        (
            datetime(2025, 5, 1, 12, 0, tzinfo=MSK),
            [not_future("2025-05-01T12:00:00+03:00", "2025-05-01T12:00:00+03:00")],
        ),
        (NOW - timedelta(days=1), [not_future("2025-04-30T09:00:00+00:00", "2025-05-01T09:00:00+00:00")]),
        (NAIVE, [NO_TIMEZONE]),
        ("2030-01-01T09:00:00+03:00", ["Send time must be a date and time, e.g. 2025-05-01T09:00:00+03:00."]),
    ],
    ids=["future", "future-msk", "exactly-now", "now-in-msk", "past", "naive", "string"],
)
def test_check_send_at(send_at, errors):
    assert messages(check_send_at(send_at, NOW)) == errors


def test_check_send_at_needs_an_aware_now():
    with pytest.raises(ValueError, match="timezone-aware"):
        check_send_at(NOW, datetime(2025, 5, 1, 9, 0))  # noqa: DTZ001


# --- whole draft ------------------------------------------------------------------------------


def valid_draft(**changes):
    draft = {
        "name": "May sale",
        "text": "<b>Sale</b> starts &amp; ends soon",
        "send_at": NOW + timedelta(hours=1),
        "buttons": [{"text": "Shop", "url": "https://shop.example.com"}],
        "media": None,
    }
    draft.update(changes)
    return draft


@pytest.mark.parametrize(
    ("draft", "errors"),
    [
        (valid_draft(), {}),
        (valid_draft(media=PHOTO, text=""), {}),
        (valid_draft(media=PHOTO, text="a" * 3000), {}),
        (valid_draft(buttons=None), {}),
        ({}, {"name": [REQUIRED], "text": [REQUIRED], "send_at": [REQUIRED]}),
        (valid_draft(name=None), {"name": [REQUIRED]}),
        (valid_draft(text=""), {"text": ["Text is empty: write the message text."]}),
        (
            valid_draft(
                text="<p>hi</p>",
                send_at=NOW,
                buttons=[{"text": "ok", "url": "https://e.com"}, {"text": "ok", "url": "e.com"}],
                media={"type": "gif", "file_id": "abc"},
            ),
            {
                "text": [f"Unknown tag <p> at character 1: Telegram allows only {ALLOWED}."],
                "send_at": [not_future("2025-05-01T09:00:00+00:00", "2025-05-01T09:00:00+00:00")],
                "buttons": ["Button 2: link must start with http://, https:// or tg:// (got 'e.com')."],
                "media": [MEDIA_TYPE.format("gif")],
            },
        ),
    ],
    ids=[
        "valid",
        "media-no-text",
        "media-long-text",
        "no-buttons",
        "empty",
        "name-null",
        "empty-text",
        "many",
    ],
)
def test_validate_full_draft(draft, errors):
    assert messages(validate_draft(draft, NOW)) == errors


@pytest.mark.parametrize(
    ("draft", "errors"),
    [
        ({}, {}),
        ({"name": "May sale"}, {}),
        ({"text": ""}, {"text": ["Text is empty: write the message text."]}),
        ({"text": "", "media": PHOTO}, {}),
        ({"text": "a" * 1500, "media": PHOTO}, {}),
        ({"name": None}, {"name": [REQUIRED]}),
        (
            {"buttons": [{"text": "", "url": "tg://resolve?domain=x"}]},
            {"buttons": ["Button 1: text is empty: write the button label."]},
        ),
        ({"send_at": NAIVE}, {"send_at": [NO_TIMEZONE]}),
    ],
    ids=[
        "nothing",
        "name",
        "empty-text",
        "media-no-text",
        "media-long-text",
        "name-null",
        "button",
        "naive-time",
    ],
)
def test_validate_partial_draft_checks_only_given_fields(draft, errors):
    assert messages(validate_draft(draft, NOW, partial=True)) == errors


# --- reading a text as HTML or plain text -----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "text_format", "html", "used", "why"),
    [
        ("Tom & Jerry: 5 < 6", "auto", "Tom &amp; Jerry: 5 &lt; 6", "plain", None),
        ("Sale starts today", "auto", "Sale starts today", "plain", None),
        ("a > b", "auto", "a > b", "plain", None),
        ("I <3 you", "auto", "I &lt;3 you", "plain", None),
        ("https://e.com/?a=1&b=2", "auto", "https://e.com/?a=1&amp;b=2", "plain", None),
        ("<b>Sale</b> starts", "auto", "<b>Sale</b> starts", "html", None),
        ("Tom &amp; Jerry", "auto", "Tom &amp; Jerry", "html", None),
        ("<b>Sale starts", "auto", "&lt;b>Sale starts", "plain", "html_unclosed_tag"),
        ("<blink>Sale</blink>", "auto", "&lt;blink>Sale&lt;/blink>", "plain", "html_unknown_tag"),
        ("<b>Sale</b> & more", "plain", "&lt;b>Sale&lt;/b> &amp; more", "plain", None),
        ("Tom & Jerry", "html", "Tom & Jerry", "html", None),
    ],
)
def test_as_html_reads_a_text_in_its_format(text, text_format, html, used, why):
    stored, format_used, problem_found = as_html(text, text_format)

    assert (stored, format_used) == (html, used)
    assert (problem_found.code if problem_found else None) == why
    if used == "plain":  # subscribers see exactly what was typed
        assert parse_html(stored) == ParsedText(text, [])


def test_as_html_refuses_an_unknown_format():
    with pytest.raises(ValueError, match="text_format"):
        as_html("x", "markdown")


# --- codes and params -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("problems", "code", "params"),
    [
        (
            check_text("a" * 5120, has_media=False),
            "text_too_long",
            {"length": 5120, "limit": 4096, "excess": 1024},
        ),
        (check_text("Tom & Jerry", has_media=False), "html_unescaped_amp", {"at": 5}),
        (
            check_text("<b><i>x</b></i>", has_media=False),
            "html_misnested_tag",
            {"at": 8, "tag": "b", "open_tag": "i", "open_at": 4},
        ),
        (
            check_buttons([{"text": "Go", "url": "ftp://e.com"}]),
            "button_link_wrong_scheme",
            {"button": 1, "got": "ftp:"},
        ),
        (check_media({"type": "photo", "file_id": "https:///x"}), "media_link_no_host", {"scheme": "https"}),
        (check_send_at(NOW, NOW), "send_at_not_future", {"send_at": NOW.isoformat(), "now": NOW.isoformat()}),
        (check_name("n" * 101), "name_too_long", {"length": 101, "limit": 100}),
    ],
)
def test_each_problem_has_a_stable_code_and_the_params_its_message_names(problems, code, params):
    (problem,) = problems

    assert (problem.code, problem.params) == (code, params)
    assert problem.message == TEMPLATES[code].format(**params)
    assert problem.as_dict() == {"code": code, "params": params, "message": problem.message}


def test_html_errors_carry_their_problem():
    error = html_error("x</b>")

    assert error.problem.code == "html_unopened_tag"
    assert error.problem.params == {"at": 2, "tag": "b"}
    assert error.message == error.problem.message
