"""The backend app inside jobs: created once per process, entered around every job body."""

from __future__ import annotations

import functools
import logging

from flask import Flask, current_app
from redis import Redis

_app: Flask | None = None
log = logging.getLogger(__name__)


def get_app() -> Flask:
    """This process's app, built from the environment on first use."""
    global _app
    if _app is None:
        from webapi.app import create_app

        _app = create_app()
    return _app


def in_app_context(func):
    """Run a job function inside the app context (so services and models work there)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            active = current_app._get_current_object()
        except RuntimeError:
            active = None
        if active is not None:
            return func(*args, **kwargs)
        with get_app().app_context():
            return func(*args, **kwargs)

    return wrapper


def redis() -> Redis:
    """The app's Redis client."""
    return current_app.extensions["redis"]
