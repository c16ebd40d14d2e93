"""One worker's memory while it sends one large mailing: RSS sampled from start to end, so it shows flat.

Usage: python bench/worker_memory.py [--recipients 200000] [--rate 1000]

One `rq worker broadcast default` subprocess, real Postgres and Redis (bench/stack.py), the sandbox
with limits off, BROADCAST_RATE=rate with PAID_BROADCAST=true. The worker's work horse (the process
that runs the driver) is sampled every second. Prints one JSON line: recipients, seconds, msgs_per_s,
start_rss_mb (the driver's first sample), end_rss_mb, peak_rss_mb (the kernel's high-water mark),
and `samples`: [seconds, RSS MiB] at about twenty evenly spaced moments.
"""

from __future__ import annotations

import argparse
import json
import time

import requests
from broadcast import (
    ENGINE_TOKEN,
    children,
    kill_workers,
    mailing_status,
    prepare_sandbox,
    rss_now_mb,
    rss_peak_mb,
    seed,
    start_sandbox,
    start_workers,
    wait_workers,
)
from stack import ROOT, free_port, stack


def main() -> None:
    """Send one mailing with one worker and print its memory figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--recipients", type=int, default=200_000)
    parser.add_argument("--rate", type=float, default=1000)
    args = parser.parse_args()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    sandbox = start_sandbox(port)
    try:
        prepare_sandbox(base, args.recipients, args.rate)
        requests.put(f"{base}/sandbox/config/limits", json={"enabled": False}, timeout=30).raise_for_status()
        extra = {
            "BOT_TOKEN": ENGINE_TOKEN,
            "TELEGRAM_API_URL": base,
            "BROADCAST_RATE": str(args.rate),
            "PAID_BROADCAST": "true",
            "BOT_LANGUAGE": "en",
        }
        with stack(**extra) as env:
            dsn = env["DATABASE_URL"].replace("postgresql+psycopg2", "postgresql")
            mailing_id = seed(dsn, args.recipients)
            log_dir = ROOT / "var" / "bench"
            log_dir.mkdir(parents=True, exist_ok=True)
            (worker,) = start_workers(env, 1, log_dir)
            try:
                wait_workers(env["REDIS_URL"], 1)
                print(json.dumps(_measure(args, env, dsn, mailing_id, worker.pid)), flush=True)
            finally:
                kill_workers([worker])
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=30)


def _measure(args, env, dsn: str, mailing_id: int, worker_pid: int) -> dict:
    from redis import Redis
    from rq import Queue

    Queue("broadcast", connection=Redis.from_url(env["REDIS_URL"])).enqueue(
        "workers.jobs.start_mailing", mailing_id, job_timeout=900
    )
    begun = time.monotonic()
    deadline = begun + args.recipients / args.rate * 4 + 300
    samples: list[tuple[float, float]] = []
    peak = 0.0
    horses: set[int] = set()
    while mailing_status(dsn, mailing_id) != "finished":
        if time.monotonic() > deadline:
            raise RuntimeError("the mailing did not finish in time; see var/bench/worker-0.log")
        for horse in children(worker_pid):
            rss = rss_now_mb(horse)
            if rss:
                horses.add(horse)
                samples.append((round(time.monotonic() - begun, 1), round(rss, 1)))
                peak = max(peak, rss_peak_mb(horse))
        time.sleep(1.0)
    seconds = time.monotonic() - begun
    # The driver (the long-running horse) is where memory could grow; drop the short start job.
    drive = samples[2:] if len(samples) > 4 else samples
    step = max(1, len(drive) // 20)
    return {
        "scenario": "worker_memory",
        "recipients": args.recipients,
        "seconds": round(seconds, 1),
        "msgs_per_s": round(args.recipients / seconds, 1),
        "work_horses": len(horses),
        "start_rss_mb": drive[0][1] if drive else None,
        "end_rss_mb": drive[-1][1] if drive else None,
        "peak_rss_mb": round(peak, 1),
        "samples": [list(sample) for sample in drive[::step]],
        "worker_main_rss_mb": round(rss_peak_mb(worker_pid), 1),
        "note": "VmRSS of the work horse (the driver), sampled every second",
    }


if __name__ == "__main__":
    main()
