"""The Grafana dashboard (deploy/grafana/lovemachine.json): it loads, picks its Prometheus data source
from a variable, and its queries name only exported metrics or the rules file's recording rules."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.prometheus.support import (
    CONTRACT,
    DASHBOARD,
    explain,
    metric_names,
    needs_promtool,
    promtool,
    recorded_names,
    series_names,
)


@pytest.fixture(scope="module")
def dashboard() -> dict[str, Any]:
    return json.loads(DASHBOARD.read_text(encoding="utf-8"))


def panels(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for p in items:
        yield p
        yield from panels(p.get("panels", []))  # a collapsed row keeps its panels inside it


def queries(dashboard: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(where, PromQL) for every panel target and every query variable."""
    for p in panels(dashboard["panels"]):
        for t in p.get("targets", []):
            yield f"panel {p['title']!r} {t.get('refId')}", t["expr"]
    for v in dashboard["templating"]["list"]:
        if v["type"] == "query":
            q = v["query"]
            yield f"variable {v['name']}", q["query"] if isinstance(q, dict) else q


def test_dashboard_shape(dashboard: dict[str, Any]) -> None:
    assert 36 <= dashboard["schemaVersion"] <= 41
    assert dashboard["uid"] and dashboard["title"]
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    ids = [p["id"] for p in panels(dashboard["panels"])]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    for p in panels(dashboard["panels"]):
        if p["type"] == "row":
            continue
        assert p.get("targets"), f"panel {p['title']!r} has no query"
        for ds in [p["datasource"], *(t["datasource"] for t in p["targets"])]:
            assert ds == {"type": "prometheus", "uid": "${datasource}"}, p["title"]


def test_queries_name_only_exported_metrics_and_recording_rules(dashboard: dict[str, Any]) -> None:
    known = series_names() | recorded_names()
    for where, expr in queries(dashboard):
        unknown = metric_names(expr) - known
        assert not unknown, f"{where} names unknown metrics {unknown}: {expr}"


def test_every_exported_metric_has_a_panel(dashboard: dict[str, Any]) -> None:
    used = set().union(*(metric_names(expr) for _, expr in queries(dashboard)))
    used = {re.sub(r"_(bucket|sum|count)$", "", n) if n not in CONTRACT else n for n in used}
    missing = set(CONTRACT) - used
    assert not missing, f"no panel shows {sorted(missing)}"


@needs_promtool
def test_queries_parse(dashboard: dict[str, Any], tmp_path: Path) -> None:
    """promtool parses each query, Grafana's variables replaced by values, as a recording rule."""
    values = {"$__rate_interval": "2m", "$__interval": "1m", "$__range": "1d", "$category": "counterfeit"}
    records = []
    for i, (where, expr) in enumerate(queries(dashboard)):
        for var, value in values.items():
            expr = expr.replace(var, value)
        assert "$" not in expr, f"{where}: unexpected Grafana variable in {expr}"
        records.append({"record": f"dashboard:query_{i}", "expr": expr})
    path = tmp_path / "dashboard-queries.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": records}]}), encoding="utf-8")
    result = promtool("check", "rules", path, timeout=60)
    assert result.returncode == 0, explain(result)
