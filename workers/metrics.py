"""A worker's Prometheus metrics and its small HTTP server: ``/metrics``, ``/healthz``, ``/readyz``.

Every worker has its own registry (``WorkerMetrics``), so that two workers in one process (tests, the
demo) never mix their counts. The handler reports what happens as it happens (``received``,
``settled``, ``decided``, ``dead_lettered``); the rest is read when Prometheus scrapes
(``WorkerCollector``: the live model, the outbox backlog, image fetches, score drift). Names follow
Prometheus conventions (``docs/operations.md``, "Metrics").
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter as Tally, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from lovemachine.categories import CATEGORIES
from lovemachine.monitoring.drift import psi, reference_of, shares
from lovemachine.policy import Action, Decision

if TYPE_CHECKING:
    from workers.bootstrap import Worker

log = logging.getLogger(__name__)

SCORE_BUCKETS = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0)
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 21600, 86400)
BATCH_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
DRIFT_WINDOW = 5_000
"""Scores per category in the sliding window the drift is measured on."""
DRIFT_MIN = 500
"""No drift figure before the window holds this many scores (a PSI of a few dozen is noise)."""


class WorkerMetrics:
    """The counters and histograms one worker updates; ``registry`` is what ``/metrics`` serves."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.received = Counter("lovemachine_messages_received", "Listing messages received", registry=r)
        self.acked = Counter(
            "lovemachine_messages_acked", "Messages acked (decided and acted on)", registry=r
        )
        self.nacked = Counter(
            "lovemachine_messages_nacked", "Messages nacked (redelivered later)", registry=r
        )
        self.dead_lettered = Counter(
            "lovemachine_messages_dead_lettered",
            "Messages sent to the dead-letter topic",
            ["reason"],
            registry=r,
        )
        self.transient_retries = Counter(
            "lovemachine_transient_retries",
            "Waits on a transient error (database or broker down)",
            registry=r,
        )
        self.decisions = Counter(
            "lovemachine_decisions",
            "New decisions by action, category and model version",
            ["action", "category", "model_version"],
            registry=r,
        )
        self.scores = Histogram(
            "lovemachine_model_score",
            "The live model's scores",
            ["category"],
            buckets=SCORE_BUCKETS,
            registry=r,
        )
        self.rule_hits = Counter(
            "lovemachine_rule_hits", "Decisions a CS rule matched", ["rule_id"], registry=r
        )
        self.batch_seconds = Histogram(
            "lovemachine_batch_processing_seconds",
            "Time to handle one batch",
            buckets=BATCH_BUCKETS,
            registry=r,
        )
        self.end_to_end = Histogram(
            "lovemachine_end_to_end_latency_seconds",
            "From the listing event's occurred_at to its decision acted on and acked",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.time_to_hide = Histogram(
            "lovemachine_time_to_hide_seconds",
            "How long a hidden listing was visible: occurred_at to the hide published",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.shadow = Counter(
            "lovemachine_shadow_decisions",
            "Challenger decisions in shadow, and whether they agree with the champion's action",
            ["model_version", "agreement"],
            registry=r,
        )
        self._window: dict[str, deque[float]] = {c: deque(maxlen=DRIFT_WINDOW) for c in CATEGORIES}
        self._window_model: str | None = None
        self._lock = threading.Lock()
        self.last_processed: float | None = None

    # ------------------------------------------------------------------ what the handler reports
    def batch(self, received: int, acked: int, nacked: int, retries: int, seconds: float) -> None:
        self.received.inc(received)
        self.acked.inc(acked)
        self.nacked.inc(nacked)
        self.transient_retries.inc(retries)
        self.batch_seconds.observe(seconds)
        self.last_processed = time.time()

    def dead_letter(self, reason: str) -> None:
        self.dead_lettered.labels(reason=reason or "unknown").inc()

    def decided(
        self, decisions: Sequence[Decision], occurred_at: Mapping[tuple[str, int], datetime], now: datetime
    ) -> None:
        """New decisions (not redeliveries) acted on at ``now``."""
        for d in decisions:
            action = Action(d.action).value
            self.decisions.labels(
                action=action, category=d.category or "none", model_version=d.model_version
            ).inc()
            for rule_id in d.rule_ids:
                self.rule_hits.labels(rule_id=str(rule_id)).inc()
            for c, s in d.scores.items():
                self.scores.labels(category=c).observe(float(s))
            at = occurred_at.get((d.listing_id, d.listing_version))
            if at is not None:
                seen = max(0.0, (now - at).total_seconds())
                self.end_to_end.observe(seen)
                if d.action is Action.HIDE:
                    self.time_to_hide.observe(seen)
        self._remember(decisions)

    def shadowed(self, model_version: str, agree: int, disagree: int) -> None:
        if agree:
            self.shadow.labels(model_version=model_version, agreement="agree").inc(agree)
        if disagree:
            self.shadow.labels(model_version=model_version, agreement="disagree").inc(disagree)

    # ------------------------------------------------------------------ drift
    def _remember(self, decisions: Sequence[Decision]) -> None:
        with self._lock:
            for d in decisions:
                if d.model_version != self._window_model:  # a new champion: a new window
                    self._window_model = d.model_version
                    for w in self._window.values():
                        w.clear()
                for c, s in d.scores.items():
                    if c in self._window:
                        self._window[c].append(float(s))

    def drift(self, model_version: str, reference: Mapping[str, Sequence[float]]) -> dict[str, float]:
        """PSI per category of the window against ``reference``, for ``model_version``'s window only."""
        with self._lock:
            if self._window_model != model_version:
                return {}
            windows = {c: list(w) for c, w in self._window.items() if len(w) >= DRIFT_MIN}
        return {c: psi(reference[c], shares(w)) for c, w in windows.items() if c in reference}


class WorkerCollector(Collector):
    """What is read at scrape time from a running worker."""

    def __init__(self, worker: Worker, metrics: WorkerMetrics) -> None:
        self.worker = worker
        self.metrics = metrics

    def collect(self) -> Iterable[Metric]:
        w, m = self.worker, self.metrics
        info = GaugeMetricFamily(
            "lovemachine_model_info",
            "The model versions this worker scores with",
            labels=["model_version", "role"],
        )
        scorer = w.provider.get()
        info.add_metric([scorer.version, "champion"], 1)
        if w.shadow is not None and w.shadow.stats.challenger:
            info.add_metric([w.shadow.stats.challenger, "challenger"], 1)
        yield info
        if m.last_processed is not None:
            yield GaugeMetricFamily(
                "lovemachine_last_processed_timestamp_seconds",
                "When this worker last handled a batch",
                value=m.last_processed,
            )
        if w.sweeper is not None:
            yield GaugeMetricFamily(
                "lovemachine_outbox_backlog",
                "Decisions committed whose action the outbox sweeper found unpublished on its last sweep",
                value=w.sweeper.stats.backlog,
            )
        fetches = _image_fetches(w)
        if fetches is not None:
            family = CounterMetricFamily(
                "lovemachine_image_fetches", "Listing images by outcome", labels=["outcome"]
            )
            for outcome, n in sorted(fetches.items()):
                family.add_metric([outcome], n)
            yield family
        reference = reference_of(scorer.model.metadata.get("metrics") or {})
        if reference is not None:
            drift = m.drift(scorer.version, reference)
            if drift:
                psi_family = GaugeMetricFamily(
                    "lovemachine_score_psi",
                    "Population stability index of recent scores against the model's reference",
                    labels=["category"],
                )
                for c, value in sorted(drift.items()):
                    psi_family.add_metric([c], value)
                yield psi_family


def _image_fetches(worker: Worker) -> Mapping[str, int] | None:
    scorer = worker.image_scorer
    counts: Tally[str] | None = getattr(scorer, "fetch_counts", None)
    return dict(counts) if counts is not None else None


# ---------------------------------------------------------------------------------- the HTTP server
class MetricsServer:
    """``/metrics`` (Prometheus text format), ``/healthz`` (200 while the pull streams live),
    ``/readyz`` (200 once a model is loaded and the database answers) on ``host:port``."""

    def __init__(
        self,
        registry: CollectorRegistry,
        *,
        healthy: Callable[[], tuple[bool, str]],
        ready: Callable[[], tuple[bool, str]],
        host: str = "0.0.0.0",
        port: int = 9464,
    ) -> None:
        registry_, healthy_, ready_ = registry, healthy, ready

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                if path == "/metrics":
                    self._send(200, generate_latest(registry_), CONTENT_TYPE_LATEST)
                elif path in ("/healthz", "/readyz"):
                    ok, why = (healthy_ if path == "/healthz" else ready_)()
                    self._send(200 if ok else 503, (why + "\n").encode(), "text/plain; charset=utf-8")
                else:
                    self._send(
                        404, b"not found: /metrics, /healthz or /readyz\n", "text/plain; charset=utf-8"
                    )

            def _send(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.httpd.daemon_threads = True
        self.port = int(self.httpd.server_address[1])
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, name="lovemachine-metrics", daemon=True
        )

    def start(self) -> MetricsServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
