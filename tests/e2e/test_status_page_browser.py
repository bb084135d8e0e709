"""The /status page in a real headless browser (Debian's `chromium`): the banner raised with
bkctl on the running service is what a person sees. Skipped where chromium is missing, except
under CI=true (.ci/run installs it)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.e2e.test_bkctl_serve import BKCTL, server

__all__ = ["server"]
NOTICE = "Vendors are slow to confirm; unconfirmed bookings are cancelled and released."
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is missing: .ci/run installs the Debian package")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return found


def browse(url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        return subprocess.run(
            [chromium(), *FLAGS, f"--user-data-dir={profile}", *extra, url],
            capture_output=True, text=True, timeout=90, check=False,
        )  # fmt: skip


def test_the_raised_banner_shows_on_the_status_page_in_chromium(
    server: tuple[str, subprocess.Popen[str]], tmp_path: Path
) -> None:
    base, _ = server
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOOKIJI_")}
    env["BOOKIJI_DATABASE_URL"] = f"sqlite:///{tmp_path / 'var' / 'bookiji.db'}"
    raised = subprocess.run(
        [BKCTL, "flags", "set", "ops.sla_banner", "on", "--reason", "test", "--message", NOTICE],
        env=env, cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert raised.returncode == 0, raised.stderr

    dom = browse(f"{base}/status", "--dump-dom")
    shot = tmp_path / "status.png"
    picture = browse(f"{base}/status", "--window-size=1000,900", f"--screenshot={shot}")

    assert dom.returncode == 0, dom.stderr[-2000:]
    assert '<div class="banner" role="alert"><strong>Notice:</strong> ' + NOTICE in dom.stdout
    assert 'id="slos"' in dom.stdout and "Payment dead-letter queue: 0 message(s)" in dom.stdout
    assert picture.returncode == 0, picture.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
