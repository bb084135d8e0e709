"""tests_manifest.yml tells the truth: every entry names a test that exists and runs through
SimCity, every SimCity test is listed, and a pending entry stops being pending the day its
feature lands."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bookiji_simcity.scenarios import SCENARIOS

from .conftest import ROOT, manifest

DOMAIN_E2ES = {
    "E2E_HAPPY",
    "E2E_CANCEL",
    "E2E_ROLLBACK_TIMEOUT",
    "E2E_SLOW_CONFIRM_AUTOCANCEL",
    "E2E_WEBHOOK_REDELIVERY",
    "E2E_PRIVACY_EXPORT_DELETE",
}
ISSUE_SCENARIOS = {
    "SLOW_CONFIRM",
    "TIMEOUT",
    "FLAKY_WEBHOOK",
    "GATEWAY_502",
    "DOUBLE_BOOKING_RACE",
    "CANCEL_REBOOK_RACE",
    "PSP_TIMEOUT_AFTER_SUCCESS",
    "RELAY_CRASH",
    "DLQ_GROWTH",
}
HTTP_FLOWS = {"PRIVACY"}  # flows run over HTTP through the simcity app, not by the runner
KNOWN_CHECKS = {
    "access_logs_present",
    "all_invariants",
    "auto_cancel_at_t",
    "auto_cancel_noop",
    "delete_under_60s",
    "dlq_bounded",
    "dlq_drained",
    "exactly_once",
    "export_under_60s",
    "full_audit",
    "hold_released",
    "idempotent_skips",
    "late_confirm_refused",
    "latency_slo",
    "lease_takeover",
    "notification_retries",
    "logins_revoked",
    "no_double_booking",
    "no_double_charge",
    "one_active_booking",
    "one_booking",
    "reconcile_clean",
    "refund_processed",
    "retries_after_1_2_4_s",
    "rollback_effective",
    "single_receipt",
    "slot_taken_refusals",
    "vendors_confirmed",
    "vendors_told",
    "webhooks_over_http",
}
REQUIRED = {"id", "scenario", "flow", "seeds", "checks", "runbook", "test", "status"}


def collected_simcity_tests(tmp_path: Path) -> set[str]:
    """The ids of the tests pytest collects with the `simcity` marker (parameters dropped).
    Collection itself refuses a marked test that takes no SimCity fixture (conftest.py)."""
    inventory = tmp_path / "simcity-tests.json"
    env = {**os.environ, "BOOKIJI_SIMCITY_INVENTORY": str(inventory)}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         "tests/simcity"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return {node.split("[", 1)[0] for node in json.loads(inventory.read_text())}


def problems(document: dict[str, Any], simcity_tests: set[str]) -> list[str]:
    found: list[str] = []
    entries = document.get("entries", [])
    ids = [e.get("id") for e in entries]
    found += [f"duplicate id {i}" for i in sorted({i for i in ids if ids.count(i) > 1})]
    found += [f"missing entry {i}" for i in sorted(DOMAIN_E2ES - set(ids))]
    covered = {e.get("scenario") for e in entries if e.get("status") == "active"}
    found += [f"no active entry runs scenario {s}" for s in sorted(ISSUE_SCENARIOS - covered)]
    for e in entries:
        found += _entry_problems(e, simcity_tests)
    listed = {e.get("test") for e in entries}
    found += [f"SimCity test {t} is not in the manifest" for t in sorted(simcity_tests - listed)]
    return found


def _entry_problems(e: dict[str, Any], simcity_tests: set[str]) -> list[str]:
    name = e.get("id", "?")
    missing = REQUIRED - set(e)
    if missing:
        return [f"{name}: missing {', '.join(sorted(missing))}"]
    found = []
    if e["scenario"] not in SCENARIOS and e["scenario"] not in HTTP_FLOWS:
        found.append(f"{name}: unknown scenario {e['scenario']}")
    if not (ROOT / e["runbook"]).is_file() or not e["runbook"].startswith("ops/runbooks/"):
        found.append(f"{name}: runbook {e['runbook']} is not a file under ops/runbooks/")
    unknown_checks = set(e["checks"]) - KNOWN_CHECKS
    if unknown_checks or not e["checks"]:
        found.append(f"{name}: unknown or no checks {sorted(unknown_checks)}")
    if not e["seeds"]:
        found.append(f"{name}: no seeds")
    if e["status"] == "pending":
        found += _pending_problems(name, e.get("pending_on") or {})
    elif e["status"] != "active":
        found.append(f"{name}: status must be active or pending, not {e['status']}")
    elif e["test"] not in simcity_tests:
        found.append(
            f"{name}: {e['test']} does not exist or is not a SimCity test "
            "(marked simcity, taking simcity_run or simcity_http)"
        )
    return found


def _pending_problems(name: str, pending: dict[str, str]) -> list[str]:
    if not pending.get("feature") or not pending.get("probe"):
        return [f"{name}: a pending entry names pending_on.feature and pending_on.probe"]
    if _importable(pending["probe"]):
        return [
            f"{name}: {pending['feature']} has landed ({pending['probe']} is importable): "
            "write its SimCity test and make the entry active"
        ]
    return []


def _importable(probe: str) -> bool:
    module, _, attribute = probe.partition(":")
    try:
        loaded = importlib.import_module(module)
    except ImportError:
        return False
    return not attribute or hasattr(loaded, attribute)


@pytest.fixture(scope="module")
def simcity_tests(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    return collected_simcity_tests(tmp_path_factory.mktemp("inventory"))


def test_the_manifest_and_the_simcity_tests_agree(simcity_tests: set[str]) -> None:
    assert problems(manifest(), simcity_tests) == []


def test_the_manifest_lists_the_six_domain_e2es_and_every_scenario() -> None:
    entries = manifest()["entries"]
    assert {e["id"] for e in entries} >= DOMAIN_E2ES
    assert {e["scenario"] for e in entries} >= ISSUE_SCENARIOS


def test_an_entry_naming_a_missing_or_unmarked_test_is_reported(simcity_tests: set[str]) -> None:
    document = manifest()
    ghost = {**document["entries"][0], "test": "tests/simcity/test_e2e_http.py::test_nothing"}
    unmarked = {**document["entries"][0], "test": "tests/simcity/test_manifest.py::test_x"}
    found = problems({"entries": [*document["entries"], ghost, unmarked]}, simcity_tests)

    assert any("test_nothing does not exist" in p for p in found), found
    assert any("test_x does not exist or is not a SimCity test" in p for p in found), found


def test_a_simcity_test_missing_from_the_manifest_is_reported(simcity_tests: set[str]) -> None:
    found = problems(manifest(), {*simcity_tests, "tests/simcity/test_new.py::test_unlisted"})

    assert found == ["SimCity test tests/simcity/test_new.py::test_unlisted is not in the manifest"]


def test_a_pending_entry_fails_once_its_feature_is_importable(simcity_tests: set[str]) -> None:
    document = manifest()
    landed = {
        **document["entries"][0],
        "id": "E2E_SOMETHING",
        "status": "pending",
        "pending_on": {"feature": "JSON", "probe": "json:dumps"},
    }
    not_yet = {**landed, "id": "E2E_LATER", "pending_on": {"feature": "x", "probe": "nope:f"}}
    found = problems({"entries": [*document["entries"], landed, not_yet]}, simcity_tests)

    assert [p for p in found if "E2E_" in p and "has landed" in p] == [
        "E2E_SOMETHING: JSON has landed (json:dumps is importable): write its SimCity test "
        "and make the entry active"
    ]
