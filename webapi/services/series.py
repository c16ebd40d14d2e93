"""Recurring mailings: a series holds content and a rule; each occurrence becomes its own mailing.

The runs are made ahead by the scheduler's periodic job (`make_runs`), RUNS_AHEAD before their
time, and also at once when a series is created, resumed or changed. Each run is an ordinary
scheduled mailing (its own ledger, progress and report) that carries `series_id` and the occurrence
it is; a unique (series_id, series_occurrence_at) and the series' row lock make each occurrence
once, whoever makes it and however often. Pausing, changing and ending a series remove its runs that
have not started (a change makes them again from the new content and rule); a run already sending
goes on as any mailing does.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from webapi import segments
from webapi.domain import (
    Actor,
    Invalid,
    SeriesKeyReused,
    SeriesNotFound,
    SeriesWrongStatus,
    VersionConflict,
)
from webapi.extensions import db
from webapi.models import Mailing, MailingButton, Series, utcnow
from webapi.series_rules import Rule, next_occurrence, read_rule
from webapi.services import approval, scheduling
from webapi.services.audit import record
from webapi.services.mailings import check_draft, read_text

# Each run is made this long before its time: it shows in the mailing list and the bot's browser a
# day ahead, and a scheduler that was away for hours still makes it in time.
RUNS_AHEAD = timedelta(hours=24)
CONTENT_FIELDS = ("name", "text", "buttons", "media", "segment")


def _zone(series: Series) -> ZoneInfo:
    return ZoneInfo(series.timezone)


def rule_of(series: Series) -> Rule:
    """The series' rule."""
    return Rule(
        kind=series.kind,
        at=series.at,
        weekdays=tuple(series.weekdays or ()),
        day=series.day,
        until=series.until,
        count=series.count,
    )


def get_series(series_id: int, lock: bool = False) -> Series:
    """The series, or `SeriesNotFound`."""
    series = db.session.get(Series, series_id, with_for_update=lock)
    if series is None:
        raise SeriesNotFound(series_id)
    return series


def _invalid(errors: dict) -> Invalid:
    return Invalid("The series is not valid; see details.", errors)


def _as_dicts(errors: dict) -> dict:
    return {field: [p.as_dict() for p in problems] for field, problems in errors.items()}


def _content(series: Series) -> dict:
    return {"name": series.name, "text": series.text, "buttons": series.buttons, "media": series.media}


def _checked_content(draft: dict, base: dict | None = None) -> dict:
    """The content fields of a request made as stored (text as HTML, segment normalized), or Invalid;
    judged together with `base` (the series' content as it is) for the fields the request leaves out."""
    draft = read_text(draft)
    judged = {
        **(base or {}),
        **{key: draft[key] for key in ("name", "text", "buttons", "media") if key in draft},
    }
    errors = check_draft(judged, partial=True)
    if errors:
        raise _invalid(_as_dicts(errors))
    if "segment" in draft:
        draft["segment"] = segments.normalized(draft["segment"])
    return draft


def _checked_rule(raw: dict, zone: ZoneInfo, now: datetime, starts_on: date) -> Rule:
    rule, errors = read_rule(raw, zone, now, starts_on)
    if errors:
        raise _invalid({"rule": _as_dicts(errors)})
    return rule


def _apply_content(series: Series, draft: dict) -> None:
    for key in ("name", "text", "segment"):
        if key in draft:
            setattr(series, key, draft[key])
    if "buttons" in draft:
        series.buttons = [{"text": b["text"], "url": b["url"]} for b in draft["buttons"]]
    if "media" in draft:
        media = draft["media"]
        series.media_type = media["type"] if media else None
        series.media_file_id = media["file_id"] if media else None


def _apply_rule(series: Series, rule: Rule, starts_on: date) -> None:
    series.kind, series.at, series.weekdays = rule.kind, rule.at, list(rule.weekdays)
    series.day, series.until, series.count = rule.day, rule.until, rule.count
    series.starts_on = starts_on


def replayed_series(actor: Actor, body: dict, idempotency_key: str) -> Series | None:
    """The series an earlier request with this caller's `idempotency_key` made, if the same request;
    `SeriesKeyReused` if another; None when the key is new."""
    existing = _by_key(_scoped_key(actor, idempotency_key))
    return None if existing is None else _replayed(existing, _fingerprint(body))


