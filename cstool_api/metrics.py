"""The CS tool's ``/metrics``: review queues, labels, appeals, outboxes, statements, retraining and the
audit sample's live precision and recall, read from the database when Prometheus scrapes.

Not public: it needs an admin or lead session, or a token with the ``metrics:read`` scope
(Prometheus' ``authorization: {credentials_file: ...}``). The audit estimate runs a bootstrap, so it is
computed at most every ``AUDIT_TTL_S`` and cached.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from cstool_api.deps import Principal, StateDep, allow
from cstool_api.state import AppState

log = logging.getLogger(__name__)
router = APIRouter(tags=["operations"])
MetricsReader = Annotated[Principal, Depends(allow("lead", scope="metrics:read"))]
AUDIT_TTL_S = 300.0


class CsToolCollector(Collector):
    def __init__(self, state: AppState) -> None:
        self.state = state
        self._audit: tuple[float, dict[str, Any] | None] = (float("-inf"), None)
        self._lock = threading.Lock()

    def collect(self) -> Iterable[Metric]:
        store, now = self.state.store, datetime.now(UTC)
        items = GaugeMetricFamily(
            "lovemachine_review_queue_items", "Review items", labels=["queue", "status"]
        )
        oldest = GaugeMetricFamily(
            "lovemachine_review_queue_oldest_age_seconds", "Age of the oldest undone item", labels=["queue"]
        )
        for q in store.queue_summaries(now=now):
            items.add_metric([q.queue, "open"], q.open)
            items.add_metric([q.queue, "claimed"], q.claimed)
            if q.oldest_created_at is not None:
                oldest.add_metric([q.queue], max(0.0, (now - q.oldest_created_at).total_seconds()))
        yield items
        yield oldest
        ops = store.ops_counts()
        labels = CounterMetricFamily("lovemachine_labels", "Labels given", labels=["reviewer", "label"])
        for (reviewer, label), n in sorted(ops.labels.items()):
            labels.add_metric([reviewer, label], n)
        yield labels
        appeals = GaugeMetricFamily("lovemachine_appeals", "Appeals by status", labels=["status"])
        for status in ("open", "claimed", "decided"):
            appeals.add_metric([status], ops.appeals.get(status, 0))
        yield appeals
        decided = CounterMetricFamily("lovemachine_appeals_decided", "Appeals decided", labels=["outcome"])
        for outcome in ("upheld", "overturned"):
            decided.add_metric([outcome], ops.appeals_decided.get(outcome, 0))
        yield decided
        if ops.oldest_open_appeal is not None:
            yield GaugeMetricFamily(
                "lovemachine_appeal_oldest_open_age_seconds",
                "Age of the oldest undecided appeal",
                value=max(0.0, (now - ops.oldest_open_appeal).total_seconds()),
            )
        yield GaugeMetricFamily(
            "lovemachine_action_outbox_backlog",
            "Actions CS labels and appeals queued that are not published yet",
            value=ops.action_outbox_backlog,
        )
        states = GaugeMetricFamily("lovemachine_statements", "Statements of reasons", labels=["tdb_state"])
        for state, n in sorted(ops.statements.items()):
            states.add_metric([state], n)
        yield states
        runs = CounterMetricFamily("lovemachine_retrain_runs", "Training runs by status", labels=["status"])
        for status in ("succeeded", "not_eligible", "failed"):
            runs.add_metric([status], ops.training_runs.get(status, 0))
        yield runs
        if ops.last_training_success is not None:
            yield GaugeMetricFamily(
                "lovemachine_retrain_last_success_timestamp_seconds",
                "When the last training run finished without failing",
                value=ops.last_training_success.timestamp(),
            )
        yield from self._audit_metrics()

    def _audit_metrics(self) -> Iterable[Metric]:
        estimate = self._audit_estimate()
        if estimate is None:
            return
        precision = GaugeMetricFamily(
            "lovemachine_audit_hide_precision",
            "Live precision of the champion's hides, estimated from the random audit sample",
            labels=["category"],
        )
        recall = GaugeMetricFamily(
            "lovemachine_audit_recall",
            "Live recall of the champion's actions (hide or report), from the random audit sample",
            labels=["category"],
        )
        for category, cat in sorted(estimate.get("categories", {}).items()):
            p = cat.get("hide", {}).get("precision", {}).get("estimate")
            r = cat.get("act", {}).get("recall", {}).get("estimate")
            if p is not None:
                precision.add_metric([category], p)
            if r is not None:
                recall.add_metric([category], r)
        yield precision
        yield recall

    def _audit_estimate(self) -> dict[str, Any] | None:
        with self._lock:
            at, cached = self._audit
            if time.monotonic() - at < AUDIT_TTL_S:
                return cached
            try:
                from trainers.live_quality import live_quality

                cached = live_quality(self.state.store, resamples=200)
            except LookupError:  # no champion yet
                cached = None
            except Exception:
                log.exception("could not estimate live quality for /metrics")
                cached = None
            self._audit = (time.monotonic(), cached)
            return cached


def registry_for(state: AppState) -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(CsToolCollector(state))
    return registry


@router.get(
    "/metrics",
    summary="Prometheus metrics (lead or admin session, or a token with metrics:read)",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text format"}},
)
def metrics(principal: MetricsReader, state: StateDep) -> Response:
    registry = state.metrics_registry
    if registry is None:
        registry = state.metrics_registry = registry_for(state)
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
