"""A real Prometheus (Debian's ``prometheus``) scrapes a real worker on the Pub/Sub emulator and
evaluates the shipped alert rules: when the stream turns from clean listings to counterfeits that a
CS rule hides (as a rule with too broad a keyword, or a bad promotion, would), the hide-rate alert
fires for that category.

The rules are ``deploy/prometheus/lovemachine-rules.yml`` with only their time constants shortened
(windows ``[30m]`` -> ``[10s]``, ``[1d]`` -> ``[10m]``, every ``for:`` -> ``1s``) so that a day of
baseline fits in a test: the expressions, thresholds and names are the ones shipped.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from lovemachine.adapters.sql import SqlStore
from lovemachine.config import Settings
from lovemachine.listings import LabelledListing, parse_labelled
from lovemachine.ports import Topology
from synth import generate
from tests.plugins.model import event_bytes
from tests.plugins.pubsub import topology_settings
from workers.bootstrap import build_worker

pytestmark = [pytest.mark.integration, pytest.mark.slow]
RULES = Path(__file__).resolve().parents[2] / "deploy" / "prometheus" / "lovemachine-rules.yml"
PROMETHEUS = shutil.which("prometheus")
NO_VIOLATIONS = {"counterfeit": 0.0, "adult": 0.0, "cash": 0.0, "keyword_stuffing": 0.0, "hard_negative": 0.0}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def short_rules(text: str) -> str:
    text = text.replace("[30m]", "[10s]").replace("[1d]", "[10m]")
    return re.sub(r"(\n\s+for:\s*)\S+", r"\g<1>1s", text)


@pytest.fixture
def prometheus(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """(web port, config path): a Prometheus started on a config the test writes first."""
    if PROMETHEUS is None:
        pytest.skip("Prometheus is not installed (Debian package `prometheus`; .ci/run installs it)")
    yield free_port(), tmp_path


def start_prometheus(port: int, home: Path, target: int) -> subprocess.Popen[bytes]:
    (home / "rules.yml").write_text(short_rules(RULES.read_text()))
    (home / "prometheus.yml").write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        "rule_files: [rules.yml]\n"
        "scrape_configs:\n"
        "  - job_name: lovemachine-worker\n"
        f"    static_configs: [{{targets: ['127.0.0.1:{target}']}}]\n"
    )
    log = open(home / "prometheus.log", "wb")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        [
            str(PROMETHEUS),
            f"--config.file={home / 'prometheus.yml'}",
            f"--storage.tsdb.path={home / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, stopped as a whole
    )


def alerts(port: int) -> list[dict[str, Any]]:
    r = httpx.get(f"http://127.0.0.1:{port}/api/v1/alerts", timeout=5)
    r.raise_for_status()
    return list(r.json()["data"]["alerts"])


def debug(port: int) -> dict[str, Any]:
    """What the rules saw, for a failure message."""
    out = {}
    for q in (
        "sum by (action, category) (lovemachine_decisions_total)",
        'category_action:lovemachine_decisions:ratio_rate30m{action="hide"}',
        'category_action:lovemachine_decisions:ratio_rate1d{action="hide"}',
        "lovemachine:decisions:rate30m",
        "lovemachine_rule_hits_total",
    ):
        r = httpx.get(f"http://127.0.0.1:{port}/api/v1/query", params={"query": q}, timeout=5).json()
        out[q] = [(x["metric"], x["value"][1]) for x in r.get("data", {}).get("result", [])]
    return out


def rows(n: int, seed: int, rates: dict[str, float], prefix: str) -> list[LabelledListing]:
    return [parse_labelled(d) for d in generate(n, seed=seed, rates=rates, id_prefix=prefix)]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the store is not what is tested
def test_a_jump_in_hidden_counterfeits_fires_the_hide_rate_alert(
    prometheus: tuple[int, Path], pubsub_broker: tuple[Any, Topology], live_store: SqlStore
) -> None:
    port, home = prometheus
    broker, topology = pubsub_broker
    settings = Settings(
        **topology_settings(topology), images_enabled=False, shadow_enabled=False, batch_size=16
    )
    # a CS rule that hides what the stream will soon be full of (as a too broad keyword would)
    live_store.add_rule(
        pattern="drop-7731", kind="keyword", category="counterfeit", action="hide", owner="lead"
    )
    worker = build_worker(settings, broker=broker, store=live_store)
    server = worker.serve_metrics(0, host="127.0.0.1")
    worker.start()
    proc = start_prometheus(port, home, server.port)
    stop = threading.Event()
    phase: dict[str, Any] = {"rows": rows(2_000, 11, NO_VIOLATIONS, "P"), "at": 0}

    def publish() -> None:  # ~20 events a second, from whichever stream is current
        while not stop.is_set():
            batch, i = phase["rows"], phase["at"]
            for r in batch[i : i + 4]:
                event = r.model_copy(update={"occurred_at": datetime.now(UTC)})
                broker.publish(topology.listing_topic, event_bytes(event))
            phase["at"] = i + 4
            time.sleep(0.2)

    publisher = threading.Thread(target=publish, daemon=True)
    publisher.start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # Prometheus up and scraping the worker
            try:
                if httpx.get(f"http://127.0.0.1:{port}/-/ready", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        # the clean baseline: nothing fires. It must be long against the short window: a jump of J
        # seconds fires while 1 > 3 * J / (baseline + J), i.e. for the first baseline / 2 seconds
        time.sleep(60)
        firing = [a for a in alerts(port) if a["state"] == "firing"]
        assert not [a for a in firing if a["labels"]["alertname"].startswith("LovemachineHideRate")], firing
        jump = [
            r.model_copy(
                update={"listing": r.listing.model_copy(update={"title": r.listing.title + " drop-7731"})}
            )
            for r in rows(2_000, 12, {**NO_VIOLATIONS, "counterfeit": 1.0}, "Q")
        ]
        phase.update(rows=jump, at=0)
        fired: list[dict[str, Any]] = []
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not fired:
            fired = [
                a
                for a in alerts(port)
                if a["labels"]["alertname"] == "LovemachineHideRateJump" and a["state"] == "firing"
            ]
            time.sleep(1)
        rules = len(worker.provider.get().rules)
        assert fired, f"no hide-rate alert; alerts: {alerts(port)}; series: {debug(port)}; rules: {rules}"
        assert fired[0]["labels"]["category"] == "counterfeit"
        assert fired[0]["labels"]["severity"] and fired[0]["annotations"]["runbook_url"]
    finally:
        stop.set()
        publisher.join(timeout=5)
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(proc.pid, signal.SIGKILL)
        worker.stop(grace_s=10)
        server.stop()
