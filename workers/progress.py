"""The author's live progress message: a bar, counts, rate, ETA and Pause / Resume / Cancel buttons.

Edits of one mailing's message may come from every driver, the report job and the control jobs
at once. They are serialised by a short Redis lock taken *before* the state is read, so a later
edit reads a later state; they are throttled to one per EDIT_INTERVAL, except a forced one and any
of a final state; and they never go backwards: Redis keeps the state last shown (see `state_of`)
and an edit of an older state is skipped, so a slow edit of `sending` never overwrites
`finished`. A final state (finished, cancelled) is shown without buttons.
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import UTC, datetime, timedelta

from flask import current_app
from redis import Redis

from webapi.extensions import db
from webapi.models import FINAL_MAILING_STATUSES, Mailing, User
from webapi.services import ledger
from webapi.services.mailings import delivery_counts
from webapi.settings import language_for
from webapi.telegram import outcomes, telegram
from webapi.telegram.client import CALL_SECONDS
from webapi.telegram.paced import Patience, send_paced
from workers.context import redis
from workers.texts import t

log = logging.getLogger(__name__)

EDIT_INTERVAL = 5  # seconds between edits of one progress message
BAR_WIDTH = 20
EDIT_TRIES = 3  # requests of one edit, through 429 waits and lost answers
# One edit's hold on its mailing: a request takes at most CALL_SECONDS; a 429 wait extends it.
LOCK_SECONDS = 2 * CALL_SECONDS
# A 429 longer than this is not waited out by an edit (a later one shows the state); it is logged.
LONGEST_RETRY_AFTER = 60.0
RETRY_PAUSE = 0.5  # before repeating an edit whose answer was lost: an edit is safe to repeat
LOCK_POLL = 0.05
STATE_TTL = 7 * 24 * 3600
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# KEYS: lock key. ARGV: owner token. Deletes the lock only if it is still ours.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
# KEYS: lock key. ARGV: owner token, ms. Extends the lock only if it is still ours.
_EXTEND = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
# KEYS: state key. ARGV: epoch, rank, done, ttl. Stores the state unless a newer one is stored.
_REMEMBER = """
local current = redis.call('GET', KEYS[1])
if current then
  local e, r, d = string.match(current, '^(%d+):(%d+):(%d+)$')
  if e then
    e, r, d = tonumber(e), tonumber(r), tonumber(d)
    local ne, nr, nd = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
    if ne < e or (ne == e and (nr < r or (nr == r and nd < d))) then return 0 end
  end
end
redis.call('SET', KEYS[1], ARGV[1] .. ':' .. ARGV[2] .. ':' .. ARGV[3], 'EX', ARGV[4])
return 1
"""


def escape_html(value: str) -> str:
    """Escape text for Telegram HTML."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def duration_text(seconds: float | None) -> str:
    """Seconds as m:ss or h:mm:ss; a dash when unknown."""
    if seconds is None:
        return "—"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def progress_text(mailing: Mailing, counts: dict[str, int], figures: dict, language: str = "en") -> str:
    """The progress message body (HTML)."""
    total = sum(counts.values()) + figures.get("to_come", 0) or 1
    filled = round(BAR_WIDTH * figures["done"] / total)
    bar = "█" * filled + "░" * (BAR_WIDTH - filled)
    percent = 100 * figures["done"] // total
    lines = [
        f"<b>{escape_html(mailing.name)}</b> — {t(language, mailing.status)}",
        f"{bar} {percent}%",
        t(language, "counts", left=figures["pending"], **counts),
        t(
            language,
            "speed",
            rate=figures["rate"],
            elapsed=duration_text(figures["elapsed"]),
            eta=duration_text(figures["eta"]),
        ),
    ]
    reason = mailing.pause_reason if mailing.status == "paused" else None
    if reason and reason.get("code") in ("canary", "auto_pause"):
        # Why it paused itself (the message it sent says more, with the errors).
        wrong = sum(reason.get(status, 0) for status in ("failed", "blocked", "unknown"))
        key = "why_canary" if reason["code"] == "canary" else "why_auto_pause"
        lines.insert(
            1, t(language, key, wrong=wrong, failed=reason.get("failed", 0), sends=reason.get("sends", 0))
        )
    return "\n".join(lines)


