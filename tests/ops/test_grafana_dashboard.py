"""The Grafana dashboard imports anywhere and shows every SLI of the metrics contract."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.ops.layout import DASHBOARD
from tests.ops.test_rules_name_known_metrics import exported_series_names, without_strings

DATASOURCE = {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}


def dashboard() -> dict[str, Any]:
    return json.loads(DASHBOARD.read_text())


def query_panels() -> list[dict[str, Any]]:
    return [p for p in dashboard()["panels"] if p["type"] != "row"]


def test_the_data_source_is_a_variable_chosen_at_import() -> None:
    variables = {v["name"]: v for v in dashboard()["templating"]["list"]}
    assert variables["DS_PROMETHEUS"]["type"] == "datasource"
    assert variables["DS_PROMETHEUS"]["query"] == "prometheus"


def test_every_panel_and_query_uses_the_data_source_variable() -> None:
    for panel in query_panels():
        assert panel["datasource"] == DATASOURCE, panel["title"]
        assert panel["targets"], f"{panel['title']} has no query"
        for target in panel["targets"]:
            assert target["datasource"] == DATASOURCE, panel["title"]


def test_panel_ids_are_unique_and_panels_fit_the_grid() -> None:
    panels = dashboard()["panels"]
    assert len({p["id"] for p in panels}) == len(panels)
    for panel in panels:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]


def test_every_catalogued_metric_is_shown_on_the_dashboard() -> None:
    series = exported_series_names()
    shown = {
        series[name]
        for panel in query_panels()
        for target in panel["targets"]
        for name in re.findall(r"bookiji_\w+", without_strings(target["expr"]))
        if name in series
    }
    assert shown == set(series.values())
