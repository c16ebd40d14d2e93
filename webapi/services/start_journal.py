"""Which deliveries a driver really started: the proof that lets a dead driver's other rows go back.

A driver marks rows `sending` in Postgres a little ahead of their slots (one statement for many
rows), so when it dies, some of its `sending` rows were never requested. Just before requests
leave, it writes their ids into its journal in Redis (in the same round trip that checks the
429 wait and the circuit breaker: `RateLimiter.start`). When such a row's lease runs out, the
expirer asks the journal: a row the journal proves never started goes back to `pending`; a row
it lists, or any row whose journal cannot be trusted, becomes `unknown`.

The journal is trusted only when it is whole: it names the Redis server run it was opened in
(a restarted or failed-over Redis has another run id, and may hold an old copy) and carries no
`partial` mark (set when a driver had to open it again after Redis lost it). The expirer writes
`r` (revoked) for each row it hands back, atomically with reading it, and a driver never starts
a revoked row; so a slow driver that outlived its lease cannot send a row that was given to
another one.
"""

from __future__ import annotations

from redis import Redis

# KEYS: journal. ARGV: the server's run id, then delivery ids. Answers the ids proven unstarted.
_JUDGE = """
local run = redis.call('HGET', KEYS[1], 'run')
if not run or run ~= ARGV[1] or redis.call('HEXISTS', KEYS[1], 'partial') == 1 then return {} end
local unstarted = {}
for i = 2, #ARGV do
  if redis.call('HGET', KEYS[1], ARGV[i]) ~= 's' then
    redis.call('HSET', KEYS[1], ARGV[i], 'r')
    unstarted[#unstarted + 1] = ARGV[i]
  end
end
return unstarted
"""

TTL_SECONDS = 3600


def journal_key(owner: str) -> str:
    """The Redis key of one driver's start journal."""
    return f"rassylka:started:{owner}"


def server_run(redis: Redis) -> str:
    """The Redis server's run id: a new one after every restart or failover."""
    return str(redis.info("server")["run_id"])


def open_journal(redis: Redis, owner: str, partial: bool = False) -> str:
    """Open (or, after a loss, reopen as `partial`) a driver's journal; returns its key."""
    key = journal_key(owner)
    fields = {"run": server_run(redis)}
    if partial:
        fields["partial"] = "1"
    pipe = redis.pipeline()
    pipe.hset(key, mapping=fields)
    pipe.expire(key, TTL_SECONDS)
    pipe.execute()
    return key


def forget(redis: Redis, owner: str, ids: list[int]) -> None:
    """Drop closed rows from the journal (their outcome is in Postgres now)."""
    if ids:
        redis.hdel(journal_key(owner), *ids)


def unstarted(redis: Redis, rows_by_owner: dict[str, list[int]]) -> set[int]:
    """Of each owner's expired rows, those its journal proves were never requested (now revoked)."""
    if not rows_by_owner:
        return set()
    run = server_run(redis)
    judge = redis.register_script(_JUDGE)
    proven: set[int] = set()
    for owner, ids in rows_by_owner.items():
        proven.update(int(i) for i in judge(keys=[journal_key(owner)], args=[run, *ids]))
    return proven
