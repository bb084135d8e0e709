"""bkctl privacy export|delete|status and bkctl worker shredder, as a privacy officer uses them."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from bookiji_entry.bootstrap import Services
from bookiji_entry.cli import main

SUBJECT = "cus_02"


def run(capsys: pytest.CaptureFixture[str], services: Services, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv), services=services)
    out, err = capsys.readouterr()
    return status, out, err


def logged(services: Services, subject: str = SUBJECT) -> list[tuple[str, str]]:
    with services.uow() as uow:
        return [(e.purpose, e.actor_id) for e in uow.access_log.for_subject(subject)]


def test_an_export_to_a_file_is_readable_by_the_officer_only_and_access_logged(
    capsys: pytest.CaptureFixture[str], services: Services, tmp_path: Path
) -> None:
    out = tmp_path / "export.json"

    status, text, _ = run(
        capsys, services, "privacy", "export", "--subject", SUBJECT, "--out", str(out),
        "--as", "dana",
    )  # fmt: skip

    assert status == 0
    assert f"exported {SUBJECT} (customer) to {out}" in text
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    export = json.loads(out.read_text())
    assert (export["subject"]["id"], export["exported_by"]) == (SUBJECT, "cli:dana")
    assert logged(services) == [("privacy.export", "cli:dana")]


def test_an_export_without_a_file_goes_to_stdout_as_json(
    capsys: pytest.CaptureFixture[str], services: Services
) -> None:
    status, text, _ = run(capsys, services, "privacy", "export", "--subject", SUBJECT)

    assert status == 0
    assert json.loads(text)["format"] == "bookiji.privacy.export/1"


def test_delete_then_the_shredder_worker_then_status_shows_it_shredded(
    capsys: pytest.CaptureFixture[str], services: Services
) -> None:
    status, text, _ = run(
        capsys, services, "privacy", "delete", "--subject", SUBJECT, "--reason", "PRIV-7",
        "--as", "dana",
    )  # fmt: skip
    assert status == 0
    assert "deletion pending" in text and "PRIV-7" in text

    status, text, _ = run(capsys, services, "privacy", "status")
    assert status == 0 and text.startswith(f"{SUBJECT} (customer): pending for 0 s")

    status, text, _ = run(capsys, services, "worker", "shredder", "--once")
    assert status == 0 and SUBJECT in text

    status, text, _ = run(capsys, services, "privacy", "status", "--subject", SUBJECT, "--json")
    assert status == 0
    deletion = json.loads(text)["deletion"]
    assert (deletion["state"], deletion["requested_by"]) == ("shredded", "cli:dana")
    assert logged(services) == [
        ("privacy.delete", "cli:dana"),
        ("privacy.delete", "system:shredder"),
    ]
    assert run(capsys, services, "privacy", "status")[1] == "no deletions pending\n"


def test_deleting_someone_who_does_not_exist_exits_4(
    capsys: pytest.CaptureFixture[str], services: Services
) -> None:
    status, _, err = run(
        capsys, services, "privacy", "delete", "--subject", "nobody", "--reason", "x"
    )

    assert status == 4
    assert "not_found" in err


def test_waiting_for_a_shredder_that_is_not_running_says_so(
    capsys: pytest.CaptureFixture[str], services: Services
) -> None:
    status, _, err = run(
        capsys, services, "privacy", "delete", "--subject", SUBJECT, "--reason", "x",
        "--wait", "0.3",
    )  # fmt: skip

    assert status == 1
    assert "is a shredder running?" in err


def test_an_unknown_worker_is_refused_with_the_list_of_workers(
    capsys: pytest.CaptureFixture[str], services: Services
) -> None:
    status, _, err = run(capsys, services, "worker", "shreder")

    assert status == 2
    assert "shredder" in err and "auto-cancel" in err
