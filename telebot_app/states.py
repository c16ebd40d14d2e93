"""Conversation states, kept in Redis by StateRedisStorage."""

from telebot.states import State, StatesGroup


class RoleChange(StatesGroup):
    """An admin is giving someone a new role."""

    target = State()


class Browser(StatesGroup):
    """An admin is browsing mailings: which one to show (of the scheduled, or of the sent ones)."""

    goto = State()
    goto_sent = State()


class InviteLinks(StatesGroup):
    """An admin is naming a new invite link."""

    name = State()


class Tagging(StatesGroup):
    """An admin is to send a CSV of users' tags."""

    csv = State()


class Constructor(StatesGroup):
    """An admin is composing a mailing."""

    name = State()
    text = State()
    send_time = State()
    menu = State()
    button_text = State()
    button_url = State()
    media = State()
    audience = State()
    canary = State()


class Repeat(StatesGroup):
    """An admin is saying until when a new mailing repeats: the last date, or how many times."""

    until = State()
    count = State()


DRAFT_INPUT_STATES = [Constructor.name, Constructor.text, Constructor.send_time]
# States in which the bot waits for a typed answer; a press or a command leaves them.
QUESTIONS = frozenset(
    state.name
    for state in (
        RoleChange.target,
        Browser.goto,
        Browser.goto_sent,
        InviteLinks.name,
        Tagging.csv,
        Constructor.name,
        Constructor.text,
        Constructor.send_time,
        Constructor.button_text,
        Constructor.button_url,
        Constructor.media,
        Constructor.audience,
        Constructor.canary,
        Repeat.until,
        Repeat.count,
    )
)