def create_series(
    actor: Actor, body: dict, now: datetime | None = None, idempotency_key: str | None = None
) -> Series:
    """Validate and save an active series, and make the runs due within RUNS_AHEAD.

    With an `idempotency_key` (see `replayed_series`), a request running alongside another with the
    same key gets the series that one made.
    """
    now = now or utcnow()
    zone: ZoneInfo = current_app.config["SETTINGS"].timezone
    scoped = request_hash = None
    if idempotency_key is not None:
        scoped, request_hash = _scoped_key(actor, idempotency_key), _fingerprint(body)
    draft = _checked_content({"buttons": [], "media": None, "segment": None, **body})
    starts_on = body.get("starts_on") or now.astimezone(zone).date()
    rule = _checked_rule(body["rule"], zone, now, starts_on)
    series = Series(
        status="active",
        timezone=zone.key,
        author_tg_id=actor.tg_id,
        created_by=actor.subject,
        version=1,
        runs_made=0,
        idempotency_key=scoped,
        request_hash=request_hash,
    )
    _apply_content(series, draft)
    _apply_rule(series, rule, starts_on)
    db.session.add(series)
    try:
        db.session.flush()
    except IntegrityError:
        # The same key in a request running alongside this one: its series is the one.
        db.session.rollback()
        existing = _by_key(scoped) if scoped is not None else None
        if existing is None:
            raise
        return _replayed(existing, request_hash)
    record(actor, "series.created", "series", series.id, name=series.name, rule=_rule_audit(rule))
    made = _make_runs(series, now)
    db.session.commit()
    _schedule(made)
    return series


def _scoped_key(actor: Actor, key: str) -> str:
    # Keys belong to their caller (token subject and, for the bot, the acting user), apart from mailings'.
    return hashlib.sha256(f"series\0{actor.subject}\0{actor.tg_id or ''}\0{key}".encode()).hexdigest()


def _fingerprint(body: dict) -> str:
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, default=lambda value: value.isoformat())
    return hashlib.sha256(canonical.encode()).hexdigest()


def _by_key(scoped: str) -> Series | None:
    return db.session.execute(select(Series).where(Series.idempotency_key == scoped)).scalar_one_or_none()


def _replayed(series: Series, request_hash: str) -> Series:
    if series.request_hash != request_hash:
        raise SeriesKeyReused(series.id)
    return series


def _rule_audit(rule: Rule) -> dict:
    shown = rule.as_dict()
    shown["until"] = rule.until.isoformat() if rule.until else None
    return shown


def list_series(statuses: list[str], offset: int, limit: int) -> tuple[list[Series], int]:
    """A page of series, newest first, with the total."""
    query = select(Series)
    if statuses:
        query = query.where(Series.status.in_(statuses))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.scalars(query.order_by(Series.id.desc()).offset(offset).limit(limit)).all()
    return list(rows), total


def scheduled_runs(series_id: int) -> list[Mailing]:
    """The series' runs that have not started, by time."""
    return list(
        db.session.scalars(
            select(Mailing)
            .where(Mailing.series_id == series_id, Mailing.status == "scheduled")
            .order_by(Mailing.send_at, Mailing.id)
        )
    )


def next_run_at(series: Series, now: datetime | None = None) -> datetime | None:
    """When the series next sends: its earliest run not yet started, else (while active) the rule's
    next occurrence it has yet to make; None when nothing more will go."""
    runs = scheduled_runs(series.id)
    if runs:
        return runs[0].send_at
    return _next_to_make(series, now or utcnow()) if series.status == "active" else None


def _next_to_make(series: Series, now: datetime) -> datetime | None:
    if series.count is not None and series.runs_made >= series.count:
        return None
    after = max(now, series.made_until) if series.made_until else now
    return next_occurrence(rule_of(series), _zone(series), after, series.starts_on)


def _make_runs(series: Series, now: datetime) -> list[Mailing]:
    """Make the runs of an active series (locked or new) due within RUNS_AHEAD of `now`; a series
    with no occurrence left is finished. Returns the runs made, not yet committed or scheduled."""
    made: list[Mailing] = []
    while series.status == "active":
        moment = _next_to_make(series, now)
        if moment is None:
            series.status, series.ended_at = "finished", now
            record(None, "series.finished", "series", series.id, runs=series.runs_made)
            break
        if moment > now + RUNS_AHEAD:
            break
        if _made_already(series.id, moment):
            # A run of this occurrence outlived a pause or a change (cancelled by hand before its
            # time, say): it stays the one, counted when it was made.
            series.made_until = moment
            continue
        run = Mailing(
            status="scheduled",
            name=series.name,
            text=series.text,
            send_at=moment,
            media_type=series.media_type,
            media_file_id=series.media_file_id,
            segment=series.segment,
            author_tg_id=series.author_tg_id,
            created_by=series.created_by,
            version=1,
            series_id=series.id,
            series_occurrence_at=moment,
        )
        run.buttons = [
            MailingButton(position=index, text=button["text"], url=button["url"])
            for index, button in enumerate(series.buttons or [])
        ]
        # A run is a mailing like any other: a large one waits for approval (its approvers are asked
        # by the next reconcile).
        run.approval_required = approval.required_for(run.segment)
        db.session.add(run)
        db.session.flush()
        series.runs_made += 1
        series.made_until = moment
        record(None, "series.run_made", "series", series.id, mailing_id=run.id, send_at=moment.isoformat())
        made.append(run)
    return made


def _made_already(series_id: int, moment: datetime) -> bool:
    found = select(Mailing.id).where(Mailing.series_id == series_id, Mailing.series_occurrence_at == moment)
    return db.session.scalar(found) is not None


def _schedule(runs: list[Mailing]) -> None:
    for run in runs:
        scheduling.schedule_start(run.id, run.send_at)


