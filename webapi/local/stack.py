"""`make run`: every Procfile process on this machine, with embedded services and the sandbox as needed."""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests
from dotenv import dotenv_values

from webapi.local.embedded import start_services
from webapi.settings import ROOT, VAR_ENV, var_dir

DEMO_SUBSCRIBERS = 300
STOPPED = 0  # the exit status after Ctrl-C or SIGTERM once every process has stopped
STOP_SECONDS = 90  # a worker's in-flight requests and its closer get up to 60 s (stop_grace_period)
GENERATED = ("JWT_SECRET_KEY", "ADMIN_KEY", "DASHBOARD_USER", "DASHBOARD_PASSWORD", "SANDBOX_BOT_TOKEN")


class _Stop:
    """Ctrl-C or SIGTERM: one SIGINT to honcho, wait for every process to stop, exit with STOPPED.

    Before honcho starts, the signal unwinds start-up as a KeyboardInterrupt; the exit status is the
    same either way. When a process fails on its own, the runner exits with honcho's status instead.
    """

    def __init__(self) -> None:
        self.honcho: subprocess.Popen | None = None
        self.stopping = False
        signal.signal(signal.SIGINT, self._signal)
        signal.signal(signal.SIGTERM, self._signal)

    def watch(self, honcho: subprocess.Popen) -> None:
        self.honcho = honcho

    def requested(self) -> bool:
        return self.stopping

    def _signal(self, signum, frame) -> None:
        if self.honcho is None:
            raise KeyboardInterrupt
        if not self.stopping and self.honcho.poll() is None:  # honcho already gone: keep its status
            self.honcho.send_signal(signal.SIGINT)
            self.stopping = True

    def wait(self, honcho: subprocess.Popen) -> int:
        code = honcho.wait()
        return STOPPED if self.stopping else code


def procfile_processes(webhook: bool = False) -> list[str]:
    """Every long-running Procfile process (all but `release`; in webhook mode, `web` is the bot)."""
    lines = [line for line in (ROOT / "Procfile").read_text().splitlines() if not line.startswith("#")]
    names = [line.split(":", 1)[0] for line in lines if ":" in line]
    skipped = {"release", "bot"} if webhook else {"release"}
    return [name for name in names if name not in skipped]


def _stored(var: Path) -> dict[str, str]:
    path = var / "local.env"
    if not path.exists():
        return {}
    return {k: v for k, v in dotenv_values(path).items() if v}


def _generate(name: str) -> str:
    if name == "DASHBOARD_USER":
        return "admin"
    if name == "SANDBOX_BOT_TOKEN":
        return f"{secrets.randbelow(9 * 10**9) + 10**9}:{secrets.token_urlsafe(26)}"
    if name == "ADMIN_KEY":
        return secrets.token_urlsafe(24)
    return secrets.token_urlsafe(48)


def local_environment(var: Path) -> dict[str, str]:
    """The environment for the local run: .env and the shell, plus secrets generated once into `var`."""
    var.mkdir(parents=True, exist_ok=True)
    stored = _stored(var)
    dotenv = {k: v for k, v in dotenv_values(ROOT / ".env").items() if v} if (ROOT / ".env").exists() else {}
    env = {**dotenv, **{k: v for k, v in os.environ.items() if v}}
    for name in GENERATED:
        stored.setdefault(name, _generate(name))
        env.setdefault(name, stored[name])
    # Every process (and `flask` CLI commands given the same variable) reads <var>/local.env.
    env[VAR_ENV] = str(var)
    _write_local_env(var, stored)
    return env


def _write_local_env(var: Path, values: dict[str, str]) -> None:
    path = var / "local.env"
    path.write_text("".join(f"{k}={v}\n" for k, v in sorted(values.items())))
    path.chmod(0o600)


def _shown(var: Path) -> str:
    """`var` as the banner shows it: ./var for the default, else the full path."""
    return "./var" if var == ROOT / "var" else str(var)


def _wait_for_health(url: str, deadline: float, stopped=lambda: False) -> bool:
    while time.monotonic() < deadline and not stopped():
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return True
        except requests.RequestException:
            pass
        time.sleep(0.5)
    return False


def _bot_username(env: dict[str, str]) -> str:
    try:
        answer = requests.get(f"{env['TELEGRAM_API_URL']}/bot{env['BOT_TOKEN']}/getMe", timeout=10).json()
        return answer["result"]["username"]
    except (requests.RequestException, KeyError, ValueError):
        return "<bot_username>"


