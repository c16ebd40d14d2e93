"""Tagging users in bulk (admins): a CSV document of `tg_id,tag` lines, sent on to the API."""

from __future__ import annotations

import csv
import io
from collections import defaultdict

from telebot import TeleBot, util
from telebot.types import Message

from telebot_app.context import Context
from telebot_app.handlers.filters import ID_MAX, number, register_answer
from telebot_app.states import Tagging
from telebot_app.times import show_count
from webapi import segments as rules

FILE_LIMIT_KB = 1024
LINES_LIMIT = 50_000
# The API changes at most this many users' tags in one request.
IDS_PER_REQUEST = 10_000
MISSING_SHOWN = 30
HEADER = ["tg_id", "tag"]


class BadLine(ValueError):
    """A line of the CSV the bot cannot read: its number, and the catalog key and values saying why."""

    def __init__(self, line: int, key: str, **values: object) -> None:
        super().__init__(line, key)
        self.line = line
        self.key = key
        self.values = values


def ask_file(ctx: Context) -> None:
    """Admin menu → Tag users: ask for the CSV."""
    ctx.require_admin()
    ctx.answer()
    ctx.set_state(Tagging.csv)
    ctx.reply("ask_tags_csv")


def read_lines(text: str) -> list[tuple[int, str]]:
    """The (tg_id, tag) pairs of a CSV, in order; blank lines and a `tg_id,tag` header are skipped.

    Commas separate the two values, or semicolons when the first line has them and no comma (as
    spreadsheets in some locales save CSV).
    """
    text = text.removeprefix("\ufeff")
    first = text.split("\n", 1)[0]
    delimiter = ";" if ";" in first and "," not in first else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    pairs: list[tuple[int, str]] = []
    for row in reader:
        values = [value.strip() for value in row]
        if not any(values):
            continue
        line = reader.line_num
        if len(values) != 2:
            raise BadLine(line, "csv_problem_columns", count=len(values))
        if not pairs and [value.lower() for value in values] == HEADER:
            continue
        tg_id = number(values[0])
        if tg_id is None or not 0 < tg_id <= ID_MAX:
            raise BadLine(line, "csv_problem_tg_id", value=values[0])
        if not rules.is_tag(values[1]):
            raise BadLine(line, "csv_problem_tag", value=values[1])
        pairs.append((tg_id, values[1]))
    return pairs


def file_given(message: Message, ctx: Context) -> None:
    """The CSV: read every line first (a bad one is named and nothing changes), then tag by tag."""
    ctx.require_admin()
    document = message.document
    if (document.file_size or 0) > FILE_LIMIT_KB * 1024:
        ctx.reply("tags_csv_too_big", limit=FILE_LIMIT_KB)
        return
    content = ctx.bot.download_file(ctx.bot.get_file(document.file_id).file_path)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        ctx.reply("tags_csv_not_text")
        return
    try:
        pairs = read_lines(text)
    except BadLine as exc:
        ctx.reply("tags_csv_bad_line", line=exc.line, problem=ctx.t(exc.key, escape=False, **exc.values))
        return
    except csv.Error:
        ctx.reply("tags_csv_not_text")
        return
    if not pairs:
        ctx.reply("tags_csv_empty")
        return
    if len(pairs) > LINES_LIMIT:
        limit = show_count(LINES_LIMIT, ctx.lang)
        ctx.reply("tags_csv_too_many", count=show_count(len(pairs), ctx.lang), limit=limit)
        return
    by_tag: dict[str, list[int]] = defaultdict(list)
    for tg_id, tag in pairs:
        by_tag[tag].append(tg_id)
    changed, missing = 0, set()
    for tag, ids in by_tag.items():
        unique = list(dict.fromkeys(ids))
        for start in range(0, len(unique), IDS_PER_REQUEST):
            result = ctx.api.change_tags(ctx.user_id, unique[start : start + IDS_PER_REQUEST], [tag], [])
            changed += result["changed"]
            missing.update(result["missing"])
    ctx.clear_state()
    ctx.reply("tags_csv_done", lines=show_count(len(pairs), ctx.lang), changed=show_count(changed, ctx.lang))
    if missing:
        shown = sorted(missing)
        ids = ", ".join(map(str, shown[:MISSING_SHOWN]))
        if len(shown) > MISSING_SHOWN:
            ids += ctx.t("tags_csv_missing_more", escape=False, count=len(shown) - MISSING_SHOWN)
        ctx.reply("tags_csv_missing", ids=ids)


def not_a_file(message: Message, ctx: Context) -> None:
    """Text or another kind of message where the CSV was asked for."""
    ctx.require_admin()
    ctx.reply("tags_csv_not_file")


def register(bot: TeleBot) -> None:
    """Register the CSV answer and the reminder for anything else."""
    register_answer(bot, file_given, Tagging.csv, ["document"])
    register_answer(
        bot, not_a_file, Tagging.csv, [kind for kind in util.content_type_media if kind != "document"]
    )
