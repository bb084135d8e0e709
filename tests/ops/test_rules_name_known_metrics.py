"""Rules, dashboard and promtool tests name only metrics and labels from docs/metrics.md."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest

from tests.ops.layout import DASHBOARD, METRICS_DOC, promtool_test_files, rule_files

METRIC_TYPES = {"counter", "gauge", "histogram"}
# Labels Prometheus attaches to every scraped series (`env` by the scrape configuration,
# docs/metrics.md "Labels"); not part of the service's contract.
TARGET_LABELS = {"job", "instance", "env"}
STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
NAMES = re.compile(r"(?<![\w:])bookiji[_:][\w:]*")
SELECTOR = re.compile(r"(?<![\w:])(bookiji_\w+)\s*\{([^}]*)\}")
MATCHER_LABEL = re.compile(r"(\w+)\s*(?:=~|!~|!=|=)")
GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)")


def metric_catalogue() -> dict[str, tuple[str, frozenset[str]]]:
    """name -> (type, labels), from the catalogue table in docs/metrics.md."""
    catalogue: dict[str, tuple[str, frozenset[str]]] = {}
    in_table = False
    for line in METRICS_DOC.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| name | type | labels |"):
            in_table = True
            continue
        if not in_table or set(cells[0]) <= {"-"}:
            continue
        if not line.startswith("|"):
            break
        name, kind, labels = cells[0].strip("`"), cells[1], cells[2]
        catalogue[name] = (kind, frozenset(re.findall(r"`(\w+)`", labels)))
    return catalogue


def known_metric_names() -> frozenset[str]:
    """The metric names of the catalogue table in docs/metrics.md, the contract with the service.

    The Python telemetry adapter (bookiji_adapters.telemetry) will be checked against the same
    table by another test, so the rules, the dashboard and the code cannot drift apart.
    """
    return frozenset(metric_catalogue())


def exported_series_names() -> dict[str, str]:
    """Every series name the catalogue's metrics produce -> the catalogued metric name."""
    names: dict[str, str] = {}
    for name, (kind, _labels) in metric_catalogue().items():
        if kind == "histogram":
            for suffix in ("_bucket", "_count", "_sum", "_created"):
                names[name + suffix] = name
        else:
            names[name] = name
            if kind == "counter":
                names[name.removesuffix("_total") + "_created"] = name
    return names


def recording_rule_names(yaml: ModuleType) -> set[str]:
    return {rule["record"] for rule in rules(yaml) if "record" in rule}


def rules(yaml: ModuleType) -> Iterator[dict[str, Any]]:
    for path in rule_files():
        for group in yaml.safe_load(path.read_text())["groups"]:
            yield from group["rules"]


def expressions(yaml: ModuleType) -> Iterator[tuple[str, str]]:
    """(where, PromQL) for every rule, dashboard query and promtool test expression/series."""
    for rule in rules(yaml):
        yield rule.get("alert") or rule["record"], rule["expr"]
    for path in promtool_test_files():
        for case in yaml.safe_load(path.read_text())["tests"]:
            for series in case.get("input_series", []):
                yield f"{path.name}: {case['name']}", series["series"]
            for check in case.get("promql_expr_test", []):
                yield f"{path.name}: {case['name']}", check["expr"]
    yield from dashboard_expressions(json.loads(DASHBOARD.read_text()))


def dashboard_expressions(node: Any, where: str = "dashboard") -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        where = f"dashboard panel {node['title']!r}" if "title" in node else where
        for key, value in node.items():
            if key == "expr":
                yield where, value
            else:
                yield from dashboard_expressions(value, where)
    elif isinstance(node, list):
        for item in node:
            yield from dashboard_expressions(item, where)


def without_strings(expr: str) -> str:
    """PromQL with string literals emptied, so label values are never read as names."""
    return STRINGS.sub('""', expr)


def test_the_catalogue_table_is_readable_and_well_formed() -> None:
    catalogue = metric_catalogue()
    assert len(catalogue) >= 10
    for name, (kind, _labels) in catalogue.items():
        assert name.startswith("bookiji_"), name
        assert kind in METRIC_TYPES, f"{name}: type {kind!r}"
        if kind == "counter":
            assert name.endswith("_total"), f"counter {name} must end in _total"


def test_every_metric_named_in_rules_dashboard_and_rule_tests_is_in_the_catalogue(
    yaml: ModuleType,
) -> None:
    series = exported_series_names()
    recorded = recording_rule_names(yaml)
    unknown = []
    for where, expr in expressions(yaml):
        for name in NAMES.findall(without_strings(expr)):
            known = name in recorded if ":" in name else name in series
            if not known:
                unknown.append(f"{where}: {name}")
    assert not unknown, "not in docs/metrics.md or not a recording rule:\n" + "\n".join(unknown)


def test_selectors_match_only_labels_the_catalogue_gives_the_metric(yaml: ModuleType) -> None:
    series, catalogue = exported_series_names(), metric_catalogue()
    wrong = []
    for where, expr in expressions(yaml):
        for name, matchers in SELECTOR.findall(without_strings(expr)):
            if name not in series:
                continue  # reported by the test above
            allowed = set(catalogue[series[name]][1]) | TARGET_LABELS
            allowed |= {"le"} if name.endswith("_bucket") else set()
            wrong += [
                f"{where}: {name} has no label {label!r}"
                for label in MATCHER_LABEL.findall(matchers)
                if label not in allowed
            ]
    assert not wrong, "\n".join(wrong)


def test_grouping_clauses_use_only_catalogued_labels(yaml: ModuleType) -> None:
    every_label = {"le"} | TARGET_LABELS
    every_label |= {label for _kind, labels in metric_catalogue().values() for label in labels}
    wrong = []
    for where, expr in expressions(yaml):
        for clause in GROUPING.findall(without_strings(expr)):
            labels = [label.strip() for label in clause.split(",") if label.strip()]
            wrong += [f"{where}: {label!r}" for label in labels if label not in every_label]
    assert not wrong, "labels no catalogued metric has:\n" + "\n".join(wrong)


@pytest.mark.parametrize(
    "expr, names",
    [
        (
            'sum(rate(bookiji_http_requests_total{route="/api/bookiji_fake"}[5m]))',
            ["bookiji_http_requests_total"],
        ),
        ("bookiji:api_error_ratio:rate1h > (14.4 * 0.01)", ["bookiji:api_error_ratio:rate1h"]),
        ("histogram_quantile(0.9, sum by (le) (rate(bookiji_x_bucket[5m])))", ["bookiji_x_bucket"]),
    ],
)
def test_metric_names_are_found_outside_string_literals_only(expr: str, names: list[str]) -> None:
    assert NAMES.findall(without_strings(expr)) == names


def test_histogram_and_counter_series_names_map_back_to_the_catalogue() -> None:
    series = exported_series_names()
    assert series["bookiji_http_request_duration_seconds_bucket"] == (
        "bookiji_http_request_duration_seconds"
    )
    assert series["bookiji_http_requests_created"] == "bookiji_http_requests_total"
    assert "bookiji_http_request_duration_seconds" not in series  # a histogram has no bare series
    assert "bookiji_outbox_dlq_depth" in series