def control_keyboard(mailing: Mailing, language: str = "en") -> dict:
    """Pause or Resume, and Cancel, while the mailing can still change; none after it ends."""
    row = []
    if mailing.status == "sending":
        row.append({"text": t(language, "pause"), "callback_data": f"mc:pause:{mailing.id}"})
    if mailing.status == "paused":
        row.append({"text": t(language, "resume"), "callback_data": f"mc:resume:{mailing.id}"})
    if mailing.status in ("sending", "paused"):
        row.append({"text": t(language, "cancel"), "callback_data": f"mc:cancel:{mailing.id}"})
    return {"inline_keyboard": [row] if row else []}


def state_of(mailing: Mailing, done: int) -> tuple[int, int, int]:
    """How new a rendered state is: (status epoch, final rank, done), compared in that order.

    Every status change (start, pause, resume, cancel, finish, a retry of a finished mailing)
    moves `mailings.updated_at` on, so the epoch orders statuses as they happened, and a final
    status is newer than any state read before it; within one epoch deliveries only get done
    (but for a retry of a sending mailing, which puts some back: its edits wait until as many are
    done again, a few seconds, and the final edit comes in a new epoch anyway).
    """
    epoch = (mailing.updated_at - _EPOCH) // timedelta(microseconds=1)
    return epoch, int(mailing.status in FINAL_MAILING_STATUSES), done


def _render(mailing: Mailing) -> tuple[dict, tuple[int, int, int]]:
    """The message's text and buttons for the mailing's current state, and that state."""
    counts = delivery_counts(mailing.id)
    figures = ledger.progress(mailing, counts)
    author = db.session.get(User, mailing.author_tg_id) if mailing.author_tg_id else None
    language = language_for(
        author.language_code if author else None, current_app.config["SETTINGS"].bot_language
    )
    content = {
        "text": progress_text(mailing, counts, figures, language),
        "parse_mode": "HTML",
        "reply_markup": control_keyboard(mailing, language),
    }
    return content, state_of(mailing, figures["done"])


def announce(mailing_id: int) -> bool:
    """Send the progress message to the author once; remember where it is."""
    mailing = db.session.get(Mailing, mailing_id)
    if mailing is None or mailing.author_tg_id is None or mailing.progress_message_id is not None:
        return False
    # One announcer per mailing even when start jobs race.
    if not redis().set(f"rassylka:progress-announce:{mailing_id}", 1, nx=True, ex=3600):
        return False
    content, _ = _render(mailing)
    params = {"chat_id": mailing.author_tg_id, **content}
    db.session.rollback()  # no transaction stays open across the HTTP call
    client, limiter = telegram()
    outcome = send_paced(client, limiter, "sendMessage", params, patience=Patience(refused=()))
    if outcome.kind != outcomes.SENT:
        log.info("mailing %s: progress message not sent: %s", mailing_id, outcome.description)
        return False
    mailing = db.session.get(Mailing, mailing_id)
    mailing.progress_chat_id = mailing.author_tg_id
    mailing.progress_message_id = outcome.message_id
    db.session.commit()
    return True


class EditLock:
    """A short Redis lock on one mailing's progress message, released only by its owner."""

    def __init__(self, store: Redis, mailing_id: int):
        self.store = store
        self.key = f"rassylka:progress-lock:{mailing_id}"
        self.owner = uuid.uuid4().hex
        self.held = False

    def take(self, wait: float = 0.0) -> bool:
        """Take the lock, waiting up to `wait` seconds for another edit to end."""
        deadline = time.monotonic() + wait
        while not (taken := bool(self.store.set(self.key, self.owner, nx=True, px=int(LOCK_SECONDS * 1000)))):
            if time.monotonic() + LOCK_POLL > deadline:
                break
            time.sleep(LOCK_POLL)
        self.held = taken
        return taken

    def extend(self, seconds: float) -> None:
        """Keep the lock `seconds` longer from now (through a 429 wait)."""
        if self.held:
            self.store.eval(_EXTEND, 1, self.key, self.owner, int(seconds * 1000))

    def release(self) -> None:
        """Let the next edit go."""
        if self.held:
            self.store.eval(_RELEASE, 1, self.key, self.owner)
            self.held = False


