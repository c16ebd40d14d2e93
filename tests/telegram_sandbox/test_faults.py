"""Injected faults: error, delay, stall, drop; per method or all; by count, probability or duration."""

import time

import pytest
import requests

from tests.support import wait_for

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


def test_error_without_deliver_delivers_nothing_whatever_the_status(api, sandbox, user):
    for status in (500, 502):
        sandbox.add_fault("sendMessage", "error", status=status, count=1)
        assert api("sendMessage", chat_id=user["id"], text="lost").status_code == status
    assert sandbox.messages(user["id"]) == []
    assert sandbox.stats()["sent"] == 0
    assert sandbox.faults()["delivered"]["error"] == 0


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_error_with_deliver_delivers_once_then_answers_5xx(api, sandbox, user, status):
    rule = sandbox.add_fault("sendMessage", "error", status=status, deliver=True, count=1)
    assert (rule["status"], rule["deliver"]) == (status, True)
    failed = api("sendMessage", chat_id=user["id"], text="sent anyway")
    assert failed.status_code == status
    if status == 500:
        assert failed.json() == {"ok": False, "error_code": 500, "description": "Internal Server Error"}
    else:
        assert failed.headers["Content-Type"].startswith("text/html")
        assert f"<h1>{status} " in failed.text
    assert [(m["text"], m["copies"]) for m in sandbox.messages(user["id"])] == [("sent anyway", 1)]
    faults = sandbox.faults()
    assert faults["fired"]["error"] == 1
    assert faults["delivered"]["error"] == 1
    assert faults["faults"][0]["delivered"] == 1
    assert sandbox.stats()["faults"] == {"error": 1}


def test_outage_answers_502_to_everything_until_its_duration_lapses(api, sandbox, user):
    rule = sandbox.add_fault("*", "error", status=502, duration=1)
    assert rule["duration"] == 1
    assert 0 < rule["expires_in"] <= 1
    assert api("getMe").status_code == 502
    assert api("sendMessage", chat_id=user["id"], text="during").status_code == 502
    wait_for(lambda: sandbox.faults()["faults"] == [], 5, "the outage rule to lapse", every=0.05)
    assert api("sendMessage", chat_id=user["id"], text="after").ok
    assert [m["text"] for m in sandbox.messages(user["id"])] == ["after"]
    assert sandbox.faults()["fired"]["error"] >= 2


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
        {"method": "*", "kind": "error", "status": 501},
        {"method": "*", "kind": "error", "status": "502"},
        {"method": "*", "kind": "error", "status": True},
        {"method": "*", "kind": "drop", "status": 502},
        {"method": "*", "kind": "error", "duration": 0},
        {"method": "*", "kind": "error", "duration": -5},
        {"method": "*", "kind": "error", "duration": "soon"},
    ):
        with pytest.raises(SandboxError) as error:
            sandbox.add_fault(**spec) if "method" in spec else sandbox.add_fault(None, spec["kind"])
        assert error.value.status == 400