def make_runs(now: datetime | None = None) -> dict[int, list[int]]:
    """The periodic job's work: every active series makes the runs due within RUNS_AHEAD.

    One series at a time, each in its own short transaction under its row lock (a series another
    process holds is skipped: that process is making its runs). Returns {series id: [mailing ids]}.
    """
    now = now or utcnow()
    made: dict[int, list[int]] = {}
    ids = db.session.scalars(select(Series.id).where(Series.status == "active").order_by(Series.id)).all()
    db.session.rollback()
    for series_id in ids:
        series = db.session.scalars(
            select(Series)
            .where(Series.id == series_id, Series.status == "active")
            .with_for_update(skip_locked=True)
        ).first()
        if series is None:
            db.session.rollback()
            continue
        try:
            runs = _make_runs(series, now)
            db.session.commit()
        except IntegrityError:
            # An occurrence made already (the unique constraint): whoever made it scheduled it.
            db.session.rollback()
            continue
        _schedule(runs)
        if runs:
            made[series_id] = [run.id for run in runs]
    return made


def _drop_unstarted_runs(series: Series, now: datetime) -> list[int]:
    """Delete the series' runs that have not started (locked), un-count them and move the cursor back
    to `now`, so the rule makes the future ones again; returns their ids (to unschedule after commit)."""
    runs = db.session.scalars(
        select(Mailing).where(Mailing.series_id == series.id, Mailing.status == "scheduled").with_for_update()
    ).all()
    for run in runs:
        db.session.delete(run)
    series.runs_made -= len(runs)
    if series.made_until is not None and series.made_until > now:
        series.made_until = now
    return [run.id for run in runs]


def _locked(series_id: int, version: int | None = None) -> Series:
    series = get_series(series_id, lock=True)
    if version is not None and series.version != version:
        current = series.version
        db.session.rollback()
        raise VersionConflict(current)
    return series


def _require(series: Series, allowed: tuple[str, ...], words: str, verb: str) -> None:
    if series.status not in allowed:
        status = series.status
        db.session.rollback()
        raise SeriesWrongStatus(status, words, verb)


def update_series(
    actor: Actor, series_id: int, version: int, changes: dict, now: datetime | None = None
) -> Series:
    """Change an active or paused series if `version` is current; its runs not yet started are made
    again from the new content and rule (runs already sending are left alone)."""
    now = now or utcnow()
    series = _locked(series_id, version)
    _require(series, ("active", "paused"), "active or paused", "changed")
    try:
        content = {key: value for key, value in changes.items() if key not in ("rule", "starts_on")}
        draft = _checked_content(content, _content(series))
        starts_on = changes.get("starts_on") or series.starts_on
        raw_rule = changes.get("rule")
        if raw_rule is None and "starts_on" in changes:
            raw_rule = {**rule_of(series).as_dict()}
        rule = _checked_rule(raw_rule, _zone(series), now, starts_on) if raw_rule is not None else None
    except Invalid:
        db.session.rollback()
        raise
    dropped = _drop_unstarted_runs(series, now)
    _apply_content(series, draft)
    if rule is not None:
        _apply_rule(series, rule, starts_on)
    series.version += 1
    record(actor, "series.updated", "series", series.id, fields=sorted(changes), version=series.version)
    made = _make_runs(series, now)
    db.session.commit()
    _unschedule(dropped)
    _schedule(made)
    return series


def _unschedule(mailing_ids: list[int]) -> None:
    for mailing_id in mailing_ids:
        scheduling.unschedule_start(mailing_id)


def pause_series(actor: Actor, series_id: int, now: datetime | None = None) -> Series:
    """Stop making runs and remove those not yet started; a run sending goes on."""
    now = now or utcnow()
    series = _locked(series_id)
    _require(series, ("active",), "active", "paused")
    dropped = _drop_unstarted_runs(series, now)
    series.status = "paused"
    series.version += 1
    record(actor, "series.paused", "series", series.id, runs_removed=dropped)
    db.session.commit()
    _unschedule(dropped)
    return series


def resume_series(actor: Actor, series_id: int, now: datetime | None = None) -> Series:
    """Make runs again, from the next occurrence after now (those missed while paused are skipped)."""
    now = now or utcnow()
    series = _locked(series_id)
    _require(series, ("paused",), "paused", "resumed")
    series.status = "active"
    series.made_until = max(series.made_until, now) if series.made_until else now
    series.version += 1
    record(actor, "series.resumed", "series", series.id)
    made = _make_runs(series, now)
    db.session.commit()
    _schedule(made)
    return series


def end_series(actor: Actor, series_id: int, now: datetime | None = None) -> Series:
    """End the series for good: no more runs, those not yet started removed; its past runs stay."""
    now = now or utcnow()
    series = _locked(series_id)
    _require(series, ("active", "paused", "finished"), "active, paused or finished", "ended")
    dropped = _drop_unstarted_runs(series, now)
    series.status, series.ended_at = "ended", now
    series.version += 1
    record(actor, "series.ended", "series", series.id, runs_removed=dropped)
    db.session.commit()
    _unschedule(dropped)
    return series
