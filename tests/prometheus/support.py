"""Shared by the tests of deploy/prometheus and deploy/grafana: the metrics the worker and the CS tool
export (the contract below), the recording rules, the metric names in a PromQL expression, and
running promtool."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "prometheus" / "lovemachine-rules.yml"
RULE_TESTS = ROOT / "deploy" / "prometheus" / "tests" / "lovemachine-rules.test.yml"
EXAMPLE_CONFIG = ROOT / "deploy" / "prometheus" / "prometheus.example.yml"
DASHBOARD = ROOT / "deploy" / "grafana" / "lovemachine.json"
OPERATIONS = ROOT / "docs" / "operations.md"

PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None,
    reason="promtool is not installed (Debian/Ubuntu: apt-get install prometheus); CI installs it",
)


def promtool(*args: str | Path, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    assert PROMTOOL is not None
    return subprocess.run(
        [PROMTOOL, *map(str, args)], capture_output=True, text=True, timeout=timeout, check=False
    )


def explain(result: subprocess.CompletedProcess[str]) -> str:
    """promtool's command line, exit status and output, for an assertion message."""
    return f"{' '.join(result.args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"


COUNTER, GAUGE, HISTOGRAM = "counter", "gauge", "histogram"

# The metric names the worker (`lovemachine-worker`) and the CS tool (`lovemachine-cstool`) export,
# and the Pub/Sub backlog from the stackdriver exporter. Counters are listed with their `_total`.
CONTRACT: dict[str, str] = {
    # worker
    "lovemachine_messages_received_total": COUNTER,
    "lovemachine_messages_acked_total": COUNTER,
    "lovemachine_messages_nacked_total": COUNTER,
    "lovemachine_messages_dead_lettered_total": COUNTER,
    "lovemachine_decisions_total": COUNTER,
    "lovemachine_model_score": HISTOGRAM,
    "lovemachine_batch_processing_seconds": HISTOGRAM,
    "lovemachine_end_to_end_latency_seconds": HISTOGRAM,
    "lovemachine_time_to_hide_seconds": HISTOGRAM,
    "lovemachine_shadow_decisions_total": COUNTER,
    "lovemachine_rule_hits_total": COUNTER,
    "lovemachine_image_fetches_total": COUNTER,
    "lovemachine_outbox_backlog": GAUGE,
    "lovemachine_transient_retries_total": COUNTER,
    "lovemachine_score_psi": GAUGE,
    "lovemachine_model_info": GAUGE,
    "lovemachine_last_processed_timestamp_seconds": GAUGE,
    # CS tool
    "lovemachine_review_queue_items": GAUGE,
    "lovemachine_review_queue_oldest_age_seconds": GAUGE,
    "lovemachine_labels_total": COUNTER,
    "lovemachine_appeals": GAUGE,
    "lovemachine_appeals_decided_total": COUNTER,
    "lovemachine_appeal_oldest_open_age_seconds": GAUGE,
    "lovemachine_action_outbox_backlog": GAUGE,
    "lovemachine_retrain_runs_total": COUNTER,
    "lovemachine_retrain_last_success_timestamp_seconds": GAUGE,
    "lovemachine_audit_hide_precision": GAUGE,
    "lovemachine_audit_recall": GAUGE,
    "lovemachine_statements": GAUGE,
    # GKE: Cloud Monitoring's Pub/Sub backlog through the stackdriver exporter
    "stackdriver_pubsub_subscription_pubsub_googleapis_com_subscription_num_undelivered_messages": GAUGE,
}


def series_names() -> set[str]:
    """Every series name the contract's metrics expose (a histogram's _bucket, _sum, _count)."""
    names: set[str] = set()
    for name, kind in CONTRACT.items():
        if kind == HISTOGRAM:
            names.update(f"{name}{suffix}" for suffix in ("_bucket", "_sum", "_count"))
        else:
            names.add(name)
    return names


def load_rules() -> dict[str, Any]:
    return yaml.safe_load(RULES.read_text(encoding="utf-8"))


def rules(doc: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
    for group in (doc or load_rules())["groups"]:
        yield from group["rules"]


def recorded_names(doc: dict[str, Any] | None = None) -> set[str]:
    return {r["record"] for r in rules(doc) if "record" in r}


_STRING = re.compile(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|`[^`]*`')
_GRAFANA_VARIABLE = re.compile(r"\$\{[^}]*\}|\$\w+")
_MATCHERS = re.compile(r"\{[^{}]*\}")
_RANGE = re.compile(r"\[[^\[\]]*\]")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)")
_IDENTIFIER = re.compile(r"(?<![\w:.])([A-Za-z_:][A-Za-z0-9_:]*)(\s*\()?")
_KEYWORDS = {"and", "or", "unless", "offset", "bool", "by", "without", "on", "ignoring"}
_KEYWORDS |= {"group_left", "group_right", "atan2", "inf", "nan", "start", "end"}


def metric_names(expr: str) -> set[str]:
    """The metric (series) names a PromQL expression selects: identifiers that are not functions,
    aggregations, keywords, label names or label values."""
    text = _STRING.sub('""', expr)
    text = _GRAFANA_VARIABLE.sub("", text)
    text = _MATCHERS.sub("", text)
    text = _RANGE.sub("", text)
    text = _GROUPING.sub("", text)
    names = set()
    for m in _IDENTIFIER.finditer(text):
        name, call = m.group(1), m.group(2)
        if call is None and name.lower() not in _KEYWORDS:
            names.add(name)
    return names


def github_anchors(markdown: str) -> set[str]:
    """The anchors GitHub gives the headings of a Markdown document (lower case, punctuation
    dropped, spaces to hyphens), outside fenced code blocks."""
    anchors, fenced = set(), False
    for line in markdown.splitlines():
        if line.startswith("```"):
            fenced = not fenced
            continue
        m = re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
        if m and not fenced:
            slug = re.sub(r"[^\w\- ]", "", m.group(1).strip().lower()).replace(" ", "-")
            anchors.add(slug)
    return anchors
