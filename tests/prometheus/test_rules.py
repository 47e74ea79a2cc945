"""The Prometheus rules (deploy/prometheus/lovemachine-rules.yml): promtool's syntax check and its
unit tests (deploy/prometheus/tests/lovemachine-rules.test.yml), the example configuration, and what
promtool cannot see: every alert names only exported metrics, is tested both ways, and links a
runbook that exists in docs/operations.md."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from tests.prometheus.support import (
    EXAMPLE_CONFIG,
    OPERATIONS,
    RULE_TESTS,
    RULES,
    explain,
    github_anchors,
    load_rules,
    metric_names,
    needs_promtool,
    promtool,
    recorded_names,
    rules,
    series_names,
)


def alerts() -> list[dict[str, Any]]:
    return [r for r in rules() if "alert" in r]


@needs_promtool
def test_promtool_check_rules() -> None:
    result = promtool("check", "rules", RULES)
    assert result.returncode == 0, explain(result)


@needs_promtool
def test_promtool_unit_tests() -> None:
    result = promtool("test", "rules", RULE_TESTS)
    assert result.returncode == 0, explain(result)


@needs_promtool
def test_example_config(tmp_path: Path) -> None:
    result = promtool("check", "config", EXAMPLE_CONFIG)
    said = result.stdout + result.stderr
    if result.returncode != 0 and ("kubernetes_sd_configs not found" in said or "credentials" in said):
        # Debian's promtool is built without Kubernetes discovery: check everything else, with the
        # pod discovery replaced by a static target and the rule file named by its absolute path.
        config = yaml.safe_load(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
        for scrape in config["scrape_configs"]:
            if scrape.pop("kubernetes_sd_configs", None) is not None:
                scrape["static_configs"] = [{"targets": ["10.0.0.1:9464"]}]
            auth = scrape.get("authorization") or {}
            if "credentials_file" in auth:  # a Secret mounted in the cluster: a stand-in file here
                token = tmp_path / "token"
                token.write_text("lmt_example")
                auth["credentials_file"] = str(token)
        config["rule_files"] = [str(EXAMPLE_CONFIG.parent / f) for f in config["rule_files"]]
        copy = tmp_path / "prometheus.yml"
        copy.write_text(yaml.safe_dump(config), encoding="utf-8")
        result = promtool("check", "config", copy)
    assert result.returncode == 0, explain(result)
    assert "1 rule files found" in result.stdout, explain(result)


def test_expressions_name_only_exported_metrics() -> None:
    doc = load_rules()
    known = series_names() | recorded_names(doc) | {"up"}
    for rule in rules(doc):
        unknown = metric_names(rule["expr"]) - known
        assert not unknown, f"{rule.get('alert') or rule.get('record')} names unknown metrics {unknown}"


def test_alerts_have_severity_annotations_and_a_runbook() -> None:
    anchors = github_anchors(OPERATIONS.read_text(encoding="utf-8"))
    names = [a["alert"] for a in alerts()]
    assert len(names) == len(set(names)), "alert names must be unique"
    for alert in alerts():
        name = alert["alert"]
        assert alert.get("labels", {}).get("severity") in {"critical", "warning"}, name
        annotations = alert.get("annotations", {})
        assert annotations.get("summary") and annotations.get("description"), name
        runbook = annotations.get("runbook_url", "")
        assert runbook == f"docs/operations.md#{name.lower()}", f"{name}: runbook_url {runbook!r}"
        assert name.lower() in anchors, f"{name}: docs/operations.md has no heading `### {name}`"


def test_every_alert_is_tested_firing_and_silent() -> None:
    cases = [
        case
        for group in yaml.safe_load(RULE_TESTS.read_text(encoding="utf-8"))["tests"]
        for case in group.get("alert_rule_test", [])
    ]
    for name in (a["alert"] for a in alerts()):
        mine = [c for c in cases if c["alertname"] == name]
        assert any(c.get("exp_alerts") for c in mine), f"no test input fires {name}"
        assert any(not c.get("exp_alerts") for c in mine), f"no test input where {name} must stay silent"


def test_hide_rate_windows_are_literals() -> None:
    """Integration tests shorten the hide-rate windows by replacing `[30m]` and `[1d]` in the text:
    the jump alert and the recording rules it reads use no other range windows."""
    doc = load_rules()
    by_name = {r.get("alert") or r.get("record"): r for r in rules(doc)}
    jump = by_name["LovemachineHideRateJump"]
    exprs = [jump["expr"]] + [by_name[n]["expr"] for n in metric_names(jump["expr"]) & recorded_names(doc)]
    assert len(exprs) == 4, exprs  # the alert, the 30m and 1d shares and the 30m volume
    for expr in exprs:
        windows = set(re.findall(r"\[[^\]]*\]", expr))
        assert windows <= {"[30m]", "[1d]"}, windows
