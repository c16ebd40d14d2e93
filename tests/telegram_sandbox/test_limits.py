"""Flood limits: per-chat and global buckets, retry_after, violations, recovery and counters."""

import time

import pytest


def send(api, chat_id, text="x", **params):
    return api("sendMessage", chat_id=chat_id, text=text, **params)


def retry_after(response) -> int:
    body = response.json()
    assert response.status_code == 429, body
    assert body["description"] == f"Too Many Requests: retry after {body['parameters']['retry_after']}"
    return body["parameters"]["retry_after"]


@pytest.fixture
def users(sandbox):
    first = sandbox.create_users(10)["first_id"]
    return list(range(first, first + 10))


def test_defaults_are_telegrams_figures(sandbox):
    limits = sandbox.limits()["limits"]
    assert limits["enabled"] is True
    assert (limits["global_rate"], limits["per_chat_rate"]) == (30.0, 1.0)
    assert limits["group_rate"] == pytest.approx(20 / 60)


def test_per_chat_limit_then_violations_then_recovery(api, sandbox, users, wait_until):
    sandbox.set_limits(per_chat_rate=1, per_chat_burst=2, global_rate=1000, global_burst=1000)
    assert send(api, users[0]).ok and send(api, users[0]).ok
    refused = send(api, users[0])
    told = time.monotonic()
    wait = retry_after(refused)
    assert wait == 1
    # the token was told to wait: any send before then, to any chat, is a violation
    assert retry_after(send(api, users[1])) == 1
    assert retry_after(api("sendPhoto", chat_id=users[2], photo="https://example.com/p.jpg")) == 1
    stats = sandbox.stats()
    assert (stats["sent"], stats["too_many_requests"], stats["violations"]) == (2, 3, 2)
    assert stats["chats"][str(users[0])] == {"sent": 2, "too_many_requests": 1}
    wait_until(lambda: time.monotonic() >= told + wait, timeout=wait + 1, message="the end of the wait")
    assert send(api, users[0]).ok
    assert sandbox.stats()["violations"] == 2


def test_retry_after_is_the_time_until_a_send_would_pass(api, sandbox, users):
    sandbox.set_limits(per_chat_rate=0.25, per_chat_burst=1, global_rate=1000, global_burst=1000)
    assert send(api, users[0]).ok
    assert retry_after(send(api, users[0])) == 4


def test_wait_scope_chat_keeps_other_chats_open(api, sandbox, users):
    sandbox.set_limits(
        per_chat_rate=1, per_chat_burst=1, global_rate=1000, global_burst=1000, wait_scope="chat"
    )
    assert send(api, users[0]).ok
    retry_after(send(api, users[0]))
    assert send(api, users[1]).ok
    retry_after(send(api, users[0]))
    assert sandbox.stats()["violations"] == 1


def test_global_limit_across_chats(api, sandbox, users, wait_until):
    sandbox.set_limits(global_rate=5, global_burst=5, per_chat_rate=100, per_chat_burst=100)
    for chat_id in users[:5]:
        assert send(api, chat_id).ok
    refused = send(api, users[5])
    told = time.monotonic()
    assert retry_after(refused) == 1
    retry_after(send(api, users[6]))
    stats = sandbox.stats()
    assert (stats["sent"], stats["too_many_requests"], stats["violations"]) == (5, 2, 1)
    assert stats["max_in_any_second"] <= 5 and stats["max_in_sliding_second"] == 5
    wait_until(lambda: time.monotonic() >= told + 1, timeout=2, message="the end of the wait")
    assert send(api, users[7]).ok


def test_limits_are_per_token_and_only_for_sending(api, sandbox, users):
    other = "999:OTHER"
    sandbox.set_limits(per_chat_rate=1, per_chat_burst=1)
    sandbox.set_limits(token=other, enabled=False)
    assert send(api, users[0]).ok
    retry_after(send(api, users[0]))
    for _ in range(5):
        assert send(api, users[0], token=other).ok
        assert api("getMe").ok
    assert sandbox.stats(other)["sent"] == 5


def test_paid_broadcast_skips_the_global_bucket(api, sandbox, users):
    sandbox.set_limits(global_rate=1, global_burst=1, per_chat_rate=100, per_chat_burst=100)
    for chat_id in users[:5]:
        assert send(api, chat_id, allow_paid_broadcast="true").ok


def test_limits_off_counts_every_second(api, sandbox, users):
    sandbox.set_limits(enabled=False)
    for _ in range(12):
        assert send(api, users[0]).ok
    stats = sandbox.stats()
    assert stats["sent"] == 12 and stats["too_many_requests"] == 0
    assert sum(stats["per_second"].values()) == 12
    assert 1 <= stats["max_in_any_second"] <= 12
