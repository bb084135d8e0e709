"""Every `bkctl ...` command a runbook or doc tells an on-call engineer to type exists."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from bookiji_entry.bootstrap import bootstrap
from bookiji_entry.bootstrap import loops as all_loops
from bookiji_entry.cli import build_parser
from bookiji_entry.settings import MEMORY_URL, Profile, Settings

ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted([*ROOT.glob("ops/**/*.md"), *ROOT.glob("docs/**/*.md"), ROOT / "README.md"])
# A command as typed: in a code span, or first on a line of a code block (not prose such as
# "bkctl exit codes").
COMMAND = re.compile(r"(?:^|`|\$ )[ \t]*(?:\.venv/bin/)?bkctl((?: [a-z][a-z-]*)+)", re.MULTILINE)


def _tree(parser: argparse.ArgumentParser) -> dict[str, object]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return {name: _tree(sub) for name, sub in action.choices.items()}
    return {}


def mentioned() -> list[tuple[str, tuple[str, ...]]]:
    found = set()
    for doc in DOCS:
        for match in COMMAND.finditer(doc.read_text(encoding="utf-8")):
            found.add((doc.relative_to(ROOT).as_posix(), tuple(match.group(1).split())))
    return sorted(found)


@pytest.mark.parametrize(
    ("doc", "words"), mentioned(), ids=lambda v: " ".join(v) if isinstance(v, tuple) else v
)
def test_a_documented_bkctl_command_exists(doc: str, words: tuple[str, ...]) -> None:
    tree = _tree(build_parser())
    node = tree
    for i, word in enumerate(words):
        if not node:  # past the subcommands: the rest is arguments
            break
        assert word in node, f"{doc}: `bkctl {' '.join(words[: i + 1])}` is not a command"
        node = node[word]  # type: ignore[assignment]


def test_every_documented_worker_is_a_real_loop() -> None:
    services = bootstrap(Settings(profile=Profile.TEST, database_url=MEMORY_URL))
    loops = {loop.name for loop in all_loops(services)} | {"all", "status"}
    workers = {words[1] for _, words in mentioned() if words[0] == "worker" and len(words) > 1}
    assert workers <= loops, f"documented workers that do not exist: {workers - loops}"
