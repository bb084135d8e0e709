"""docs/library.md's worked example runs as written, prints what the page says, and passes
mypy --strict: the page cannot drift from the library."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "library.md"


def blocks() -> tuple[str, str]:
    """The example (the python block of "A worked quote-and-confirm") and its printed output."""
    section = PAGE.read_text().split("## A worked quote-and-confirm", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    output = re.search(r"It prints:\n\n```text\n(.*?)```", section, re.S)
    assert code and output, "the section lost its example or its output"
    return code.group(1), output.group(1)


def test_the_example_runs_as_written_and_prints_what_the_page_says(tmp_path: Path) -> None:
    code, expected = blocks()
    (tmp_path / "example.py").write_text(code)

    result = subprocess.run(
        [sys.executable, "example.py"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout == expected


@pytest.mark.slow
def test_the_example_passes_mypy_strict(tmp_path: Path) -> None:
    code, _ = blocks()
    (tmp_path / "example.py").write_text(code)
    mypy = Path(sys.executable).with_name("mypy")

    result = subprocess.run(
        [str(mypy), "--strict", "--no-error-summary", str(tmp_path / "example.py")],
        cwd=ROOT,  # the project's mypy cache
        env={**os.environ, "MYPYPATH": str(ROOT / "src")},
        capture_output=True,
        text=True,
        timeout=240,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_the_example_uses_only_the_public_names_the_page_lists() -> None:
    code, _ = blocks()
    modules = set(re.findall(r"^from (\S+) import", code, re.M))
    assert modules <= {
        "random",
        "datetime",
        "bookiji_core",
        "bookiji_core.usecases",
        "bookiji_adapters.maps",
        "bookiji_adapters.memory",
        "bookiji_adapters.simcity",
    }
