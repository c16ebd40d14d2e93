"""Injected faults: error, delay, stall, drop; per method or all; by count or probability."""

import time

import pytest
import requests

pytestmark = pytest.mark.usefixtures("no_limits")


def test_error_answers_500_and_delivers_nothing(api, sandbox, user):
    sandbox.add_fault("sendMessage", "error", count=1)
    failed = api("sendMessage", chat_id=user["id"], text="x")
    assert failed.status_code == 500
    assert failed.json() == {"ok": False, "error_code": 500, "description": "Internal Server Error"}
    assert sandbox.messages(user["id"]) == []
    assert api("sendMessage", chat_id=user["id"], text="x").ok
    assert sandbox.faults()["fired"]["error"] == 1
    assert sandbox.stats()["faults"] == {"error": 1}


def test_delay_answers_late_and_delivers(api, sandbox, user):
    sandbox.add_fault("*", "delay", seconds=0.3, count=1)
    started = time.monotonic()
    assert api("sendMessage", chat_id=user["id"], text="late").json()["ok"]
    assert time.monotonic() - started >= 0.3
    assert [m["text"] for m in sandbox.messages(user["id"])] == ["late"]


@pytest.mark.parametrize("deliver", [False, True])
def test_stall_never_answers(api, sandbox, user, deliver):
    sandbox.add_fault("sendmessage", "stall", count=1, deliver=deliver)
    with pytest.raises(requests.ReadTimeout):
        api("sendMessage", chat_id=user["id"], text="stuck", timeout=0.5)
    assert len(sandbox.messages(user["id"])) == (1 if deliver else 0)
    assert sandbox.faults()["fired"]["stall"] == 1
    assert api("sendMessage", chat_id=user["id"], text="next").ok


def test_drop_delivers_but_closes_without_an_answer(api, sandbox, user):
    sandbox.add_fault("sendMessage", "drop", count=1)
    with pytest.raises(requests.ConnectionError):
        api("sendMessage", chat_id=user["id"], text="ambiguous")
    messages = sandbox.messages(user["id"])
    assert [m["text"] for m in messages] == ["ambiguous"]
    assert api("sendMessage", chat_id=user["id"], text="ambiguous").ok
    assert [m["copies"] for m in sandbox.messages(user["id"])] == [2, 2]
    assert sandbox.stats()["faults"] == {"drop": 1}


def test_count_mode_fires_exactly_n_times_for_the_method_only(api, sandbox, user):
    sandbox.add_fault("sendMessage", "error", count=2)
    assert api("getMe").ok
    codes = [api("sendMessage", chat_id=user["id"], text="x").status_code for _ in range(4)]
    assert codes == [500, 500, 200, 200]
    rule = sandbox.faults()["faults"][0]
    assert (rule["fired"], rule["remaining"]) == (2, 0)


def test_probability_mode(api, sandbox, user):
    sandbox.add_fault("getMe", "error", probability=0.5)
    codes = [api("getMe").status_code for _ in range(200)]
    assert 40 <= codes.count(500) <= 160
    sandbox.clear_faults()
    sandbox.add_fault("getMe", "error", probability=0)
    assert all(api("getMe").ok for _ in range(20))
    assert sandbox.clear_faults() == {"cleared": 1}


def test_bad_fault_specs_are_refused(sandbox):
    from telegram_sandbox.client import SandboxError

    for spec in (
        {"kind": "error"},
        {"method": "*", "kind": "melt"},
        {"method": "*", "kind": "error", "probability": 2},
    ):
        with pytest.raises(SandboxError) as error:
            sandbox.add_fault(**spec) if "method" in spec else sandbox.add_fault(None, spec["kind"])
        assert error.value.status == 400
