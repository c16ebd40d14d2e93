"""Telegram's HTML parse mode, unit by unit."""

import pytest

from telegram_sandbox.html_entities import EntityParseError, finish_text, parse_html, utf16_len


def parse(text):
    return finish_text(*parse_html(text))


def test_nested_tags_links_code_and_spoilers():
    text, entities = parse(
        '<b>bold <i>both</i></b> <a href="https://example.com/?a=1&amp;b=2">link</a> '
        '<pre><code class="language-python">x = 1</code></pre> <span class="tg-spoiler">s</span>'
        " <tg-spoiler>t</tg-spoiler> <blockquote expandable>q</blockquote>"
    )
    assert text == "bold both link x = 1 s t q"
    assert entities == [
        {"offset": 0, "length": 9, "type": "bold"},
        {"offset": 5, "length": 4, "type": "italic"},
        {"offset": 10, "length": 4, "type": "text_link", "url": "https://example.com/?a=1&b=2"},
        {"offset": 15, "length": 5, "type": "pre", "language": "python"},
        {"offset": 21, "length": 1, "type": "spoiler"},
        {"offset": 23, "length": 1, "type": "spoiler"},
        {"offset": 25, "length": 1, "type": "expandable_blockquote"},
    ]


def test_utf16_offsets_trimming_and_unknown_references():
    text, entities = parse("  😀 <b>x</b> &copy; &lt;&#128512;  ")
    assert text == "😀 x &copy; <😀"
    assert entities == [{"offset": 3, "length": 1, "type": "bold"}]
    assert utf16_len("😀a") == 3


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("é<zz>", 'Unsupported start tag "zz" at byte offset 2'),
        ("</b>", "Unexpected end tag at byte offset 0"),
        ("<b", "Unclosed start tag at byte offset 0"),
        ("<b>x</b", "Unclosed end tag at byte offset 4"),
        ("<a href=x!>y</a>", "Unexpected end of name token at byte offset 8"),
        ("<br/>", 'Unsupported start tag "br/" at byte offset 0'),
    ],
)
def test_errors_match_telegram(source, message):
    with pytest.raises(EntityParseError) as error:
        parse_html(source)
    assert str(error.value) == message


def test_auto_detected_entities():
    text, entities = parse("/start@sandbox_1_bot go to https://example.com #tag @someone")
    assert [e["type"] for e in entities] == ["bot_command", "url", "hashtag", "mention"]
    assert (
        text[entities[1]["offset"] : entities[1]["offset"] + entities[1]["length"]] == "https://example.com"
    )
