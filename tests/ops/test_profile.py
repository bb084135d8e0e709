"""`bkctl profile` writes a flame graph of a running Python process with py-spy (the ops
extra, in the test install); bad input is refused before anything runs."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bookiji_entry.cli import main
from bookiji_entry.cli.profile import py_spy

BUSY = "import time\ndef spin():\n    while True:\n        sum(range(1000))\nspin()\n"


@pytest.fixture
def busy_process() -> Iterator[int]:
    process = subprocess.Popen([sys.executable, "-c", BUSY])
    try:
        yield process.pid
    finally:
        process.kill()
        process.wait()


def test_it_writes_a_flame_graph_of_a_running_process(
    busy_process: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if py_spy() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("py-spy is missing: the test install must include the ops extra")
        pytest.skip("py-spy is not installed (pip install '.[ops]')")
    out = tmp_path / "flame.svg"

    status = main(["profile", "--pid", str(busy_process), "--seconds", "1", "--out", str(out)])

    printed = capsys.readouterr()
    assert status == 0, printed.err
    svg = out.read_text()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "spin" in svg  # the busy function's frames are in the graph
    assert f"wrote {out}" in printed.out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--pid", "1", "--seconds", "0"], "--seconds must be"),
        (["--pid", "1", "--seconds", "601"], "--seconds must be"),
        (["--pid", "99999999"], "no process 99999999"),
        (["--pid", "1", "--rate", "0"], "--rate must be"),
    ],
)
def test_bad_input_is_refused(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["profile", *argv]) == 2
    assert message in capsys.readouterr().err
