"""promtool checks of the alert and recording rules, their unit tests, and the example config."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from types import ModuleType

import pytest

from tests.ops.layout import (
    DASHBOARD,
    PROMETHEUS_DIR,
    REPO,
    promtool_test_files,
    rule_files,
)


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args], cwd=REPO, capture_output=True, text=True, timeout=120
    )


def explain(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"


def test_there_are_rule_files_and_promtool_unit_tests_to_check() -> None:
    assert {p.name for p in rule_files()} >= {"alerts.yml", "recording.yml"}
    assert promtool_test_files()


def test_the_rule_files_pass_promtool_check_rules(promtool: str) -> None:
    result = run(promtool, "check", "rules", *rule_files())
    assert result.returncode == 0, explain(result)


@pytest.mark.parametrize("test_file", promtool_test_files(), ids=lambda p: p.stem)
def test_the_promtool_unit_tests_pass(promtool: str, test_file: Path) -> None:
    result = run(promtool, "test", "rules", test_file)
    assert result.returncode == 0, explain(result)
    assert "SUCCESS" in result.stdout


def test_the_example_scrape_config_passes_promtool_check_config(promtool: str) -> None:
    result = run(promtool, "check", "config", PROMETHEUS_DIR / "prometheus.yml")
    assert result.returncode == 0, explain(result)


def test_every_dashboard_query_is_valid_promql(
    promtool: str, yaml: ModuleType, tmp_path: Path
) -> None:
    # promtool has no "check expression"; a recording rule per query makes it parse them all.
    exprs = [
        t["expr"] for p in json.loads(DASHBOARD.read_text())["panels"] for t in p.get("targets", [])
    ]
    grafana_ranges = {"$__rate_interval": "5m", "$__interval": "1m", "$__range": "1d"}
    rules = []
    for i, expr in enumerate(exprs):
        for variable, value in grafana_ranges.items():
            expr = expr.replace(variable, value)
        rules.append({"record": f"dashboard:query:{i}", "expr": expr})
    rule_file = tmp_path / "dashboard_queries.yml"
    rule_file.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    assert exprs
    result = run(promtool, "check", "rules", rule_file)
    assert result.returncode == 0, explain(result)
