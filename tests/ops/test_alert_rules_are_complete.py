"""Every alert is actionable: severity, annotations, a runbook that exists, and a unit test."""

from __future__ import annotations

import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.ops.layout import REPO, promtool_test_files, rule_files

RUNBOOKS = REPO / "ops" / "runbooks"
# runbook_url is absolute: the published runbooks' base (the `runbook_base_url` external label
# of the Prometheus configuration, docs/metrics.md) + the runbook's file name.
RUNBOOK_URL = re.compile(
    r"\{\{ \$externalLabels\.runbook_base_url \}\}/([a-z0-9-]+\.md)(#[a-z0-9-]+)?"
)

# The seed's alerts (shared/seed/operational_readiness.md) and the SLO burn-rate alerts:
# name -> (severity, for). A change here is a change to what wakes people up.
EXPECTED_ALERTS = {
    "BookijiLatencyP99Above1s": ("page", "10m"),
    "BookijiLatencyP95Above500ms": ("ticket", "1h"),
    "BookijiOutboxDLQNotEmpty": ("page", "5m"),
    "BookijiDoubleCharge": ("page", "0m"),
    "BookijiNotificationDLQNotEmpty": ("ticket", "15m"),
    "BookijiPrivacyRequestP95Above60s": ("page", "5m"),
    "BookijiPrivacyQueueOldestAbove60s": ("page", "2m"),
    "BookijiDrillOverdue": ("ticket", "1h"),
    "BookijiAccessLogWriteErrors": ("ticket", "15m"),
    "BookijiErrorBudgetFastBurn": ("page", "2m"),
    "BookijiErrorBudgetMediumBurn": ("page", "15m"),
    "BookijiErrorBudgetSlowBurn": ("ticket", "1h"),
    "BookijiErrorBudgetSteadyBurn": ("ticket", "3h"),
    "BookijiHistoryChainBroken": ("page", "0m"),
    "BookijiHistoryChainShrank": ("page", "0m"),
}


def alerts(yaml: ModuleType) -> dict[str, dict[str, Any]]:
    found = {}
    for path in rule_files():
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                if "alert" in rule:
                    found[rule["alert"]] = rule
    return found


def alert_checks(yaml: ModuleType) -> dict[str, list[list[Any]]]:
    """alert name -> the exp_alerts lists its promtool unit tests expect."""
    checks: dict[str, list[list[Any]]] = {}
    for path in promtool_test_files():
        for case in yaml.safe_load(path.read_text())["tests"]:
            for check in case.get("alert_rule_test", []):
                checks.setdefault(check["alertname"], []).append(check.get("exp_alerts") or [])
    return checks


def test_the_alerts_are_the_seeds_with_their_severity_and_duration(yaml: ModuleType) -> None:
    found = {
        name: (rule["labels"]["severity"], rule.get("for", "0m"))
        for name, rule in alerts(yaml).items()
    }
    assert found == EXPECTED_ALERTS


def test_every_alert_has_a_summary_a_description_and_a_runbook_url(yaml: ModuleType) -> None:
    for name, rule in alerts(yaml).items():
        annotations = rule.get("annotations", {})
        for key in ("summary", "description", "runbook_url"):
            assert annotations.get(key, "").strip(), f"{name} has no {key}"


def runbook(url: str) -> Path:
    """The runbook a runbook_url template links to; AssertionError if it is not one."""
    found = RUNBOOK_URL.fullmatch(url)
    assert found, f"{url!r} is not the runbook base URL + a runbook's file name"
    return RUNBOOKS / found.group(1)


def test_every_runbook_url_is_the_base_url_and_a_runbook_in_the_repository(
    yaml: ModuleType,
) -> None:
    for name, rule in alerts(yaml).items():
        url = rule["annotations"]["runbook_url"]
        assert runbook(url).is_file(), f"{name}: {url}"


def test_every_unit_test_renders_an_absolute_runbook_url(yaml: ModuleType) -> None:
    for path in promtool_test_files():
        for case in yaml.safe_load(path.read_text())["tests"]:
            base = case.get("external_labels", {}).get("runbook_base_url", "")
            assert base.startswith("https://"), f"{path.name}: {case['name']} has no base URL"
            for check in case.get("alert_rule_test", []):
                for alert in check.get("exp_alerts") or []:
                    url = alert["exp_annotations"]["runbook_url"]
                    assert url.startswith(base + "/") and url.endswith(".md"), url


@pytest.mark.parametrize(
    "section",
    ["Symptoms", "First 5 minutes", "Diagnosis", "Mitigation", "Verification", "Escalation"],
)
def test_every_alert_runbook_has_the_sections_on_call_needs(yaml: ModuleType, section: str) -> None:
    for url in {rule["annotations"]["runbook_url"] for rule in alerts(yaml).values()}:
        headings = re.findall(r"^## (.+)$", runbook(url).read_text(), flags=re.MULTILINE)
        assert any(h.startswith(section) for h in headings), f"{url} has no '## {section}'"


def test_every_runbook_is_listed_in_the_runbook_index() -> None:
    index = (RUNBOOKS / "README.md").read_text()
    for path in RUNBOOKS.glob("*.md"):
        if path.name != "README.md":
            assert f"({path.name})" in index, f"{path.name} is not linked from the index"


def test_every_alert_has_unit_tests_showing_it_firing_and_staying_silent(
    yaml: ModuleType,
) -> None:
    checks = alert_checks(yaml)
    for name in alerts(yaml):
        expectations = checks.get(name, [])
        assert any(expectations), f"no promtool test shows {name} firing"
        assert any(not e for e in expectations), f"no promtool test shows {name} silent"


def test_unit_tests_expect_the_severity_the_rule_gives(yaml: ModuleType) -> None:
    rules = alerts(yaml)
    for name, expectations in alert_checks(yaml).items():
        assert name in rules, f"a promtool test checks {name}, which is not an alert"
        for expected in expectations:
            for alert in expected:
                assert alert["exp_labels"]["severity"] == rules[name]["labels"]["severity"]
