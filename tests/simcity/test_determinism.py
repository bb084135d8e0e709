"""A seed is a complete bug report: the same seed gives the same event log and verdict, in
another process, under another hash seed, on SQLite as in memory; a failure prints the
command that replays it; fuzz reports failures by seed with a progress bar on stderr."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bookiji_adapters.memory import outbox as memory_outbox
from bookiji_entry.cli import main
from bookiji_simcity.scenarios import SCENARIOS

from .conftest import RunScenario

BKCTL = str(Path(sys.executable).with_name("bkctl"))


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_the_same_seed_gives_the_same_log_and_verdict(
    simcity_run: RunScenario, scenario: str
) -> None:
    first, first_log = simcity_run(scenario, 11)
    again, again_log = simcity_run(scenario, 11)

    assert again_log.lines == first_log.lines
    assert (again.sha256, again.ok, again.violations) == (first.sha256, first.ok, first.violations)


def test_other_seeds_give_other_runs(simcity_run: RunScenario) -> None:
    hashes = {simcity_run("FUZZ", seed)[0].sha256 for seed in range(1, 21)}

    assert len(hashes) == 20


@pytest.mark.parametrize("scenario", ["GATEWAY_502", "CANCEL_REBOOK_RACE", "RELAY_CRASH"])
def test_sqlite_storage_replays_the_memory_run_exactly(
    simcity_run: RunScenario, scenario: str
) -> None:
    memory, _ = simcity_run(scenario, 3)
    sqlite, log = simcity_run(scenario, 3, storage="sqlite")

    assert sqlite.sha256 == memory.sha256, "\n".join(log.lines)


def test_another_process_with_another_hash_seed_prints_the_same_hash(
    simcity_run: RunScenario,
) -> None:
    here, _ = simcity_run("FUZZ", 42)
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    done = subprocess.run(
        [BKCTL, "simcity", "run", "--scenario", "FUZZ", "--seed", "42", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )

    shown = json.loads(done.stdout)
    assert (shown["sha256"], shown["ok"]) == (here.sha256, here.ok)
    assert done.returncode == (0 if here.ok else 1)


@pytest.fixture
def dedupe_disabled(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(memory_outbox.InMemoryWebhookInbox, "get", lambda self, event_id: None)
    monkeypatch.setattr(memory_outbox.InMemoryWebhookInbox, "add", lambda self, event: True)
    yield


def test_a_failing_run_prints_its_violations_and_the_command_that_replays_it(
    dedupe_disabled: None, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["simcity", "run", "--scenario", "flaky_webhook", "--seed", "1"])
    out = capsys.readouterr().out

    assert status == 1
    assert out.startswith("FAIL FLAKY_WEBHOOK seed=1 ")
    assert "was applied twice: de-duplication failed" in out
    assert "replay: bkctl simcity run --scenario FLAKY_WEBHOOK --seed 1 --log" in out


def test_fuzz_reports_failures_by_seed_with_a_progress_bar_on_stderr(
    dedupe_disabled: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)  # the bar is for a terminal
    status = main(["simcity", "fuzz", "--seeds", "40", "--start", "1"])
    out, err = capsys.readouterr()

    assert status == 1
    assert "40 seeds (1..40) of FUZZ" in out
    assert "replay: bkctl simcity run --scenario FUZZ --seed " in out
    assert "[##############################] 40/40 seeds" in err
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)  # a pipe or a log file
    main(["simcity", "fuzz", "--seeds", "2", "--start", "1"])
    assert "\r" not in capsys.readouterr().err


def test_an_unknown_scenario_is_refused_with_the_list_command(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["simcity", "run", "--scenario", "NOPE", "--seed", "1"]) == 2
    assert "bkctl simcity scenarios" in capsys.readouterr().err
