"""A real worker (``build_worker``) on the Pub/Sub emulator and a real database serves Prometheus
metrics over HTTP: after N events, the counters add up to N; health and readiness answer."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from lovemachine.adapters.sql import SqlStore
from lovemachine.config import Settings
from lovemachine.listings import LabelledListing
from lovemachine.ports import Topology
from tests.plugins.model import event_bytes
from tests.plugins.pubsub import topology_settings
from workers.bootstrap import build_worker

pytestmark = pytest.mark.integration


def scrape(port: int) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    """``/metrics`` as {sample name: {sorted labels: value}}."""
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    out: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return out


def total(metrics: dict[str, Any], name: str, **labels: str) -> float:
    return sum(v for key, v in metrics.get(name, {}).items() if all((k, x) in key for k, x in labels.items()))


def test_counters_add_up_to_the_events_a_worker_handled(
    pubsub_broker: tuple[Any, Topology], live_store: SqlStore, stream_rows: list[LabelledListing]
) -> None:
    broker, topology = pubsub_broker
    now = datetime.now(UTC)
    rows = [r.model_copy(update={"occurred_at": now - timedelta(seconds=2)}) for r in stream_rows[:120]]
    malformed = [b"{oops", json.dumps({"event_id": "x", "type": "listing.created"}).encode()]
    settings = Settings(
        **topology_settings(topology), images_enabled=False, shadow_enabled=False, batch_size=32
    )
    worker = build_worker(settings, broker=broker, store=live_store)
    server = worker.serve_metrics(0, host="127.0.0.1")
    worker.start()
    try:
        assert httpx.get(f"http://127.0.0.1:{server.port}/readyz", timeout=10).status_code == 200
        for row in rows:
            broker.publish(topology.listing_topic, event_bytes(row)).result(timeout=30)
        for m in malformed:
            broker.publish(topology.listing_topic, m).result(timeout=30)
        n = len(rows) + len(malformed)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            t = worker.consumer.totals
            if t.acked + t.dead_lettered >= n:
                break
            time.sleep(0.1)
        m = scrape(server.port)
        health = httpx.get(f"http://127.0.0.1:{server.port}/healthz", timeout=10)
        missing = httpx.get(f"http://127.0.0.1:{server.port}/nope", timeout=10)
    finally:
        worker.stop(grace_s=10)
        server.stop()

    assert total(m, "lovemachine_messages_received_total") >= n  # a redelivery counts again
    assert total(m, "lovemachine_messages_acked_total") == len(rows)
    assert total(m, "lovemachine_messages_dead_lettered_total") == len(malformed)
    assert total(m, "lovemachine_messages_dead_lettered_total", reason="invalid_event") == len(malformed)
    decided = total(m, "lovemachine_decisions_total")
    assert decided == len(rows)
    by_action = {a: total(m, "lovemachine_decisions_total", action=a) for a in ("allow", "report", "hide")}
    assert sum(by_action.values()) == decided
    assert by_action == worker.consumer.totals.actions | {
        a: 0 for a in by_action if a not in worker.consumer.totals.actions
    }
    champion = live_store.get_alias("champion")
    assert champion is not None
    assert total(m, "lovemachine_decisions_total", model_version=champion.version) == decided
    assert total(m, "lovemachine_model_score_count", category="cash") == decided
    assert total(m, "lovemachine_end_to_end_latency_seconds_count") == decided
    assert total(m, "lovemachine_end_to_end_latency_seconds_sum") >= 2 * decided  # occurred 2 s before
    assert total(m, "lovemachine_time_to_hide_seconds_count") == by_action["hide"]
    assert total(m, "lovemachine_batch_processing_seconds_count") >= 1
    assert total(m, "lovemachine_model_info", model_version=champion.version, role="champion") == 1
    assert health.status_code == 200 and missing.status_code == 404
