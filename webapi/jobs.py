"""Every RQ job as data: its function, queue and timeout, in one table.

The functions live in `workers/jobs.py`, named here by their dotted path (the API enqueues them
but never imports the workers); `tests/test_structure.py` imports each one. Periodic jobs carry a
hash of their definition in their id, so a changed interval or timeout replaces the old job
(`workers/schedule.py` cancels the stale ones) and a restart never doubles them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

BROADCAST_QUEUE = "broadcast"
DEFAULT_QUEUE = "default"

# A driver sends for at most this long, then hands over to a fresh job.
DRIVER_BUDGET_SECONDS = 300.0


@dataclass(frozen=True)
class JobKind:
    """One kind of job: what runs, on which queue, for how long at most."""

    func: str
    queue: str
    timeout: int
    description: str  # formatted with the job's arguments

    def describe(self, *args: object) -> str:
        """The job's description for rq-dashboard."""
        return self.description.format(*args)


# May fan out a due mailing's audience (a million subscribers in well under a minute).
START_MAILING = JobKind(
    "workers.jobs.start_mailing", BROADCAST_QUEUE, 900, "start mailing {0} (or make sure drivers will)"
)
# Puts a scheduled mailing's audience in the ledger AHEAD_SECONDS before its send_at (a million
# rows in about 5 s), so the drivers find it there at the start.
FAN_OUT_AHEAD = JobKind(
    "workers.jobs.fan_out_ahead", BROADCAST_QUEUE, 600, "put the audience of mailing {0} in the ledger"
)
# Above the driver's budget, and the time a stopping driver waits for Postgres to take its outcomes.
DRIVE = JobKind("workers.jobs.drive", BROADCAST_QUEUE, int(DRIVER_BUDGET_SECONDS) + 420, "send (driver {0})")
AFTER_START = JobKind("workers.jobs.after_start", BROADCAST_QUEUE, 120, "announce mailing {0}")
UPDATE_PROGRESS = JobKind("workers.jobs.update_progress", DEFAULT_QUEUE, 120, "progress of mailing {0}")
SEND_REPORT = JobKind("workers.jobs.send_report", DEFAULT_QUEUE, 600, "report of mailing {0}")
# May start a due mailing and fan out its audience.
RECONCILE = JobKind(
    "workers.jobs.reconcile",
    DEFAULT_QUEUE,
    900,
    "start due mailings, settle expired leases, keep drivers running, finish and report",
)
# Two-person approval: the approvers asked after a save, and everyone concerned reminded while a due
# mailing waits (each claims its turn in Postgres first, so a duplicate job sends nothing).
ASK_APPROVAL = JobKind("workers.jobs.ask_approval", DEFAULT_QUEUE, 300, "ask approvers of mailing {0}")
REMIND_APPROVAL = JobKind(
    "workers.jobs.remind_approval", DEFAULT_QUEUE, 300, "remind: mailing {0} waits for approval"
)

# At the end of a canary's wait: the rest goes, or the mailing pauses and staff hear why.
JUDGE_CANARY = JobKind("workers.jobs.judge_canary", DEFAULT_QUEUE, 300, "judge the canary of mailing {0}")

# Deletes old ledger rows in short batches; stops after its budget, so a worker is never held for long.
PRUNE_BUDGET_SECONDS = 120
PRUNE_DELIVERIES = JobKind(
    "workers.jobs.prune_deliveries",
    DEFAULT_QUEUE,
    PRUNE_BUDGET_SECONDS + 480,
    "drop the ledger rows of mailings that ended over DELIVERY_RETENTION_DAYS ago (counts stay)",
)
PRUNE_INTERVAL = 900  # seconds: a day's million rows go in one run, a year's backlog in a few hours

# Makes the runs of every active recurring series due within a day (webapi/services/series.py).
MAKE_SERIES_RUNS = JobKind(
    "workers.jobs.make_series_runs", DEFAULT_QUEUE, 300, "make the runs of recurring series due within a day"
)
SERIES_INTERVAL = 60  # seconds: a run is made a day ahead, so a minute's delay costs nothing

ALL = (
    START_MAILING,
    FAN_OUT_AHEAD,
    DRIVE,
    AFTER_START,
    UPDATE_PROGRESS,
    SEND_REPORT,
    RECONCILE,
    JUDGE_CANARY,
    PRUNE_DELIVERIES,
    MAKE_SERIES_RUNS,
    ASK_APPROVAL,
    REMIND_APPROVAL,
)


@dataclass(frozen=True)
class Periodic:
    """A job rq-scheduler runs every `interval` seconds."""

    kind: JobKind
    interval: int

    @property
    def id(self) -> str:
        """A stable id that changes with the definition: periodic-<function>-<hash>."""
        definition = f"{self.kind.func}|{self.kind.queue}|{self.kind.timeout}|{self.interval}"
        digest = hashlib.sha256(definition.encode()).hexdigest()[:10]
        return f"{PERIODIC_PREFIX}{self.kind.func.rsplit('.', 1)[1]}-{digest}"


PERIODIC_PREFIX = "periodic-"


def periodic_jobs(reconcile_interval: int) -> tuple[Periodic, ...]:
    """The periodic jobs, with the intervals the settings give."""
    return (
        Periodic(RECONCILE, reconcile_interval),
        Periodic(PRUNE_DELIVERIES, PRUNE_INTERVAL),
        Periodic(MAKE_SERIES_RUNS, SERIES_INTERVAL),
    )
