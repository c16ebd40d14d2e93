"""`make run`: the whole stack on one machine, with embedded Postgres/Redis when no URLs are set."""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys

from dotenv import dotenv_values

from webapi.embedded import start_services
from webapi.settings import LOCAL_ENV_FILE, ROOT

VAR = ROOT / "var"
# The Procfile processes `make run` starts; more join as they are built.
LOCAL_PROCESSES = ("web",)


def local_secrets() -> dict[str, str]:
    """JWT_SECRET_KEY and ADMIN_KEY for local runs: generated once into var/local.env, then reused."""
    VAR.mkdir(exist_ok=True)
    stored = {k: v for k, v in dotenv_values(LOCAL_ENV_FILE).items() if v} if LOCAL_ENV_FILE.exists() else {}
    values = {
        "JWT_SECRET_KEY": stored.get("JWT_SECRET_KEY") or secrets.token_urlsafe(48),
        "ADMIN_KEY": stored.get("ADMIN_KEY") or secrets.token_urlsafe(24),
    }
    if values != {k: stored.get(k) for k in values}:
        LOCAL_ENV_FILE.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
        LOCAL_ENV_FILE.chmod(0o600)
    return values


def main(argv: list[str] | None = None) -> int:
    """Start embedded services if needed, migrate, then run the Procfile's processes with honcho."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    args = parser.parse_args(argv)

    env = dict(os.environ)
    for key, value in local_secrets().items():
        env.setdefault(key, value)
    services = start_services(
        VAR, keep=True, database_url=env.get("DATABASE_URL") or None, redis_url=env.get("REDIS_URL") or None
    )
    env.update(DATABASE_URL=services.database_url, REDIS_URL=services.redis_url, PORT=str(args.port))
    bin_dir = os.path.dirname(sys.executable)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    try:
        subprocess.run(
            [os.path.join(bin_dir, "flask"), "--app", "wsgi", "db", "upgrade"], env=env, cwd=ROOT, check=True
        )
        print(f"API:      http://127.0.0.1:{args.port}/docs  (health: /health)", flush=True)
        print(f"Admin key: {env['ADMIN_KEY']}  (kept in var/local.env)", flush=True)
        result = subprocess.run(
            [os.path.join(bin_dir, "honcho"), "start", *LOCAL_PROCESSES], env=env, cwd=ROOT, check=False
        )
        return result.returncode
    except KeyboardInterrupt:
        return 0
    finally:
        services.stop()


if __name__ == "__main__":
    sys.exit(main())
