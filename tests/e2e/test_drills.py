"""`bkctl drill rollback|privacy` against a real `bkctl serve`: each check passes, the evidence
file says so, and the separate drill process's metrics reach the server's /metrics."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import httpx

from tests.e2e.test_bkctl_serve import BKCTL, free_port, server

__all__ = ["server"]  # the fixture, shared with the bkctl serve tests


def drill(name: str, base: str, tmp_path: Path, evidence: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOOKIJI_")}
    env["BOOKIJI_DATABASE_URL"] = f"sqlite:///{tmp_path / 'var' / 'bookiji.db'}"
    command = [BKCTL, "drill", name, "--api", base, "--token", "demo-adm_ops"]
    return subprocess.run(
        [*command, "--out", str(evidence), "--wait", "30"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def scraped(base: str, prefix: str) -> list[str]:
    body = httpx.get(f"{base}/metrics", timeout=5).text
    return [line for line in body.splitlines() if line.startswith(prefix)]


def test_both_drills_pass_against_the_running_service_and_leave_evidence_and_metrics(
    server: tuple[str, subprocess.Popen[str]], tmp_path: Path
) -> None:
    base, _ = server
    evidence = tmp_path / "drills"

    rollback = drill("rollback", base, tmp_path, evidence)
    privacy = drill("privacy", base, tmp_path, evidence)

    assert rollback.returncode == 0, rollback.stdout + rollback.stderr
    assert privacy.returncode == 0, privacy.stdout + privacy.stderr
    (day,) = evidence.glob("*.md")
    text = day.read_text()
    assert "## rollback drill" in text and "## privacy drill" in text
    assert text.count(": PASSED") == 2 and "FAILED" not in text
    for check in ("hold placed at the provider", "release seen at the provider", "audit trail"):
        assert f"| {check} | ok |" in text
    assert "| delete through the queue | ok |" in text
    # Measured by the drill processes, exported by the server with nothing configured.
    assert scraped(base, "bookiji_rollback_duration_seconds_count") == [
        "bookiji_rollback_duration_seconds_count 1.0"
    ]
    drills = scraped(base, "bookiji_drill_last_success_timestamp_seconds{")
    assert len(drills) == 2 and all(float(line.rsplit(" ", 1)[1]) > 0 for line in drills)


def test_a_drill_against_no_service_says_so_and_records_nothing(tmp_path: Path) -> None:
    done = drill("rollback", f"http://127.0.0.1:{free_port()}", tmp_path, tmp_path / "d")
    assert done.returncode == 69  # sysexits' EX_UNAVAILABLE, as every bkctl command
    assert "does not answer" in done.stderr
    assert not (tmp_path / "d").exists()
