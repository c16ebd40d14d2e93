"""A mailing's canary as admins type and read it: `5% 30 20%` (sample, wait in minutes, failures allowed),
and why a paused mailing paused.

The limits are the API's (`webapi/resources/canary.py`); the bot checks them first only to name the
very word that is wrong, and the API has the last word when the mailing is saved.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

MAX_PERCENT = 50.0
MAX_COUNT = 10_000_000
MAX_WAIT_MINUTES = 1440.0
DEFAULT_WAIT_MINUTES = 10.0
DEFAULT_MAX_FAILURE_SHARE = 0.2
NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


class CanaryUnreadable(ValueError):
    """A typed canary the bot cannot read: the catalog key that says why, and its values."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


def _number(word: str) -> float | None:
    return float(word.replace(",", ".")) if NUMBER.fullmatch(word) else None


def parse_canary(text: str) -> dict:
    """`5%` or `200` (the sample), then optionally the wait in minutes and the failure share allowed."""
    words = text.split()
    if not words:
        raise CanaryUnreadable("canary_blank")
    if len(words) > 3:
        raise CanaryUnreadable("canary_too_many")
    size, *rest = words
    if size.endswith("%"):
        percent = _number(size[:-1])
        if percent is None or not 0 < percent <= MAX_PERCENT or not math.isfinite(percent):
            raise CanaryUnreadable("canary_bad_percent", word=size)
        canary: dict = {"percent": percent}
    else:
        if not size.isdigit() or not 1 <= int(size) <= MAX_COUNT:
            raise CanaryUnreadable("canary_bad_count", word=size)
        canary = {"count": int(size)}
    canary["wait_minutes"] = DEFAULT_WAIT_MINUTES
    canary["max_failure_share"] = DEFAULT_MAX_FAILURE_SHARE
    if rest:
        wait = _number(rest[0])
        if wait is None or wait > MAX_WAIT_MINUTES:
            raise CanaryUnreadable("canary_bad_wait", word=rest[0])
        canary["wait_minutes"] = wait
    if len(rest) > 1:
        word = rest[1]
        share = _number(word[:-1]) if word.endswith("%") else None
        if share is None or share > 100:
            raise CanaryUnreadable("canary_bad_share", word=word)
        canary["max_failure_share"] = share / 100
    return canary


def _figure(value: float, language: str) -> str:
    """A number as few digits as it needs (5, 2.5), with a decimal comma in Russian."""
    shown = f"{value:.2f}".rstrip("0").rstrip(".")
    return shown.replace(".", ",") if language == "ru" else shown


def _plain(t: Callable[..., str]) -> Callable[..., str]:
    """Texts in plain words (escaped where they are put into a message, as segments' are)."""
    return lambda key, **values: t(key, escape=False, **values)


def describe(t: Callable[..., str], language: str, canary: dict | None) -> str:
    """The canary in words: "5% of the audience first, the rest 30 min later unless over 20% fail"."""
    t = _plain(t)
    if not canary:
        return t("canary_none")
    if "percent" in canary:
        size = t("canary_size_percent", percent=_figure(canary["percent"], language))
    else:
        size = t("canary_size_count", count=canary["count"])
    return t(
        "canary_about",
        size=size,
        wait=_figure(canary["wait_minutes"], language),
        share=_figure(100 * canary["max_failure_share"], language),
    )


def pause_words(t: Callable[..., str], language: str, reason: dict | None) -> str:
    """Why a paused mailing paused, with its most common error."""
    t = _plain(t)
    if not reason or reason.get("code") == "manual":
        return t("pause_by_staff")
    figures = {
        "failed": reason.get("failed", 0),
        "sends": reason.get("sends", 0),
        "share": _figure(100 * reason.get("share", 0.0), language),
    }
    if reason.get("code") == "canary":
        wrong = figures["failed"] + reason.get("blocked", 0) + reason.get("unknown", 0)
        words = t("pause_by_canary", wrong=wrong, **figures)
    else:
        words = t("pause_by_failures", **figures)
    errors = reason.get("errors") or []
    if errors:
        words += t("pause_most_common", error=errors[0]["error"] or "—", count=errors[0]["count"])
    return words
