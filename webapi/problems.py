"""What can be wrong in a mailing draft: a stable code, its parameters and an English message.

One table holds every code the message rules and the HTML parser produce. A client in another
language renders the code with its parameters; anyone else reads the English message.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


def _link_templates(place: str, start: str, allowed: str) -> dict[str, str]:
    """The six ways a link can be wrong, for one place a link is written in."""
    return {
        f"{place}_has_space": f"{start} contains a space: remove it or write it as %20.",
        f"{place}_too_long": f"{start} is {{length}} characters long; the limit is {{limit}}.",
        f"{place}_invalid": f"{start} is not a valid address.",
        f"{place}_wrong_scheme": f"{start} must start with {allowed} (got '{{got}}').",
        f"{place}_no_host": f"{start} has no host: write it like {{scheme}}://example.com/page.",
        f"{place}_incomplete": f"{start} has nothing after {{url}}: complete the address.",
    }


_AMP_HINT = "write &amp; for a literal '&'."

# Code → English template; the parameters each code carries are the template's fields.
TEMPLATES: dict[str, str] = {
    "required": "This field is required.",
    # The internal name
    "name_not_text": "Name must be text.",
    "name_empty": "Name is empty: give the mailing a short internal name.",
    "name_too_long": "Name is {length} characters; the limit is {limit}. Shorten it.",
    # The text
    "text_not_text": "Text must be a string of HTML.",
    "text_empty": "Text is empty: write the message text.",
    "text_too_long": "Text is {length} characters after formatting is removed; the limit is {limit}. "
    "Shorten it by {excess}.",
    "placeholder_unknown": "Unknown placeholder '{names}': use {known}.",
    # Telegram HTML in the text ({at} counts characters from 1)
    "html_unclosed_tag": "Unclosed <{tag}> tag opened at character {at}: add </{tag}>.",
    "html_unescaped_amp": f"Unescaped '&' at character {{at}}: {_AMP_HINT}",
    "html_bad_char_code": f"{{entity}} at character {{at}} is not a valid character code: {_AMP_HINT}",
    "html_unknown_entity": "Unsupported entity {entity} at character {at}: Telegram knows only &lt; &gt; "
    f"&amp; &quot; and numeric ones like &#160;; {_AMP_HINT}",
    "html_unescaped_lt": "Unescaped '<' at character {at}: write &lt; for a literal '<'.",
    "html_br": "<br> at character {at} is not supported by Telegram: use a line break instead.",
    "html_unknown_tag": "Unknown tag <{tag}> at character {at}: Telegram allows only {allowed}.",
    "html_unfinished_tag": "Tag {tag} at character {at} has no closing '>': finish the tag, "
    "or write &lt; for a '<'.",
    "html_closing_tag_attributes": "Closing tag </{tag}> at character {at} cannot have attributes.",
    "html_unopened_tag": "</{tag}> at character {at} has no matching opening <{tag}> tag: "
    "remove it or add <{tag}>.",
    "html_misnested_tag": "</{tag}> at character {at} closes <{tag}> while <{open_tag}> "
    "(opened at character {open_at}) is still open: add </{open_tag}> first.",
    "html_self_closing_tag": "<{tag}/> at character {at}: Telegram has no self-closing tags; "
    "write <{tag}>…</{tag}>.",
    "html_unexpected_character": "Unexpected '{character}' at character {at} inside the <{tag}> tag.",
    "html_unclosed_quote": "The {attribute} value at character {at} has no closing {quote}.",
    "html_formatting_in_code": "<{tag}> at character {at} is inside <{block}> (opened at character "
    "{block_at}): Telegram allows no formatting in code blocks; move it outside.",
    "html_nested_tag": "<{tag}> at character {at} is inside another <{tag}> opened at character "
    "{outer_at}: add </{tag}> before it.",
    "html_span_class": '<span> at character {at} needs class="tg-spoiler"; Telegram supports no other spans.',
    "html_emoji_id": "<tg-emoji> at character {at} needs a numeric emoji-id, "
    'like emoji-id="5368324170671202".',
    "html_link_no_href": '<a> at character {at} has no href: write <a href="https://example.com">.',
    "html_link_empty_href": '<a> at character {at} has an empty href: put the link in href="…".',
    **_link_templates(
        "html_link", "The link in <a> at character {at}", "http://, https://, tg:// or mailto:"
    ),
    # Buttons ({button} counts from 1)
    "buttons_not_list": 'Buttons must be a list of {{"text": …, "url": …}}.',
    "buttons_too_many": "There are {count} buttons; the limit is {limit}. Remove {excess}.",
    "button_not_object": 'Button {button}: must be {{"text": …, "url": …}}.',
    "button_text_empty": "Button {button}: text is empty: write the button label.",
    "button_text_too_long": "Button {button}: text is {length} characters; the limit is {limit}.",
    "button_placeholder_unknown": "Button {button}: unknown placeholder '{names}' in the link: use {known}.",
    "button_link_missing": "Button {button}: link is missing: add an http://, https:// or tg:// link.",
    **_link_templates("button_link", "Button {button}: link", "http://, https:// or tg://"),
    # Media
    "media_not_object": 'Media must be {{"type": …, "file_id": …}}.',
    "media_type_unsupported": "Media type {type!r} is not supported; use one of: {types}.",
    "media_file_missing": "Media file is missing: send the file to the bot or give an http(s) link to it.",
    "media_file_id_invalid": "Media file_id is not a Telegram file_id: send the file to the bot again.",
    **_link_templates("media_link", "Media link", "http:// or https://"),
    # The send time
    "send_at_not_time": "Send time must be a date and time, e.g. 2025-05-01T09:00:00+03:00.",
    "send_at_no_timezone": "Send time has no timezone: add a UTC offset, e.g. 2025-05-01T09:00:00+03:00.",
    "send_at_not_future": "Send time {send_at} is not in the future (it is now {now}): choose a later time.",
}

# An http(s) link with nothing after the scheme has no host, so this one never happens.
del TEMPLATES["media_link_incomplete"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a draft: `code` and `params` for programs, `message` for people."""

    code: str
    params: dict
    message: str

    def as_dict(self) -> dict:
        """The problem as the API answers it."""
        return asdict(self)


def problem(code: str, **params: object) -> Problem:
    """The problem `code` with its parameters and its English message."""
    shown = {
        name: ", ".join(map(str, value)) if isinstance(value, list) else value
        for name, value in params.items()
    }
    return Problem(code, params, TEMPLATES[code].format(**shown))
