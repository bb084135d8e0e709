"""Where the operations files live, and how a test reacts to a missing tool."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NoReturn

import pytest

REPO = Path(__file__).resolve().parents[2]
PROMETHEUS_DIR = REPO / "ops" / "prometheus"
PROMTOOL_TESTS_DIR = PROMETHEUS_DIR / "tests"
DASHBOARD = REPO / "ops" / "grafana" / "bookiji.json"
METRICS_DOC = REPO / "docs" / "metrics.md"


def missing(what: str) -> NoReturn:
    """Skip a test whose tool is absent; under CI=true the tool is required, so fail instead."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{what}, and CI=true requires it")
    pytest.skip(what)


def rule_files() -> list[Path]:
    """The Prometheus rule files: YAML files in ops/prometheus/ with a top-level `groups:`.

    The example server config (prometheus.yml) lives in the same folder but is not a rule file.
    """
    return sorted(
        path
        for path in PROMETHEUS_DIR.glob("*.yml")
        if any(line.startswith("groups:") for line in path.read_text().splitlines())
    )


def promtool_test_files() -> list[Path]:
    return sorted(PROMTOOL_TESTS_DIR.glob("*.yml"))
