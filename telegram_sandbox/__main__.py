"""``python -m telegram_sandbox [--host H] [--port P] [--token T ...] [--no-limits] [--admin-key K]``."""

import argparse
import asyncio
import contextlib
import gc
import signal

from telegram_sandbox.app import start_site
from telegram_sandbox.state import TOKEN_RE, World


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m telegram_sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", action="append", default=[], help="pre-register a bot (repeatable)")
    parser.add_argument("--no-limits", action="store_true", help="start with flood limits off")
    parser.add_argument(
        "--admin-key", default=None, help="what the page's admin deep link sends (default: env ADMIN_KEY)"
    )
    args = parser.parse_args(argv)
    for token in args.token:
        if not TOKEN_RE.match(token):
            parser.error(f"malformed token {token!r}: expected <digits>:<letters, digits, _ or ->")
    return args


async def serve(args: argparse.Namespace) -> None:
    """Serve until SIGINT or SIGTERM."""
    world = World(limits_enabled=not args.no_limits, tokens=tuple(args.token))
    runner, port = await start_site(world, args.host, args.port, args.admin_key)
    # What start-up built lives as long as the process: keep it out of every later collection, so
    # the collector's pauses (which delay every request in flight) stay short.
    gc.freeze()
    print(f"telegram sandbox listening on http://{args.host}:{port} (open it in a browser)", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    await runner.cleanup()


def main(argv: list[str] | None = None) -> None:
    """Entry point."""
    asyncio.run(serve(parse_args(argv)))


if __name__ == "__main__":
    main()
