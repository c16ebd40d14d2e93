"""One mailing through the real engine against the sandbox, and the naive bot-template loop beside it.

Usage: python bench/broadcast.py --recipients 3000 --rate 25 [--paid] [--workers 2] [--personal]

Real Postgres (a scratch database from bench/stack.py), real Redis, W `rq worker broadcast default`
subprocesses as the Procfile runs them, and the sandbox in its own process with limits on: global
rate R (burst 10, Telegram's), per chat 1/s (burst 3). BROADCAST_RATE=R; PAID_BROADCAST with --paid.
While the engine sends, the naive loop most bot templates use (requests, send, sleep 0.05 s, repeat,
one process) sends the same text to the same recipients with a second bot token of the same sandbox.
With --personal the mailing greets each recipient by name (`{first_name|friend}`) and has a button
whose link holds their username: the engine claims each user's names and renders every copy.

Prints one JSON line per scenario ("engine", "naive_loop"): recipients, seconds (engine: from the
mailing's started_at to its last delivery), rate_target, msgs_per_s, ratio, max_in_any_second,
max_in_sliding_second, violations, too_many_requests, duplicates, unknown, lost (deliveries not
final, or `sent` that the sandbox never received), worker_cpu_ms_per_msg, worker_peak_rss_mb.
Only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg2
import requests
from stack import ROOT, free_port, stack, wait_until_healthy

ENGINE_TOKEN = "777001:BENCH-engine"
NAIVE_TOKEN = "777002:BENCH-naive"
FIRST_ID = 10_000_000
TEXT = "<b>Bench</b> mailing: hello from Rassylka"
# With --personal: the same text greeting each recipient by name, and a button link with it.
PERSONAL_TEXT = "<b>Bench</b> mailing: hello {first_name|friend} from Rassylka"
PERSONAL_BUTTON = ("Profile", "https://example.com/u/{username|anonymous}")
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def cpu_seconds(pid: int) -> float:
    """CPU of a process plus its reaped children (utime, stime, cutime, cstime), in seconds."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return sum(int(value) for value in fields[11:15]) / CLK_TCK


