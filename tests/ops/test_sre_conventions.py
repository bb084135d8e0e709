"""The labels operators select by: recording rules keep job, instance and env; the example
Prometheus configuration sets env and the runbook base URL; the dashboard filters by both."""

from __future__ import annotations

import json
import re
from types import ModuleType

from tests.ops.layout import DASHBOARD, METRICS_DOC, PROMETHEUS_DIR

KEPT = {"job", "instance", "env"}
SERIES = re.compile(r"\b(bookiji[_:][A-Za-z0-9_:]*[A-Za-z0-9_])(\{[^}]*\})?")


def recording_rules(yaml: ModuleType) -> list[dict[str, str]]:
    groups = yaml.safe_load((PROMETHEUS_DIR / "recording.yml").read_text())["groups"]
    return [rule for group in groups for rule in group["rules"] if "record" in rule]


def test_every_aggregation_of_a_recording_rule_keeps_job_instance_and_env(
    yaml: ModuleType,
) -> None:
    rules = recording_rules(yaml)
    assert rules
    for rule in rules:
        expr = rule["expr"]
        assert "vector(" not in expr, f"{rule['record']}: a bare vector() has no labels"
        aggregations = re.findall(r"\b(sum|avg|max|min|count)\s*(by\s*\(([^)]*)\))?\s*\(", expr)
        assert aggregations, rule["record"]
        for function, by, labels in aggregations:
            assert by, f"{rule['record']}: {function}() without by drops job and instance"
            assert {label.strip() for label in labels.split(",")} >= KEPT, rule["record"]


def test_the_example_config_sets_env_on_every_target_and_an_absolute_runbook_base(
    yaml: ModuleType,
) -> None:
    config = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())
    base = config["global"]["external_labels"]["runbook_base_url"]
    assert re.fullmatch(r"https://[^\s/]+(/[^\s]*)?", base) and not base.endswith("/"), base
    for job in config["scrape_configs"]:
        for static in job["static_configs"]:
            assert static["labels"]["env"], job["job_name"]


def test_the_dashboard_has_job_and_environment_variables_from_the_scraped_series() -> None:
    variables = {v["name"]: v for v in json.loads(DASHBOARD.read_text())["templating"]["list"]}
    assert variables["job"]["type"] == variables["env"]["type"] == "query"
    assert variables["job"]["query"]["query"] == "label_values(bookiji_http_requests_total, job)"
    assert "label_values(" in variables["env"]["query"]["query"]
    assert variables["env"]["query"]["query"].endswith(", env)")
    for name in ("job", "env"):
        assert variables[name]["includeAll"] and variables[name]["allValue"] == ".*"


def test_every_dashboard_series_is_filtered_by_job_and_environment() -> None:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    selectors = [
        (target["expr"], found)
        for panel in panels
        for target in panel.get("targets", [])
        for found in SERIES.finditer(target["expr"])
    ]
    assert selectors
    for expr, found in selectors:
        matchers = found.group(2) or ""
        assert 'job=~"$job"' in matchers and 'env=~"$env"' in matchers, expr


def test_the_metrics_contract_documents_the_labels() -> None:
    text = METRICS_DOC.read_text()
    assert "## Labels" in text
    for word in ("`job`", "`instance`", "`env`", "`runbook_base_url`"):
        assert word in text, word
