"""Who gets a mailing: its segment, as stored with it and as one SQL condition on `users`.

A segment narrows the active subscribers by any of: language (the first part of Telegram's
`language_code`, so `en` takes `en-GB` too), role, tags (any of, all of, none of), the source links
they came through, and when they subscribed. Every condition given must hold; no segment (NULL)
is everyone active. The condition is plain SQL with bind parameters, so the fan-out stays one
`INSERT … SELECT` and the tag conditions use the GIN index on `users.tags`.
"""

from __future__ import annotations

import re
from datetime import datetime

# Tags: free-form labels without spaces, commas or quotes: letters of any alphabet, digits, _ - : .
TAG_LIMIT = 64
TAG = re.compile(r"[\w:.\-]{1,64}")
# A /start payload, as Telegram allows it: A-Z, a-z, 0-9, _ and -, at most 64 characters.
SOURCE = re.compile(r"[A-Za-z0-9_\-]{1,64}")
SOURCE_TAG_PREFIX = "src:"
LANGUAGE = re.compile(r"[a-z]{2,3}")
LIST_LIMIT = 50

TAG_RULE = f"1–{TAG_LIMIT} letters, digits, _ - : or . (no spaces)"
SOURCE_RULE = "1–64 of A–Z, a–z, 0–9, _ and - (what Telegram allows in a /start payload)"
TAG_LISTS = ("tags_any", "tags_all", "tags_none")


def is_tag(value: object) -> bool:
    """True for a well-formed tag."""
    return isinstance(value, str) and TAG.fullmatch(value) is not None


def is_source(value: object) -> bool:
    """True for a well-formed source (a /start payload)."""
    return isinstance(value, str) and SOURCE.fullmatch(value) is not None


def source_tag(source: str) -> str:
    """The tag a source leaves on the users it brings."""
    return f"{SOURCE_TAG_PREFIX}{source}"


def normalized(segment: dict | None) -> dict | None:
    """A validated segment as stored: empty lists dropped, languages in lower case, times in ISO
    8601; None when nothing narrows the audience."""
    if not segment:
        return None
    stored: dict = {}
    for key in ("languages", "roles", "sources", *TAG_LISTS):
        values = segment.get(key) or []
        if key == "languages":
            values = [value.lower() for value in values]
        if values:
            stored[key] = sorted(set(values))
    for key in ("subscribed_after", "subscribed_before"):
        moment = segment.get(key)
        if moment is not None:
            stored[key] = moment.isoformat() if isinstance(moment, datetime) else str(moment)
    return stored or None


def _source_tags(sources: list[str]) -> list[str]:
    return [source_tag(source) for source in sources]


# Each condition: the segment's key, its SQL (with the bind parameter `seg_<key>`) and how its
# value binds.
_CONDITIONS = (
    ("languages", "lower(split_part(language_code, '-', 1)) = ANY(CAST(:seg_languages AS text[]))", list),
    ("roles", "role = ANY(CAST(:seg_roles AS text[]))", list),
    ("tags_any", "tags && CAST(:seg_tags_any AS varchar(64)[])", list),
    ("tags_all", "tags @> CAST(:seg_tags_all AS varchar(64)[])", list),
    ("tags_none", "NOT (tags && CAST(:seg_tags_none AS varchar(64)[]))", list),
    ("sources", "tags && CAST(:seg_sources AS varchar(64)[])", _source_tags),
    ("subscribed_after", "subscribed_at >= CAST(:seg_subscribed_after AS timestamptz)", str),
    ("subscribed_before", "subscribed_at < CAST(:seg_subscribed_before AS timestamptz)", str),
)


def condition(segment: dict | None) -> tuple[str, dict]:
    """The segment as a SQL condition on `users` (columns unqualified) and its bind parameters."""
    parts: list[str] = []
    params: dict = {}
    for key, sql, bind in _CONDITIONS:
        if segment and segment.get(key):
            parts.append(f"({sql})")
            params[f"seg_{key}"] = bind(segment[key])
    return " AND ".join(parts) or "TRUE", params
