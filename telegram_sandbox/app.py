"""The aiohttp application and a runner that serves it from a background thread."""

import asyncio
import contextlib
import threading

from aiohttp import web

from telegram_sandbox import control, ui
from telegram_sandbox.botapi import WORLD, handle_bot_api, handle_file, handle_not_found
from telegram_sandbox.state import World


def build_app(world: World, admin_key: str | None = None) -> web.Application:
    """The sandbox application: Bot API, file downloads, control API and the browser page.

    ``admin_key`` is what the page's "admin deep link" sends; None reads env ``ADMIN_KEY``.
    """
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app[WORLD] = world
    app.router.add_route("*", "/bot{token}/{method}", handle_bot_api)
    app.router.add_route("*", "/bot{token}", handle_not_found)
    app.router.add_get("/file/bot{token}/{path:.+}", handle_file)
    control.add_routes(app)
    ui.add_routes(app, admin_key)

    async def on_shutdown(app: web.Application) -> None:
        world.stop_event.set()
        for bot in world.bots.values():
            if bot.poller is not None and not bot.poller.done():
                bot.poller.cancel()
        pushing = [bot.webhook_task for bot in world.bots.values() if bot.webhook_task is not None]
        for task in pushing:
            task.cancel()
        # Let them end here, before the loop closes under them.
        await asyncio.gather(*pushing, return_exceptions=True)

    app.on_shutdown.append(on_shutdown)
    return app


async def start_site(
    world: World, host: str, port: int, admin_key: str | None = None
) -> tuple[web.AppRunner, int]:
    """Start serving; return the runner and the port actually bound."""
    runner = web.AppRunner(
        build_app(world, admin_key),
        access_log=None,
        handler_cancellation=True,
        shutdown_timeout=1.0,
        max_line_size=1024 * 1024,  # pyTelegramBotAPI puts every parameter, 4096-char texts too, in the URL
        max_field_size=64 * 1024,
    )
    await runner.setup()
    site = web.TCPSite(runner, host, port, backlog=1024, reuse_address=True)
    await site.start()
    bound = site._server.sockets[0].getsockname()[1]  # the port chosen when 0 was asked
    return runner, bound


class SandboxServer:
    """The sandbox in a background thread with its own event loop: ``start()``, ``url``, ``stop()``."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        limits: bool = True,
        tokens: list[str] | tuple = (),
        admin_key: str | None = None,
    ) -> None:
        self.host = host
        self.admin_key = admin_key
        self.port = port
        self.limits = limits
        self.tokens = tuple(tokens)
        self.world: World | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._stopped: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        """Base URL, e.g. http://127.0.0.1:8081."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> "SandboxServer":
        """Start serving and return once the server listens."""
        self._thread = threading.Thread(target=self._run, name="telegram-sandbox", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            raise RuntimeError("the sandbox failed to start") from self._error
        return self

    def _run(self) -> None:
        loop = self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._serve())
        finally:
            loop.close()

    async def _serve(self) -> None:
        try:
            self.world = World(limits_enabled=self.limits, tokens=self.tokens)
            self._runner, self.port = await start_site(self.world, self.host, self.port, self.admin_key)
            self._stopped = asyncio.Event()
        except BaseException as error:  # reported to start() in the calling thread
            self._error = error
            self._ready.set()
            return
        self._ready.set()
        await self._stopped.wait()
        await self._runner.cleanup()

    def stop(self) -> None:
        """Stop serving and wait for the thread to end."""
        if self._loop is None or self._thread is None:
            return
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._stopped.set)
        self._thread.join(timeout=10)
        self._thread = None

    def __enter__(self) -> "SandboxServer":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
