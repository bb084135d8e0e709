"""`bkctl ops export DIR` writes the packaged operations files, made the deployment's own."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bookiji_entry.cli import main
from tests.ops.layout import REPO

OPS = REPO / "ops"


def shipped() -> dict[str, str]:
    return {
        p.relative_to(OPS).as_posix(): p.read_text()
        for p in sorted(OPS.rglob("*"))
        if p.is_file() and p.suffix in (".yml", ".json", ".md")
    }


def exported(directory: Path) -> dict[str, str]:
    return {p.relative_to(directory).as_posix(): p.read_text() for p in directory.rglob("*.*")}


def test_export_writes_every_operations_file_as_shipped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ops", "export", str(tmp_path / "ops")]) == 0

    assert exported(tmp_path / "ops") == shipped()
    assert f"wrote {len(shipped())} operations files" in capsys.readouterr().out


def test_export_sets_the_runbook_base_url_and_env_and_promtool_accepts_the_result(
    tmp_path: Path, promtool: str
) -> None:
    base = "https://git.example.org/bookiji/blob/v0.1.0/ops/runbooks"
    args = ["ops", "export", str(tmp_path), "--runbook-base-url", base + "/", "--env", "staging"]
    assert main(args) == 0

    config = (tmp_path / "prometheus" / "prometheus.yml").read_text()
    assert f'runbook_base_url: "{base}"' in config and 'env: "staging"' in config
    assert exported(tmp_path)["prometheus/alerts.yml"] == shipped()["prometheus/alerts.yml"]
    checked = subprocess.run(
        [promtool, "check", "config", str(tmp_path / "prometheus" / "prometheus.yml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--runbook-base-url", "runbooks/"], "must be an http:// or https:// URL"),
        (["--env", "prod uction"], "--env must be"),
    ],
)
def test_export_refuses_bad_settings_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    assert main(["ops", "export", str(tmp_path / "out"), *extra]) == 1

    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_export_refuses_a_directory_that_is_not_empty(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "notes.txt").write_text("mine")

    assert main(["ops", "export", str(tmp_path)]) == 1
    assert "is not empty (pass --force to overwrite)" in capsys.readouterr().err
    assert main(["ops", "export", str(tmp_path), "--force"]) == 0
    assert (tmp_path / "notes.txt").read_text() == "mine"
