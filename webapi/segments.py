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


def condition(segment: dict | None) -> tuple[str, dict]:
    """The segment as a SQL condition on `users` (columns unqualified) and its bind parameters."""
    if not segment:
        return "TRUE", {}
    parts: list[str] = []
    params: dict = {}
    if segment.get("languages"):
        parts.append("lower(split_part(language_code, '-', 1)) = ANY(CAST(:seg_languages AS text[]))")
        params["seg_languages"] = list(segment["languages"])
    if segment.get("roles"):
        parts.append("role = ANY(CAST(:seg_roles AS text[]))")
        params["seg_roles"] = list(segment["roles"])
    if segment.get("tags_any"):
        parts.append("tags && CAST(:seg_tags_any AS varchar(64)[])")
        params["seg_tags_any"] = list(segment["tags_any"])
    if segment.get("tags_all"):
        parts.append("tags @> CAST(:seg_tags_all AS varchar(64)[])")
        params["seg_tags_all"] = list(segment["tags_all"])
    if segment.get("tags_none"):
        parts.append("NOT (tags && CAST(:seg_tags_none AS varchar(64)[]))")
        params["seg_tags_none"] = list(segment["tags_none"])
    if segment.get("sources"):
        parts.append("tags && CAST(:seg_sources AS varchar(64)[])")
        params["seg_sources"] = [source_tag(source) for source in segment["sources"]]
    if segment.get("subscribed_after"):
        parts.append("subscribed_at >= CAST(:seg_after AS timestamptz)")
        params["seg_after"] = segment["subscribed_after"]
    if segment.get("subscribed_before"):
        parts.append("subscribed_at < CAST(:seg_before AS timestamptz)")
        params["seg_before"] = segment["subscribed_before"]
    return (" AND ".join(f"({part})" for part in parts) or "TRUE"), params
