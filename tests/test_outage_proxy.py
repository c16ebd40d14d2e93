"""The outage proxy makes the real test Postgres (and Redis) unreachable, then reachable again."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import psycopg2
import pytest
import redis
from sqlalchemy.engine import make_url

from tests.outage_proxy import OutageProxy, target_of
from tests.support import wait_for


@pytest.fixture
def postgres_proxy(services):
    """A proxy in front of the test Postgres."""
    with OutageProxy.for_url(services["database_url"]) as proxy:
        yield proxy


@pytest.fixture
def proxied_url(services, postgres_proxy):
    """The test database's URL, through the proxy."""
    return postgres_proxy.url_for(services["database_url"])


def _select_one(url: str) -> int:
    connection = psycopg2.connect(url, connect_timeout=5)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone()[0]
    finally:
        connection.close()


def test_a_query_goes_through_the_proxy(services, proxied_url, postgres_proxy):
    connection = psycopg2.connect(proxied_url, connect_timeout=5)
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database()")
        assert cursor.fetchone()[0] == make_url(services["database_url"]).database
    assert postgres_proxy.open_connections == 1
    connection.close()
    wait_for(lambda: postgres_proxy.open_connections == 0, 10, "the proxied connection to end")


def test_cut_breaks_open_connections_and_refuses_new_ones_until_restored(proxied_url, postgres_proxy):
    connection = psycopg2.connect(proxied_url, connect_timeout=5)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")

    postgres_proxy.cut()

    assert postgres_proxy.is_cut
    with pytest.raises(psycopg2.OperationalError), connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    with pytest.raises(psycopg2.OperationalError, match="refused"):
        psycopg2.connect(proxied_url, connect_timeout=5)

    postgres_proxy.restore()

    assert not postgres_proxy.is_cut
    assert _select_one(proxied_url) == 1


def test_an_outage_ends_by_itself(proxied_url, postgres_proxy):
    restored = postgres_proxy.outage(2)

    with pytest.raises(psycopg2.OperationalError, match="refused"):
        _select_one(proxied_url)
    wait_for(restored.is_set, 10, "the outage to end")
    assert _select_one(proxied_url) == 1


def test_a_manual_restore_ends_an_outage_early(proxied_url, postgres_proxy):
    restored = postgres_proxy.outage(60)
    postgres_proxy.restore()

    assert restored.is_set()
    assert _select_one(proxied_url) == 1


def test_many_connections_are_forwarded_at_once(proxied_url, postgres_proxy):
    def count_rows(_: int) -> tuple[int, int]:
        # Several megabytes each way round, so the proxy's buffers fill and drain.
        connection = psycopg2.connect(proxied_url, connect_timeout=5)
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT n, repeat('x', 100) FROM generate_series(1, 50000) AS n")
                rows = cursor.fetchall()
                return len(rows), sum(n for n, _ in rows)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(count_rows, range(8)))

    assert results == [(50000, 50000 * 50001 // 2)] * 8


def test_redis_goes_down_and_up_through_the_proxy(services):
    with OutageProxy.for_url(services["redis_url"]) as proxy:
        client = redis.Redis.from_url(proxy.url_for(services["redis_url"]), socket_timeout=5)
        assert client.ping()

        proxy.cut()
        with pytest.raises(redis.ConnectionError):
            client.ping()

        proxy.restore()
        assert client.ping()
        client.close()


def test_close_leaves_no_threads_behind(services):
    before = set(threading.enumerate())
    proxy = OutageProxy.for_url(services["database_url"])
    url = proxy.url_for(services["database_url"])
    connection = psycopg2.connect(url, connect_timeout=5)
    proxy.outage(60)
    proxy.outage(30)

    proxy.close()

    assert set(threading.enumerate()) <= before
    with pytest.raises(psycopg2.OperationalError), connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    with pytest.raises(RuntimeError):
        proxy.cut()


@pytest.mark.parametrize(
    ("url", "target", "through"),
    [
        (
            "postgresql://postgres:@/rassylka_test?host=/tmp/pg",
            "/tmp/pg/.s.PGSQL.5432",
            "postgresql://postgres:@127.0.0.1:{port}/rassylka_test",
        ),
        (
            "postgresql://postgres@127.0.0.1:5433/db?sslmode=disable",
            ("127.0.0.1", 5433),
            "postgresql://postgres@127.0.0.1:{port}/db?sslmode=disable",
        ),
        (
            "postgresql+psycopg2://u:p%40ss@/db?host=/run/pg/&port=6000",
            "/run/pg/.s.PGSQL.6000",
            "postgresql+psycopg2://u:p%40ss@127.0.0.1:{port}/db",
        ),
        ("redis://:secret@redis.local:6380/2", ("redis.local", 6380), "redis://:secret@127.0.0.1:{port}/2"),
        ("unix:///tmp/r/redis.sock?db=3", "/tmp/r/redis.sock", "redis://127.0.0.1:{port}/3"),
    ],
)
def test_urls_are_read_and_rewritten_through_the_proxy(url, target, through):
    assert target_of(url) == target
    with OutageProxy(("127.0.0.1", 9)) as proxy:
        assert proxy.url_for(url) == through.format(port=proxy.port)
