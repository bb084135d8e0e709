"""The README stands alone: every link stays inside the repository, and its curl example
works, as pasted, against a real `bkctl serve` on whatever port the settings give it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.test_bkctl_serve import _wait_ready, free_port

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
BKCTL = str(Path(sys.executable).with_name("bkctl"))


def test_every_link_of_the_readme_is_a_file_or_folder_of_the_repository() -> None:
    links = re.findall(r"\]\(([^)\s]+)\)", README.read_text())
    assert links
    for link in links:
        assert not re.match(r"[a-z]+:", link), f"{link} leaves the repository"
        target = (ROOT / link.split("#")[0]).resolve()
        assert target.is_relative_to(ROOT) and target.exists(), link


def curl_example() -> str:
    section = README.read_text().split("## Try it with curl", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block, "the curl section lost its example"
    return block.group(1)


@pytest.mark.slow
def test_the_curl_example_works_on_the_port_bkctl_serve_was_given(tmp_path: Path) -> None:
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    port = str(free_port())
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOOKIJI_")}
    env |= {"BOOKIJI_PORT": port, "BOOKIJI_DATABASE_URL": f"sqlite:///{tmp_path / 'b.db'}"}
    server = subprocess.Popen(
        [BKCTL, "serve"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_ready(f"http://127.0.0.1:{port}", server)
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", curl_example()],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        server.terminate()
        server.wait(30)

    assert result.returncode == 0, result.stdout + result.stderr
    statuses = re.findall(r"^HTTP/\S+ (\d{3})", result.stdout, re.M)
    assert statuses == ["201", "200"], result.stdout
    assert re.search(r"^idempotent-replayed: true", result.stdout, re.M | re.I)
