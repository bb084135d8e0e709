"""The privacy request queue: bkctl privacy request|queue|fetch and bkctl worker privacy, the
serving order, the backlog metrics, and what a deletion does to a kept export."""

from __future__ import annotations

import json
import stat
from datetime import timedelta
from pathlib import Path

import pytest

from bookiji_adapters.memory import ManualClock
from bookiji_entry.bootstrap import Services
from bookiji_entry.cli import main
from tests.e2e.conftest import CUSTOMER


def run(capsys: pytest.CaptureFixture[str], services: Services, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv), services=services)
    out, err = capsys.readouterr()
    return status, out, err


def queued(capsys: pytest.CaptureFixture[str], services: Services, *argv: str) -> str:
    status, out, err = run(capsys, services, "privacy", "request", *argv, "--json")
    assert status == 0, err
    request_id: str = json.loads(out)["id"]
    return request_id


def metric(services: Services, line_start: str) -> float:
    body, _ = services.telemetry.exposition()  # type: ignore[attr-defined]
    lines = [ln for ln in body.decode().splitlines() if ln.startswith(line_start)]
    assert lines, f"no {line_start} in the scrape"
    return float(lines[0].rsplit(" ", 1)[1])


def test_the_backlog_is_served_by_priority_then_age_and_its_age_is_a_metric(
    capsys: pytest.CaptureFixture[str], services: Services, clock: ManualClock, tmp_path: Path
) -> None:
    bulk = queued(capsys, services, "export", "--subject", "cus_01", "--priority", "bulk")
    clock.advance(timedelta(seconds=10))
    normal = queued(capsys, services, "delete", "--subject", "cus_02", "--reason", "PRIV-9")
    clock.advance(timedelta(seconds=10))
    urgent = queued(capsys, services, "export", "--subject", "cus_03", "--priority", "urgent")
    clock.advance(timedelta(seconds=5))

    status, out, _ = run(capsys, services, "privacy", "queue", "--json")
    backlog = json.loads(out)
    assert status == 0
    assert [r["id"] for r in backlog["requests"]] == [urgent, normal, bulk]
    assert (backlog["open"], backlog["by_kind"]) == (3, {"export": 2, "delete": 1})
    assert backlog["oldest_age_seconds"] == 25.0
    assert [r["age_seconds"] for r in backlog["requests"]] == [5.0, 15.0, 25.0]
    # The metric ages by the wall clock (it is read at scrape time): at least the stored age.
    assert metric(services, 'bookiji_privacy_queue_requests{kind="export"}') == 2
    assert metric(services, 'bookiji_privacy_queue_oldest_age_seconds{kind="export"}') > 0

    # The deletion took effect at once: the person can no longer sign in.
    with services.uow() as uow:
        assert uow.privacy.tombstone("cus_02") is not None

    status, out, _ = run(capsys, services, "worker", "privacy", "--once")
    assert status == 0
    assert "@example.com" not in out  # an export's result is personal: never printed
    served = [line for line in out.splitlines() if line.startswith("privacy:")]
    assert served and served[0].index(urgent) < served[0].index(normal) < served[0].index(bulk)

    status, out, _ = run(capsys, services, "privacy", "queue")
    assert out.startswith("0 open (0 export, 0 delete); oldest 0 s")
    with services.uow() as uow:
        tombstone = uow.privacy.tombstone("cus_02")
        assert tombstone is not None and not tombstone.pending
    count = 'bookiji_privacy_request_duration_seconds_count{kind="export"}'
    assert metric(services, count) == 2

    out_file = tmp_path / "export.json"
    status, out, _ = run(
        capsys, services, "privacy", "fetch", "--request", urgent, "--out", str(out_file)
    )
    assert status == 0, out
    assert stat.S_IMODE(out_file.stat().st_mode) == 0o600
    assert json.loads(out_file.read_text())["subject"]["id"] == "cus_03"


def test_asking_twice_returns_the_open_request_at_the_higher_priority(
    capsys: pytest.CaptureFixture[str], services: Services
) -> None:
    first = queued(capsys, services, "export", "--subject", "cus_01", "--priority", "bulk")
    again = queued(capsys, services, "export", "--subject", "cus_01", "--priority", "urgent")

    assert again == first
    _, out, _ = run(capsys, services, "privacy", "queue", "--json")
    assert [(r["id"], r["priority"]) for r in json.loads(out)["requests"]] == [(first, "urgent")]


def test_a_kept_export_is_erased_when_its_subject_is_deleted(
    capsys: pytest.CaptureFixture[str], services: Services, tmp_path: Path
) -> None:
    export = queued(capsys, services, "export", "--subject", "cus_04")
    run(capsys, services, "worker", "privacy", "--once")
    queued(capsys, services, "delete", "--subject", "cus_04", "--reason", "PRIV-10")
    run(capsys, services, "worker", "privacy", "--once")

    status, _, _ = run(
        capsys, services, "privacy", "fetch", "--request", export, "--out", str(tmp_path / "x")
    )
    text = (tmp_path / "x").read_text()
    assert status == 0 and text.strip() == "[erased]"


def test_bad_requests_are_refused_and_change_nothing(
    capsys: pytest.CaptureFixture[str], services: Services, tmp_path: Path
) -> None:
    status, _, err = run(capsys, services, "privacy", "request", "export", "--subject", "cus_nope")
    assert status != 0 and "not_found" in err
    status, _, err = run(capsys, services, "worker", "privacy", "--concurrency", "0")
    assert status == 2 and "--concurrency" in err
    status, _, err = run(
        capsys, services, "privacy", "fetch", "--request", "prq_nope", "--out", str(tmp_path / "y")
    )
    assert status != 0 and "no privacy request" in err
    _, out, _ = run(capsys, services, "privacy", "queue", "--json")
    assert json.loads(out)["open"] == 0


def test_a_deletion_asked_over_http_is_in_the_queue_and_served_by_the_privacy_worker(
    capsys: pytest.CaptureFixture[str], services: Services
) -> None:
    from starlette.testclient import TestClient

    from bookiji_entry.app import create_app

    with TestClient(create_app(services)) as client:
        answer = client.post(
            "/api/privacy/subjects/cus_01/delete",
            headers={"Authorization": f"Bearer {CUSTOMER}"},
            json={},
        )
    assert answer.status_code == 202, answer.text
    _, out, _ = run(capsys, services, "privacy", "queue", "--json")
    [request] = json.loads(out)["requests"]
    assert (request["kind"], request["subject_id"], request["priority"]) == (
        "delete",
        "cus_01",
        "normal",
    )
    run(capsys, services, "worker", "privacy", "--once")
    _, out, _ = run(capsys, services, "privacy", "queue", "--json")
    assert json.loads(out)["open"] == 0