def _shown(store: Redis, mailing_id: int) -> tuple[int, int, int] | None:
    """The state last shown in the message, if Redis still knows it."""
    raw = store.get(f"rassylka:progress-state:{mailing_id}")
    try:
        epoch, rank, done = (int(part) for part in raw.decode().split(":"))
    except (AttributeError, ValueError):
        return None
    return epoch, rank, done


def _remember(store: Redis, mailing_id: int, state: tuple[int, int, int]) -> None:
    store.eval(_REMEMBER, 1, f"rassylka:progress-state:{mailing_id}", *state, STATE_TTL)


def _edit(mailing_id: int, params: dict, state: tuple[int, int, int], lock: EditLock) -> bool:
    """Make the edit, riding out a 429 (all senders hold back) or a lost answer; False if it did not land."""
    client, limiter = telegram()
    longest_wait = [0.0]

    def hold(seconds: float) -> None:
        longest_wait[0] = max(longest_wait[0], seconds)
        lock.extend(seconds + LOCK_SECONDS)

    def go_on() -> bool:
        shown = _shown(lock.store, mailing_id)
        if shown is not None and shown > state:
            log.info("mailing %s: a newer progress was shown meanwhile; this edit is dropped", mailing_id)
            return False
        return longest_wait[0] <= LONGEST_RETRY_AFTER

    if not go_on():
        return False
    # An edit is safe to repeat after an answer in doubt.
    patience = Patience(
        rate_limited=EDIT_TRIES, refused=(RETRY_PAUSE,) * (EDIT_TRIES - 1), repeat_ambiguous=True
    )
    outcome = send_paced(
        client, limiter, "editMessageText", params, patience=patience, on_hold=hold, go_on=go_on
    )
    if outcome.kind == outcomes.SENT or "not modified" in outcome.description:
        return True
    log.warning("mailing %s: progress not edited: %s", mailing_id, outcome.description)
    return False


def update(mailing_id: int, force: bool = False) -> bool:
    """Edit the progress message to the current state; True when the message shows it.

    At most once per EDIT_INTERVAL, unless `force` or the mailing has ended: a final state always
    gets its edit (waiting for one in flight), and its buttons go.
    """
    mailing = db.session.get(Mailing, mailing_id)
    if mailing is None or mailing.progress_message_id is None:
        return False
    store = redis()
    urgent = force or mailing.status in FINAL_MAILING_STATUSES
    # A routine edit never waits for the author's chat (one message a second there): it is skipped.
    if not urgent and telegram()[1].chat_busy_for(mailing.progress_chat_id) > 0:
        return False
    if not urgent and not store.set(f"rassylka:progress-edit:{mailing_id}", 1, nx=True, ex=EDIT_INTERVAL):
        return False
    db.session.rollback()
    lock = EditLock(store, mailing_id)
    # A routine edit gives way to one in flight (the next heartbeat shows what it missed).
    if not lock.take(wait=2 * LOCK_SECONDS if urgent else 0.0):
        if not urgent:
            return False
        log.warning(
            "mailing %s: progress lock still held after %d s; editing anyway", mailing_id, 2 * LOCK_SECONDS
        )
    try:
        # Read under the lock: whoever edits after us reads a state at least as new.
        mailing = db.session.get(Mailing, mailing_id)
        if mailing is None:
            return False
        content, state = _render(mailing)
        params = {"chat_id": mailing.progress_chat_id, "message_id": mailing.progress_message_id, **content}
        db.session.rollback()  # no transaction stays open across the HTTP call
        shown = _shown(store, mailing_id)
        if shown is not None and (state < shown or (state == shown and state[1] == 1)):
            # Older than what is shown, or the same final state already shown: nothing to do.
            return state == shown
        if not _edit(mailing_id, params, state, lock):
            return False
        _remember(store, mailing_id, state)
        return True
    finally:
        lock.release()
