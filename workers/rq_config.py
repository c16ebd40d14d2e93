"""Loaded by `rq worker -c workers.rq_config` (see the Procfile) in the worker's main process, before forks.

It imports the job code and builds the app once, so every work horse rq forks for a job starts
with them in memory instead of importing Flask, SQLAlchemy and the models again (about 0.6 s a
job on a small machine: the time between a mailing's start and its first message). Nothing here
connects to Postgres or Redis: connections are opened lazily, in the horse that uses them.
It defines no UPPERCASE names, so rq reads no settings from it.
"""

from __future__ import annotations

import gc
import logging

log = logging.getLogger(__name__)


def preload() -> bool:
    """Import the jobs and build the app; on a configuration error, leave it to the first job."""
    try:
        import workers.jobs  # noqa: F401
        from workers.context import get_app

        get_app()
    except Exception as error:  # the worker must start anyway; the job will report the problem
        log.warning("preloading the app failed (%s); each job will build it", type(error).__name__)
        return False
    return True


def start_error_tracking() -> bool:
    """Sentry (SENTRY_DSN) in the main process, before the forks: every horse reports its job's errors."""
    try:
        from webapi.error_tracking import init_error_tracking
        from webapi.settings import load_settings

        return init_error_tracking(load_settings(), "worker")
    except Exception as error:  # the worker must start anyway
        log.warning("error tracking could not start (%s)", type(error).__name__)
        return False


error_tracking = start_error_tracking()
preloaded = preload()
# What was preloaded lives as long as the worker. Frozen, it is left out of the collections of
# every horse forked from here (shorter pauses between a slot and its request, and pages shared
# with the parent stay shared), as Python's gc documentation advises before a fork.
gc.freeze()
