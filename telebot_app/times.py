"""Send times as admins type and read them: local to TIMEZONE at the edges, UTC inside."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

NOW_WORDS = frozenset({"now", "сейчас"})
_FULL = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})\s+(\d{1,2}):(\d{2})")
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})")


class NotATime(ValueError):
    """The text is not DD.MM.YYYY HH:MM, HH:MM or now."""


def parse_send_time(text: str, zone: ZoneInfo, now: datetime | None = None) -> datetime | None:
    """A typed send time as an aware datetime in `zone`; None means "now"; NotATime if unreadable."""
    cleaned = " ".join(text.strip().lower().split())
    if cleaned in NOW_WORDS:
        return None
    now_local = (now or datetime.now(UTC)).astimezone(zone)
    if match := _FULL.fullmatch(cleaned):
        day, month, year, hour, minute = (int(part) for part in match.groups())
        try:
            return datetime(year, month, day, hour, minute, tzinfo=zone)
        except ValueError as exc:
            raise NotATime(cleaned) from exc
    if match := _CLOCK.fullmatch(cleaned):
        hour, minute = (int(part) for part in match.groups())
        if hour > 23 or minute > 59:
            raise NotATime(cleaned)
        candidate = datetime.combine(now_local.date(), datetime.min.time(), tzinfo=zone)
        candidate = candidate.replace(hour=hour, minute=minute)
        if candidate <= now_local:
            candidate = datetime.combine(
                now_local.date() + timedelta(days=1), datetime.min.time(), tzinfo=zone
            ).replace(hour=hour, minute=minute)
        return candidate
    raise NotATime(cleaned)


def from_iso(value: str) -> datetime:
    """Parse the API's ISO 8601 timestamp."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def show_time(value: str | datetime, zone: ZoneInfo) -> str:
    """`01.03.2031 12:00 MSK (Europe/Moscow)`: the local time with the zone named."""
    moment = from_iso(value) if isinstance(value, str) else value
    local = moment.astimezone(zone)
    return f"{local:%d.%m.%Y %H:%M} {local.tzname()} ({zone.key})"


def show_duration(seconds: float) -> str:
    """`m:ss`, or `h:mm:ss` from an hour on: as the engine's progress message writes durations."""
    whole = max(int(round(seconds)), 0)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def show_decimal(value: float, language: str) -> str:
    """One decimal place, with a decimal comma in Russian (as the engine's messages write numbers)."""
    shown = f"{value:.1f}"
    return shown.replace(".", ",") if language == "ru" else shown


def show_count(value: int, language: str) -> str:
    """A whole number with its thousands grouped: 1,240 in English, 1 240 in Russian."""
    shown = f"{value:,}"
    return shown.replace(",", "\u00a0") if language == "ru" else shown
