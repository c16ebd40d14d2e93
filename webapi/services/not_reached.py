"""The recipients a mailing did not reach, as CSV: user_id, chat_id, status, reason (as in the report)."""

from __future__ import annotations

import csv
import io
import tempfile
from typing import BinaryIO

from sqlalchemy import text

from webapi.domain import DeliveriesPruned
from webapi.extensions import db
from webapi.services.mailings import get_mailing

NOT_REACHED = ("blocked", "failed", "unknown", "cancelled")
HEADER = ("user_id", "chat_id", "status", "reason")
ROWS_PER_FETCH = 2000  # rows of the server-side cursor held in memory at once
IN_MEMORY = 4 * 1024 * 1024  # bytes of CSV kept in memory; a larger list goes to a temporary file
_ROWS = text(
    "SELECT user_id, chat_id, status, last_error FROM deliveries "
    "WHERE mailing_id = :m AND status = ANY(:statuses) ORDER BY id"
).execution_options(yield_per=ROWS_PER_FETCH)


def write_csv(mailing_id: int, statuses: list[str], out: BinaryIO) -> int:
    """Write the mailing's deliveries in `statuses` (UTF-8 CSV with a header) to `out`; returns the rows.

    A mailing whose rows were pruned raises `DeliveriesPruned`: only its counts are left.
    """
    mailing = get_mailing(mailing_id)
    if mailing.deliveries_pruned_at is not None:
        pruned_at = mailing.deliveries_pruned_at.isoformat()
        db.session.rollback()
        raise DeliveriesPruned(pruned_at, "its list of recipients is gone")
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    rows = 0
    try:
        for row in db.session.execute(_ROWS, {"m": mailing_id, "statuses": sorted(set(statuses))}):
            writer.writerow((row.user_id, row.chat_id, row.status, row.last_error or ""))
            rows += 1
            if rows % ROWS_PER_FETCH == 0:
                out.write(buffer.getvalue().encode())
                buffer.seek(0)
                buffer.truncate()
    finally:
        db.session.rollback()  # closes the cursor before the answer goes out
    out.write(buffer.getvalue().encode())
    return rows


def csv_file(mailing_id: int, statuses: list[str]) -> tuple[BinaryIO, int]:
    """The CSV in a file rewound to its start (memory up to IN_MEMORY, then disk), and its rows."""
    spooled = tempfile.SpooledTemporaryFile(max_size=IN_MEMORY)  # noqa: SIM115 - the answer closes it
    try:
        rows = write_csv(mailing_id, statuses, spooled)
    except BaseException:
        spooled.close()
        raise
    spooled.seek(0)
    return spooled, rows
