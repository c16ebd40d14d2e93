"""When a recurring mailing runs: its rule (daily, on weekdays, monthly) and the instants it gives.

A rule names a wall-clock time (`HH:MM`) in a zone, so 09:00 stays 09:00 across daylight saving
changes. Two local times need a decision, made here once (as RFC 5545 makes it):

* a time the clocks skip (02:30 on the morning they go forward) runs that much later, at the first
  instant after the gap with the same distance from the hour before it: 02:30 → 03:30;
* a time that happens twice (02:30 on the morning they go back) runs once, at the first of the two.

A monthly day past the end of a shorter month (31, or 29–30 in February) runs on that month's last
day. Nothing here touches the database: the series service and the tests share it.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from webapi.problems import Problem

KINDS = ("daily", "weekdays", "monthly")
# A count above this is a typo, not a plan (27 years of daily runs).
COUNT_LIMIT = 10_000
TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
_TIME = re.compile(TIME_PATTERN)
# Monthly rules look at most this far for their next day (a day every month exists within 31 days).
_SEARCH_DAYS = 400

# Code → English template, as webapi/problems.py has them for the message rules.
TEMPLATES: dict[str, str] = {
    "rule_kind_unknown": "Repeat must be daily, weekdays or monthly (got '{got}').",
    "rule_time_invalid": "Time must be HH:MM on a 24-hour clock, such as 09:30 (got '{got}').",
    "rule_weekdays_missing": "Pick at least one weekday: 0 is Monday, 6 is Sunday.",
    "rule_weekday_invalid": "Weekdays are 0 (Monday) to 6 (Sunday); {got} is not one.",
    "rule_weekdays_unexpected": "Weekdays go only with a weekdays repeat: leave them out.",
    "rule_day_missing": "A monthly repeat needs the day of the month, 1 to 31.",
    "rule_day_invalid": "The day of the month is 1 to 31; {got} is not one.",
    "rule_day_unexpected": "A day of the month goes only with a monthly repeat: leave it out.",
    "rule_count_invalid": "The number of runs is 1 to {limit}; {got} is not.",
    "rule_until_past": "The last day {until} is already past: today is {today}.",
    "rule_never_runs": "This repeat never runs: its first time would come after the last day, {until}.",
}


def rule_problem(code: str, **params: object) -> Problem:
    """The rule problem `code` with its parameters and its English message."""
    return Problem(code, params, TEMPLATES[code].format(**params))


@dataclass(frozen=True)
class Rule:
    """When a series runs: `kind` at `at` (local wall time), until a date and/or for a count."""

    kind: str
    at: time
    weekdays: tuple[int, ...] = field(default=())
    day: int | None = None
    until: date | None = None
    count: int | None = None

    def as_dict(self) -> dict:
        """The rule as the API shows it."""
        return {
            "kind": self.kind,
            "weekdays": list(self.weekdays),
            "day": self.day,
            "time": f"{self.at:%H:%M}",
            "until": self.until,
            "count": self.count,
        }

    def runs_on(self, day: date) -> bool:
        """True when the rule runs on this local date (ignoring until and count)."""
        if self.kind == "daily":
            return True
        if self.kind == "weekdays":
            return day.weekday() in self.weekdays
        last = calendar.monthrange(day.year, day.month)[1]
        return day.day == min(self.day or 1, last)


def wall_time(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of local `day` at `at` in `zone`: a skipped time runs later by the gap, a
    repeated one at its first instant (fold=0 does both: it reads the offset in force before)."""
    return datetime.combine(day, at, tzinfo=zone).replace(fold=0).astimezone(UTC)


def occurrences(
    rule: Rule, zone: ZoneInfo, after: datetime, starts_on: date | None = None
) -> Iterator[datetime]:
    """The rule's instants (UTC) strictly after `after`, from local date `starts_on` on, up to `until`.

    The count is the caller's to keep (it counts the runs a series made, not the rule's instants).
    """
    day = after.astimezone(zone).date() - timedelta(days=1)  # a skipped 23:30 may fall on the next day
    if starts_on is not None and starts_on > day:
        day = starts_on
    idle = 0
    while rule.until is None or day <= rule.until:
        if rule.runs_on(day):
            idle = 0
            try:
                moment = wall_time(day, rule.at, zone)
            except OverflowError:  # past the end of the calendar in UTC
                return
            if moment > after:
                yield moment
        else:
            idle += 1
            if idle > _SEARCH_DAYS:  # cannot happen for a valid rule; never loop for ever on a bad one
                return
        if day == date.max:  # the calendar ends (a starts_on or until in the year 9999)
            return
        day += timedelta(days=1)


def next_occurrence(
    rule: Rule, zone: ZoneInfo, after: datetime, starts_on: date | None = None
) -> datetime | None:
    """The rule's first instant strictly after `after` (None when `until` leaves none)."""
    return next(occurrences(rule, zone, after, starts_on), None)


def read_rule(
    raw: Mapping, zone: ZoneInfo, now: datetime, starts_on: date | None = None
) -> tuple[Rule | None, dict[str, list[Problem]]]:
    """A rule from its JSON form ({"kind", "time", "weekdays", "day", "until", "count"}) and the
    problems by field; the rule is None when there are any."""
    errors: dict[str, list[Problem]] = {}

    def refuse(name: str, found: Problem) -> None:
        errors.setdefault(name, []).append(found)

    kind = raw.get("kind")
    if kind not in KINDS:
        refuse("kind", rule_problem("rule_kind_unknown", got=kind))
    clock = raw.get("time")
    if not isinstance(clock, str) or not _TIME.fullmatch(clock):
        refuse("time", rule_problem("rule_time_invalid", got=clock))
    weekdays = raw.get("weekdays") or []
    bad_days = [d for d in weekdays if not (isinstance(d, int) and 0 <= d <= 6)]
    for bad in bad_days:
        refuse("weekdays", rule_problem("rule_weekday_invalid", got=bad))
    if kind == "weekdays" and not weekdays:
        refuse("weekdays", rule_problem("rule_weekdays_missing"))
    elif kind in KINDS and kind != "weekdays" and weekdays:
        refuse("weekdays", rule_problem("rule_weekdays_unexpected"))
    day = raw.get("day")
    if day is not None and not (isinstance(day, int) and 1 <= day <= 31):
        refuse("day", rule_problem("rule_day_invalid", got=day))
    elif kind == "monthly" and day is None:
        refuse("day", rule_problem("rule_day_missing"))
    elif kind in KINDS and kind != "monthly" and day is not None:
        refuse("day", rule_problem("rule_day_unexpected"))
    count = raw.get("count")
    if count is not None and not (isinstance(count, int) and 1 <= count <= COUNT_LIMIT):
        refuse("count", rule_problem("rule_count_invalid", got=count, limit=COUNT_LIMIT))
    until = raw.get("until")
    today = now.astimezone(zone).date()
    if isinstance(until, date) and until < today:
        refuse("until", rule_problem("rule_until_past", until=until.isoformat(), today=today.isoformat()))
    if errors:
        return None, errors
    hour, minute = (int(part) for part in clock.split(":"))
    rule = Rule(
        kind=kind,
        at=time(hour, minute),
        weekdays=tuple(sorted(set(weekdays))),
        day=day,
        until=until,
        count=count,
    )
    if next_occurrence(rule, zone, now, starts_on) is None:
        last = until or date.max  # no until: starts_on is at the calendar's very end
        return None, {"until": [rule_problem("rule_never_runs", until=last.isoformat())]}
    return rule, {}
