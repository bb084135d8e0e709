"""bkctl rollback and bkctl flags: the operator's commands of the runbooks."""

from __future__ import annotations

import json

import pytest

from bookiji_entry.bootstrap import Services

from .test_bkctl_commands import book_args, quote_args, run


def booked(services: Services, capsys: pytest.CaptureFixture[str]) -> str:
    _, out, _ = run(capsys, services, *quote_args("--json"))
    quoted = json.loads(out)
    provider = quoted["candidates"][0]["provider_id"]
    _, out, _ = run(capsys, services, *book_args(quoted["quote_id"], provider, "k-rb", "--json"))
    booking_id: str = json.loads(out)["booking_id"]
    return booking_id


def test_rollback_cancels_the_booking_and_queues_the_release(
    services: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    booking_id = booked(services, capsys)
    status, out, _ = run(
        capsys, services, "rollback", "--booking", booking_id, "--wait", "0", "--json"
    )
    assert status == 0
    report = json.loads(out)
    assert report["booking"]["state"] == "cancelled"
    assert [m["action"] for m in report["payment_messages"]] == ["release"]

    status, out, _ = run(capsys, services, "rollback", "--booking", booking_id, "--wait", "0")
    assert status == 0
    assert "nothing to undo" in out


def test_rollback_of_an_unknown_booking_exits_4(
    services: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = run(capsys, services, "rollback", "--booking", "bk_missing", "--wait", "0")
    assert status == 4
    assert "booking_not_found" in err


def test_rollback_waits_and_says_so_when_no_relay_carries_the_release(
    services: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    booking_id = booked(services, capsys)
    status, _, err = run(capsys, services, "rollback", "--booking", booking_id, "--wait", "0.3")
    assert status == 1
    assert "is a relay running?" in err


def test_flags_list_shows_the_seed_defaults(
    services: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(capsys, services, "flags", "list", "--json")
    assert status == 0
    values = {f["name"]: f["on"] for f in json.loads(out)["flags"]}
    assert values["payments.outbox"] is True
    assert values["beta.public_directory"] is False
    assert values["ops.force_cancel"] is True


def test_switching_payments_outbox_off_is_refused_and_changes_nothing(
    services: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = run(
        capsys, services, "flags", "set", "payments.outbox", "off", "--reason", "try"
    )
    assert status == 5
    assert "flag_locked" in err
    _, out, _ = run(capsys, services, "flags", "list", "--json")
    assert {f["name"]: f["on"] for f in json.loads(out)["flags"]}["payments.outbox"] is True


def test_a_flag_change_is_kept_with_who_and_why_and_can_be_reverted(
    services: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(
        capsys, services, "flags", "set", "ops.force_cancel", "off", "--reason", "freeze",
        "--as", "alice", "--json",
    )  # fmt: skip
    assert status == 0
    changed = json.loads(out)
    assert (changed["on"], changed["changed_by"]) == (False, "cli:alice")
    assert changed["reason"] == "freeze"
    booking_id = booked(services, capsys)
    status, _, err = run(capsys, services, "rollback", "--booking", booking_id, "--wait", "0")
    assert status == 3 and "feature_disabled" in err
    status, out, _ = run(capsys, services, "flags", "revert-last", "--reason", "thaw", "--json")
    assert status == 0 and json.loads(out)["on"] is True


def test_an_unknown_flag_is_a_clear_refusal(
    services: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = run(capsys, services, "flags", "set", "nope", "on", "--reason", "x")
    assert status == 2
    assert "unknown flag" in err


def test_rollback_waits_for_the_relay_and_reports_the_settled_payment(
    services: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    import threading

    from bookiji_entry.bootstrap import inject
    from bookiji_entry.workers.outbox import relay_for, tick

    booking_id = booked(services, capsys)
    relay = inject(relay_for, services, owner="test-relay")
    tick(relay)  # the hold is placed
    stop = threading.Event()

    def keep_relaying() -> None:
        while not stop.wait(0.05):
            tick(relay)

    worker = threading.Thread(target=keep_relaying, daemon=True)
    worker.start()
    try:
        status, out, _ = run(
            capsys, services, "rollback", "--booking", booking_id, "--wait", "10", "--json"
        )
    finally:
        stop.set()
        worker.join(5)
    assert status == 0
    report = json.loads(out)
    assert [m["state"] for m in report["payment_messages"]] == ["committed"]
    assert report["booking"]["payment_status"] == "released"