def banner(env: dict[str, str], port: int, sandbox_url: str | None, var: Path | None = None) -> list[str]:
    """The closing lines: how to act as the admin, where the docs and the dashboard are."""
    key = env["ADMIN_KEY"]
    var = var or ROOT / "var"
    lines = [
        "",
        f"Rassylka is running. Ctrl-C stops everything; data stays in {_shown(var)} for the next run.",
        f"  API docs:   http://127.0.0.1:{port}/docs",
        f"  Dashboard:  http://127.0.0.1:{port}/rq/  and  /metrics  (user {env['DASHBOARD_USER']}, "
        f"password {env['DASHBOARD_PASSWORD']})",
        f"  Admin key:  {key}   (kept in {_shown(var)}/local.env)",
    ]
    if sandbox_url:
        lines += [
            f"  Telegram sandbox: {sandbox_url}/  - pick or create a user, then 'open the admin deep link'.",
            "  Or with curl:",
            f'    curl -s -XPOST {sandbox_url}/sandbox/users -d \'{{"id": 1, "first_name": "Admin"}}\'',
            f'    curl -s -XPOST {sandbox_url}/sandbox/users/1/messages -d \'{{"text": "/start {key}"}}\'',
            f'    curl -s -XPOST {sandbox_url}/sandbox/users/1/messages -d \'{{"text": "/newmailing"}}\'',
            f"    curl -s '{sandbox_url}/sandbox/chats/1/messages'",
        ]
    else:
        lines.append(f"  Become admin: https://t.me/{_bot_username(env)}?start={key}")
    return lines


def main(argv: list[str] | None = None) -> int:
    """Start what is missing, migrate, seed the sandbox demo, run the Procfile with honcho."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--sandbox-port", type=int, default=int(os.environ.get("SANDBOX_PORT", "8081")))
    parser.add_argument("--processes", nargs="*", default=None, help="Procfile processes (default: all)")
    parser.add_argument(
        "--var",
        type=Path,
        default=var_dir(),
        help=f"where the data and generated secrets live (default: ${VAR_ENV}, else ./var)",
    )
    args = parser.parse_args(argv)
    var = args.var.expanduser().resolve()

    env = local_environment(var)
    services = start_services(
        var, keep=True, database_url=env.get("DATABASE_URL"), redis_url=env.get("REDIS_URL")
    )
    env.update(
        DATABASE_URL=services.database_url,
        REDIS_URL=services.redis_url,
        PORT=str(args.port),
        API_URL=f"http://127.0.0.1:{args.port}",
    )
    sandbox = None
    if not env.get("BOT_TOKEN"):
        from telegram_sandbox import SandboxServer

        env["BOT_TOKEN"] = env["SANDBOX_BOT_TOKEN"]
        sandbox = SandboxServer(
            host="127.0.0.1", port=args.sandbox_port, tokens=[env["BOT_TOKEN"]], admin_key=env["ADMIN_KEY"]
        ).start()
        env.update(TELEGRAM_API_URL=sandbox.url, SANDBOX_URL=sandbox.url)
    env.setdefault("TELEGRAM_API_URL", "https://api.telegram.org")
    # CLI commands (`flask --app wsgi tokens issue …`) find this run's stores while it is up.
    _write_local_env(var, {**_stored(var), **{k: env[k] for k in ("DATABASE_URL", "REDIS_URL")}})

    bin_dir = os.path.dirname(sys.executable)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    flask = [os.path.join(bin_dir, "flask"), "--app", "wsgi"]
    stop = _Stop()
    honcho = None
    try:
        subprocess.run([*flask, "db", "upgrade"], env=env, cwd=ROOT, check=True)
        # The release's second step: Telegram's webhook set (WEBHOOK_URL) or deleted.
        subprocess.run([sys.executable, "-m", "telebot_app.webhook"], env=env, cwd=ROOT, check=True)
        if sandbox:
            subprocess.run(
                [*flask, "demo", "seed", str(DEMO_SUBSCRIBERS), "--sandbox", sandbox.url],
                env=env,
                cwd=ROOT,
                check=True,
            )
        processes = args.processes or procfile_processes(webhook=bool(env.get("WEBHOOK_URL")))
        # honcho runs in its own session: a terminal's Ctrl-C reaches only this runner, which passes
        # exactly one SIGINT on (a second one would make the rq workers abandon their jobs).
        honcho = subprocess.Popen(
            [os.path.join(bin_dir, "honcho"), "start", *processes],
            env=env,
            cwd=ROOT,
            start_new_session=True,
        )
        stop.watch(honcho)
        health = f"http://127.0.0.1:{args.port}/health"
        if _wait_for_health(health, time.monotonic() + 90, stop.requested):
            print("\n".join(banner(env, args.port, sandbox.url if sandbox else None, var)), flush=True)
        return stop.wait(honcho)
    except KeyboardInterrupt:  # Ctrl-C during start-up
        if honcho is not None:  # started, but not yet watched
            honcho.send_signal(signal.SIGINT)
            honcho.wait(timeout=STOP_SECONDS)
        return STOPPED
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up short
        if sandbox:
            sandbox.stop()
        services.stop()