def rss_peak_mb(pid: int) -> float:
    """VmHWM of a live process in MiB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0.0


def children(pid: int) -> list[int]:
    """Direct children of a process (rq's work horses)."""
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except (FileNotFoundError, ProcessLookupError):
        return []


class Sampler(threading.Thread):
    """Samples the peak RSS of the workers and their work horses (and the horses' CPU) until stopped."""

    def __init__(self, pids: list[int], every: float = 0.2):
        super().__init__(daemon=True)
        self.pids = pids
        self.every = every
        self.peak_mb = 0.0
        self.samples: list[tuple[float, float]] = []  # (seconds since start, summed current RSS MiB)
        self.done = threading.Event()

    def run(self) -> None:
        """Sample until `done` is set."""
        begun = time.monotonic()
        while not self.done.wait(self.every):
            current = 0.0
            for pid in self.pids:
                for proc in (pid, *children(pid)):
                    self.peak_mb = max(self.peak_mb, rss_peak_mb(proc))
                    current = max(current, rss_now_mb(proc))
            self.samples.append((round(time.monotonic() - begun, 1), round(current, 1)))


def rss_now_mb(pid: int) -> float:
    """VmRSS of a live process in MiB (0 when it is gone)."""
    try:
        pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0.0
    return pages * PAGE_KB / 1024


def start_sandbox(port: int) -> subprocess.Popen:
    """The sandbox in its own process (its CPU is not ours), both bots registered."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "telegram_sandbox",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--token",
            ENGINE_TOKEN,
            "--token",
            NAIVE_TOKEN,
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_until_healthy(f"http://127.0.0.1:{port}/sandbox/bots", timeout=30)
    return process


def prepare_sandbox(base: str, recipients: int, rate: float) -> None:
    """Limits on at `rate` (per chat as Telegram), and one sandbox user per recipient."""
    limits = {
        "enabled": True,
        "global_rate": rate,
        "global_burst": 10,
        "per_chat_rate": 1,
        "per_chat_burst": 3,
    }
    requests.put(f"{base}/sandbox/config/limits", json=limits, timeout=30).raise_for_status()
    done = 0
    while done < recipients:
        chunk = min(50_000, recipients - done)
        requests.post(
            f"{base}/sandbox/users/bulk", json={"count": chunk, "start_id": FIRST_ID + done}, timeout=120
        ).raise_for_status()
        done += chunk


def seed(dsn: str, recipients: int, personal: bool = False) -> int:
    """The subscribers and one due mailing (no author, so no progress message); returns its id.

    `personal`: each subscriber has names of their own, and the mailing greets them by name.
    """
    connection = psycopg2.connect(dsn)
    with connection, connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO users (tg_id, first_name, username, role, status) "
            "SELECT g, 'Subscriber ' || g, 'user_' || g, 'subscriber', 'active' "
            "FROM generate_series(%s, %s) g",
            (FIRST_ID, FIRST_ID + recipients - 1),
        )
        cursor.execute(
            "INSERT INTO mailings (name, text, send_at, status, created_by, version) "
            "VALUES ('bench', %s, now(), 'scheduled', 'bench', 1) RETURNING id",
            (PERSONAL_TEXT if personal else TEXT,),
        )
        mailing_id = cursor.fetchone()[0]
        if personal:
            cursor.execute(
                "INSERT INTO mailing_buttons (mailing_id, position, text, url) VALUES (%s, 0, %s, %s)",
                (mailing_id, *PERSONAL_BUTTON),
            )
        cursor.execute("ANALYZE users")
    connection.close()
    return mailing_id


def start_workers(env: dict[str, str], count: int, log_dir: Path) -> list[subprocess.Popen]:
    """W `rq worker` processes started exactly as the Procfile starts them."""
    rq = os.path.join(os.path.dirname(sys.executable), "rq")
    workers = []
    for n in range(count):
        log = open(log_dir / f"worker-{n}.log", "w")  # noqa: SIM115 - lives as long as the worker
        workers.append(
            subprocess.Popen(
                [
                    rq,
                    "worker",
                    "broadcast",
                    "default",
                    "--url",
                    env["REDIS_URL"],
                    "-c",
                    "workers.rq_config",
                    "-w",
                    "workers.worker.Worker",
                ],
                env=env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
    return workers


def kill_workers(workers: list[subprocess.Popen]) -> None:
    """SIGKILL each worker and its work horse (the benchmark's figures are taken; nothing to wind down)."""
    for worker in workers:
        for pid in (*children(worker.pid), worker.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, 9)
        worker.wait(timeout=30)


def wait_workers(redis_url: str, count: int, timeout: float = 60) -> None:
    """Wait until `count` workers have registered with Redis."""
    from redis import Redis
    from rq import Worker

    connection = Redis.from_url(redis_url)
    deadline = time.monotonic() + timeout
    while len(Worker.all(connection=connection)) < count:
        if time.monotonic() > deadline:
            raise RuntimeError("workers did not start")
        time.sleep(0.2)


def naive_loop(base: str, recipients: int, stop: threading.Event, limit_s: float, out: dict) -> None:
    """The bot-template loop: for each chat, send, sleep 0.05 s; one thread, requests, no rate limiter."""
    session = requests.Session()
    url = f"{base}/bot{NAIVE_TOKEN}/sendMessage"
    sent = refused = 0
    cpu0 = time.thread_time()
    begun = time.monotonic()
    for chat_id in range(FIRST_ID, FIRST_ID + recipients):
        if stop.is_set() or time.monotonic() - begun > limit_s:
            break
        answer = session.post(url, json={"chat_id": chat_id, "text": TEXT, "parse_mode": "HTML"}, timeout=10)
        if answer.status_code == 200:
            sent += 1
        else:
            refused += 1
        time.sleep(0.05)
    out.update(
        seconds=time.monotonic() - begun,
        attempted=sent + refused,
        sent=sent,
        cpu_s=time.thread_time() - cpu0,
    )


def sandbox_figures(base: str, token: str) -> dict:
    """The sandbox's counters for one bot, with duplicates summed over chats."""
    stats = requests.get(f"{base}/sandbox/stats", params={"token": token}, timeout=120).json()
    chats = stats.get("chats", {})
    return {
        "stats": stats,
        "received": {int(chat): c["sent"] for chat, c in chats.items() if c["sent"]},
        "duplicates": sum(c["sent"] - 1 for c in chats.values() if c["sent"] > 1),
    }


def ledger_figures(dsn: str, mailing_id: int, received: dict[int, int]) -> dict:
    """Status counts, time from started_at to the last delivery, and what was lost."""
    connection = psycopg2.connect(dsn)
    with connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT extract(epoch FROM max(COALESCE(d.sent_at, d.updated_at)) - m.started_at),"
            "  extract(epoch FROM min(d.sent_at) - m.started_at) "
            "FROM deliveries d JOIN mailings m ON m.id = d.mailing_id WHERE d.mailing_id = %s "
            "GROUP BY m.started_at",
            (mailing_id,),
        )
        seconds, first = (float(value or 0) for value in cursor.fetchone())
        cursor.execute(
            "SELECT status, count(*) FROM deliveries WHERE mailing_id = %s GROUP BY status", (mailing_id,)
        )
        counts = dict(cursor.fetchall())
        cursor.execute(
            "SELECT chat_id FROM deliveries WHERE mailing_id = %s AND status = 'sent'", (mailing_id,)
        )
        sent_chats = [row[0] for row in cursor.fetchall()]
    connection.close()
    not_final = counts.get("pending", 0) + counts.get("sending", 0)
    never_received = sum(1 for chat in sent_chats if not received.get(chat))
    return {"seconds": seconds, "first": first, "counts": counts, "lost": not_final + never_received}


def steady_rate(per_second: dict[str, int]) -> float | None:
    """Median messages per second over the full seconds (the first and last are partial)."""
    counts = [per_second[second] for second in sorted(per_second, key=int)][1:-1]
    return float(statistics.median(counts)) if counts else None


def mailing_status(dsn: str, mailing_id: int) -> str:
    """The mailing's status."""
    connection = psycopg2.connect(dsn)
    with connection, connection.cursor() as cursor:
        cursor.execute("SELECT status FROM mailings WHERE id = %s", (mailing_id,))
        status = cursor.fetchone()[0]
    connection.close()
    return status


def run(args: argparse.Namespace) -> list[dict]:
    """Set everything up, send, measure; returns the two scenario figures."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    sandbox = start_sandbox(port)
    try:
        prepare_sandbox(base, args.recipients, args.rate)
        extra = {
            "BOT_TOKEN": ENGINE_TOKEN,
            "TELEGRAM_API_URL": base,
            "BROADCAST_RATE": str(args.rate),
            "PAID_BROADCAST": "true" if args.paid else "false",
            "BOT_LANGUAGE": "en",
            "LOG_LEVEL": "WARNING",
        }
        with stack(**extra) as env:
            dsn = env["DATABASE_URL"].replace("postgresql+psycopg2", "postgresql")
            mailing_id = seed(dsn, args.recipients, args.personal)
            log_dir = Path(env.get("BENCH_LOG_DIR") or ROOT / "var" / "bench")
            log_dir.mkdir(parents=True, exist_ok=True)
            workers = start_workers(env, args.workers, log_dir)
            try:
                wait_workers(env["REDIS_URL"], args.workers)
                return _measure(args, env, dsn, base, mailing_id, workers)
            finally:
                kill_workers(workers)
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=30)


def _measure(args, env, dsn: str, base: str, mailing_id: int, workers: list[subprocess.Popen]) -> list[dict]:
    from redis import Redis
    from rq import Queue

    cpu_before = sum(cpu_seconds(worker.pid) for worker in workers)
    sampler = Sampler([worker.pid for worker in workers])
    sampler.start()
    naive_out: dict = {}
    stop_naive = threading.Event()
    expected = args.recipients / args.rate
    naive = threading.Thread(
        target=naive_loop, args=(base, args.recipients, stop_naive, expected + 30, naive_out), daemon=True
    )
    Queue("broadcast", connection=Redis.from_url(env["REDIS_URL"])).enqueue(
        "workers.jobs.start_mailing", mailing_id, job_timeout=900
    )
    naive.start()
    deadline = time.monotonic() + expected * 3 + 180
    while mailing_status(dsn, mailing_id) != "finished":
        if time.monotonic() > deadline:
            raise RuntimeError(f"mailing {mailing_id} did not finish in time; see var/bench/worker-*.log")
        time.sleep(0.5)
    # The driver's work horse exits (and is reaped) just after the mailing finishes.
    settle = time.monotonic() + 15
    while any(children(worker.pid) for worker in workers) and time.monotonic() < settle:
        time.sleep(0.1)
    stop_naive.set()
    naive.join(timeout=30)
    sampler.done.set()
    sampler.join()
    cpu = sum(cpu_seconds(worker.pid) for worker in workers) - cpu_before

    engine_sb = sandbox_figures(base, ENGINE_TOKEN)
    # The per-second arrivals, for a closer look (not printed).
    (ROOT / "var" / "bench" / "per_second.json").write_text(json.dumps(engine_sb["stats"]["per_second"]))
    ledger = ledger_figures(dsn, mailing_id, engine_sb["received"])
    stats = engine_sb["stats"]
    msgs_per_s = args.recipients / ledger["seconds"]
    engine = {
        "scenario": "engine",
        "recipients": args.recipients,
        "workers": args.workers,
        "paid": args.paid,
        "personal": args.personal,
        "seconds": round(ledger["seconds"], 2),
        "rate_target": args.rate,
        "msgs_per_s": round(msgs_per_s, 1),
        "ratio": round(msgs_per_s / args.rate, 3),
        "max_in_any_second": stats["max_in_any_second"],
        "max_in_sliding_second": stats["max_in_sliding_second"],
        "violations": stats["violations"],
        "too_many_requests": stats["too_many_requests"],
        "duplicates": engine_sb["duplicates"],
        "unknown": ledger["counts"].get("unknown", 0),
        "lost": ledger["lost"],
        "statuses": ledger["counts"],
        "first_delivery_s": round(ledger["first"], 2),
        "steady_msgs_per_s": steady_rate(stats["per_second"]),
        "worker_cpu_ms_per_msg": round(cpu * 1000 / args.recipients, 3),
        "worker_peak_rss_mb": round(sampler.peak_mb, 1),
    }
    naive_sb = sandbox_figures(base, NAIVE_TOKEN)
    nstats = naive_sb["stats"]
    naive_rate = naive_out.get("sent", 0) / max(naive_out.get("seconds", 1), 1e-9)
    naive_figures = {
        "scenario": "naive_loop",
        "recipients": naive_out.get("attempted", 0),
        "delivered": naive_out.get("sent", 0),
        "seconds": round(naive_out.get("seconds", 0), 2),
        "rate_target": args.rate,
        "msgs_per_s": round(naive_rate, 1),
        "ratio": round(naive_rate / args.rate, 3),
        "max_in_any_second": nstats["max_in_any_second"],
        "max_in_sliding_second": nstats["max_in_sliding_second"],
        "violations": nstats["violations"],
        "too_many_requests": nstats["too_many_requests"],
        "duplicates": naive_sb["duplicates"],
        "worker_cpu_ms_per_msg": round(
            naive_out.get("cpu_s", 0) * 1000 / max(naive_out.get("attempted", 1), 1), 3
        ),
        "note": "one thread, stops when the engine finishes",
    }
    return [engine, naive_figures]


def main() -> None:
    """Parse options, run, print one JSON line per scenario."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--recipients", type=int, default=3000)
    parser.add_argument("--rate", type=float, default=25)
    parser.add_argument("--paid", action="store_true", help="PAID_BROADCAST=true (up to 1,000/s)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--personal", action="store_true", help="the mailing greets each recipient by name (placeholders)"
    )
    args = parser.parse_args()
    for figures in run(args):
        print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
