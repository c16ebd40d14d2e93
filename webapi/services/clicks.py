"""Clicks on URL buttons: the redirect counts each recipient once per button; stats and the report read them.

A click is one row per (mailing, button position, recipient) with the time of the first click, added
by `INSERT … ON CONFLICT DO NOTHING`, so clicking again counts nothing. A button's clicks are the
recipients who clicked it; its rate is that over the recipients the mailing was sent to.

When retention prunes a mailing's ledger its click rows go too (who clicked what is per-recipient
data like the ledger): each button's total is first written onto the button (`mailing_buttons.clicks`,
in the same transaction that marks the mailing pruned). From then on its links still forward but
count nothing, since a recipient's earlier click could no longer be told from a new one.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from webapi import placeholders
from webapi.click_links import trackable
from webapi.extensions import db

# One round trip: the button's link and the recipient's names (for a link with placeholders), and the
# click counted unless the mailing's rows were pruned. FOR KEY SHARE waits for a prune marking the
# mailing at that moment and then sees its mark, so no click is added after its totals were taken.
# The commit does not wait for the WAL flush (synchronous_commit off, this transaction only): it
# halves the redirect's time, and all a Postgres crash can cost is the clicks of its last moment.
_FOLLOW = text(
    "SET LOCAL synchronous_commit = off; "
    "WITH button AS (SELECT url FROM mailing_buttons WHERE mailing_id = :m AND position = :p), "
    "counted AS ("
    "  INSERT INTO button_clicks (mailing_id, position, user_id, clicked_at)"
    "  SELECT m.id, :p, u.tg_id, now() FROM mailings m JOIN users u ON u.tg_id = :u"
    "  WHERE m.id = :m AND :count AND m.deliveries_pruned_at IS NULL AND EXISTS (SELECT 1 FROM button)"
    "  FOR KEY SHARE OF m"
    "  ON CONFLICT DO NOTHING) "
    "SELECT b.url, u.first_name, u.last_name, u.username FROM button b LEFT JOIN users u ON u.tg_id = :u"
)
_PER_BUTTON = text("SELECT position, count(*) FROM button_clicks WHERE mailing_id = :m GROUP BY position")
# Each button's clicks onto the button, as the prune marks the mailing (inside its transaction).
KEEP_TOTALS = text(
    "UPDATE mailing_buttons b SET clicks = (SELECT count(*) FROM button_clicks c"
    "  WHERE c.mailing_id = :m AND c.position = b.position) "
    "WHERE b.mailing_id = :m"
)
_DELETE_SOME = text(
    "DELETE FROM button_clicks WHERE ctid = ANY(ARRAY("
    "  SELECT ctid FROM button_clicks WHERE mailing_id = :m LIMIT :n))"
)


def follow(mailing_id: int, position: int, user_id: int, count: bool = True) -> str | None:
    """Where a recipient's click on a button goes (placeholders filled in with their names), the click
    counted once (unless `count` is False); None when there is no such button."""
    row = db.session.execute(_FOLLOW, {"m": mailing_id, "p": position, "u": user_id, "count": count}).first()
    db.session.commit()
    if row is None:
        return None
    if not placeholders.has_any(row.url):
        return row.url
    names = placeholders.values_of(row._mapping)
    return placeholders.Template.of(row.url).render(names, placeholders.escape_url)


@dataclass(frozen=True)
class ButtonClicks:
    """One button's clicks: the recipients who clicked it and their share of those it was sent to."""

    position: int
    text: str
    url: str
    clicks: int
    rate: float


def button_clicks(mailing, sent: int, tracking: bool) -> list[ButtonClicks] | None:
    """Each counted button's clicks (http(s) links; tg:// ones open in Telegram, uncounted); None when
    clicks are not tracked (`tracking`: PUBLIC_URL is set) and none were ever counted."""
    counted = dict(db.session.execute(_PER_BUTTON, {"m": mailing.id}).all())
    for button in mailing.buttons:
        if button.clicks is not None:  # its rows were (or are being) pruned: the total kept on it
            counted[button.position] = button.clicks
    if not tracking and not any(counted.values()):
        return None
    return [
        ButtonClicks(
            position=button.position,
            text=button.text,
            url=button.url,
            clicks=counted.get(button.position, 0),
            rate=round(counted.get(button.position, 0) / sent, 4) if sent else 0.0,
        )
        for button in mailing.buttons
        if trackable(button.url) or counted.get(button.position)
    ]


def clicks_view(buttons: list[ButtonClicks] | None) -> dict | None:
    """The `clicks` object of a mailing's stats: each button, and the clicks of all buttons together."""
    if buttons is None:
        return None
    return {
        "buttons": [
            {"position": b.position, "text": b.text, "url": b.url, "clicks": b.clicks, "rate": b.rate}
            for b in buttons
        ],
        "total": sum(b.clicks for b in buttons),
    }


def keep_totals(conn: Connection, mailing_id: int) -> None:
    """Write each button's clicks onto it (the prune does, as it marks the mailing)."""
    conn.execute(KEEP_TOTALS, {"m": mailing_id})


def delete_rows(engine: Engine, mailing_id: int, batch: int) -> int:
    """Delete up to `batch` click rows of a pruned mailing (one short transaction); how many went."""
    with engine.begin() as conn:
        return conn.execute(_DELETE_SOME, {"m": mailing_id, "n": batch}).rowcount
