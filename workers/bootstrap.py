"""Composition root for a worker process: settings -> adapters -> handler -> consumer.

Deployment roles decide what a process runs; this module wires the scorer role: the champion's
provider (hot reload), the shadow scorer for the challenger, the handler and the consumer. It is the
only place that picks concrete adapters (SQL store, Pub/Sub or embedded broker).
"""

from __future__ import annotations

import json
import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from lovemachine.adapters.brokers import topology_from
from lovemachine.adapters.sql import SqlStore, make_engine
from lovemachine.config import Settings
from lovemachine.images import ImageScorer
from lovemachine.ports import Broker
from lovemachine.registry.aliases import Alias
from lovemachine.review.audit import audit_sample_from
from workers.consumer import BatchingConsumer
from workers.handler import ListingHandler, RetryPolicy
from workers.metrics import MetricsServer, WorkerCollector, WorkerMetrics
from workers.outbox_sweeper import OutboxSweeper
from workers.outcome import BatchOutcome
from workers.provider import ScorerProvider
from workers.shadow import ShadowScorer

log = logging.getLogger(__name__)


def make_image_scorer(settings: Settings) -> ImageScorer | None:
    """open_nsfw over bounded fetches, or None when images are switched off."""
    if not settings.images_enabled:
        return None
    from lovemachine.adapters.images import scorer_from

    return scorer_from(settings)  # http(s) only, public addresses only (image_allowed_hosts: test hosts)


@dataclass
class Worker:
    consumer: BatchingConsumer
    provider: ScorerProvider
    store: SqlStore
    shadow: ShadowScorer | None = None
    sweeper: OutboxSweeper | None = None
    image_scorer: ImageScorer | None = None
    metrics: WorkerMetrics = field(default_factory=WorkerMetrics)
    """This worker's Prometheus registry and metrics (``serve_metrics`` exposes them)."""

    def serve_metrics(self, port: int, host: str = "0.0.0.0") -> MetricsServer:
        """``/metrics``, ``/healthz`` (the pull streams live) and ``/readyz`` (a model loaded, the
        database answering) on ``host:port`` (0: a free port, ``.port`` says which)."""
        return MetricsServer(
            self.metrics.registry, healthy=self.healthy, ready=self.ready, host=host, port=port
        ).start()

    def healthy(self) -> tuple[bool, str]:
        if self.consumer.failure is not None:
            return False, f"streaming pull failed: {self.consumer.failure}"
        return True, "ok"

    def ready(self) -> tuple[bool, str]:
        try:
            version = self.provider.version
        except Exception as exc:
            return False, f"no model: {exc}"
        try:
            self.store.ping()
        except Exception as exc:
            return False, f"database unreachable: {type(exc).__name__}"
        return True, f"ok: {version}"

    def start(self) -> Worker:
        """Start polling for alias moves and rules, the shadow, then the consumer and the sweeper."""
        self.provider.start()
        if self.shadow is not None:
            self.shadow.start()
        self.consumer.start()
        if self.sweeper is not None:
            self.sweeper.start()
        return self

    def stop(self, grace_s: float = 20.0) -> BatchOutcome:
        """Stop the consumer gracefully (nothing lost), then the shadow and the polling.

        ONE deadline, ``grace_s`` from now, bounds it all: the consumer gets the grace period, the
        shadow what is left of it (what it has not scored is simply not shadowed), and the pollers
        are not waited for beyond it.
        """
        deadline = time.monotonic() + grace_s
        if self.sweeper is not None:
            _bounded(self.sweeper.stop, deadline)  # within about a second; what it left is swept later
        totals = self.consumer.stop(grace_s=max(0.0, deadline - time.monotonic()))
        if self.shadow is not None:
            shadow = self.shadow
            _bounded(lambda: shadow.stop(grace_s=max(0.0, deadline - time.monotonic())), deadline)
        _bounded(self.provider.stop, deadline)
        return totals

    def stats(self) -> dict[str, Any]:
        """What the worker did and runs: message totals, the live model (and any refused), the shadow."""
        totals = self.consumer.totals.as_dict()  # counts and latency quantiles
        return {
            "messages": totals,
            "model": self.provider.stats(),
            "shadow": self.shadow.stats_dict() if self.shadow is not None else None,
            "outbox_sweeper": self.sweeper.stats_dict() if self.sweeper is not None else None,
        }


def build_worker(
    settings: Settings,
    *,
    broker: Broker,
    store: SqlStore | None = None,
    on_batch: Callable[[BatchOutcome], None] | None = None,
) -> Worker:
    store = store or SqlStore(
        make_engine(settings.database_url),
        audit_sample=audit_sample_from(settings),
        dsa=settings.dsa_policy(),
    )
    topology = topology_from(settings)
    broker.ensure_topology(topology)
    image_scorer = make_image_scorer(settings)
    provider = ScorerProvider(
        registry=store,
        rules=store,
        alias=Alias.CHAMPION,
        refresh_seconds=settings.rules_refresh_seconds,
        image_scorer=image_scorer,
    )
    shadow = (
        ShadowScorer(
            registry=store,
            store=store,
            champion=provider.get,
            alias=Alias.CHALLENGER,
            refresh_seconds=settings.rules_refresh_seconds,
            max_pending=settings.shadow_max_pending_batches,
            image_scorer=image_scorer,
        )
        if settings.shadow_enabled
        else None
    )
    metrics = WorkerMetrics()
    if shadow is not None:
        shadow.on_compared = metrics.shadowed
    handler = ListingHandler(
        metrics=metrics,
        scorer=provider.get,
        store=store,
        broker=broker,
        topology=topology,
        shadow=shadow.submit if shadow is not None else None,
        retry=RetryPolicy(
            initial_s=settings.retry_initial_s,
            max_s=settings.retry_max_s,
            max_hold_s=settings.retry_max_hold_s,
        ),
    )
    sweeper = (
        OutboxSweeper(
            store=store,
            broker=broker,
            topology=topology,
            interval_s=settings.outbox_sweep_interval_s,
            min_age_s=settings.outbox_sweep_min_age_s,
            lookback_s=settings.outbox_sweep_lookback_s,
        )
        if settings.outbox_sweep_interval_s > 0
        else None
    )
    consumer = BatchingConsumer(
        broker=broker,
        subscription=topology.listing_subscription,
        handler=handler,
        batch_size=settings.batch_size,
        max_wait_s=settings.batch_max_wait_ms / 1000.0,
        max_outstanding=settings.flow_control_max_messages,
        on_batch=on_batch,
        streams=settings.subscriber_streams,
    )
    if shadow is not None and settings.shadow_yield_backlog:
        yield_at = settings.shadow_yield_backlog
        shadow.busy = lambda: consumer.backlog() >= yield_at  # the champion is catching up: yield
    worker = Worker(
        consumer=consumer,
        provider=provider,
        store=store,
        shadow=shadow,
        sweeper=sweeper,
        image_scorer=image_scorer,
        metrics=metrics,
    )
    metrics.registry.register(WorkerCollector(worker, metrics))
    return worker


def _bounded(fn: Callable[[], object], deadline: float) -> None:
    """Run ``fn`` but wait for it only until ``deadline`` (it goes on in a daemon thread)."""
    t = threading.Thread(target=fn, name="lovemachine-stop", daemon=True)
    t.start()
    t.join(timeout=max(0.0, deadline - time.monotonic()))
    if t.is_alive():
        name = getattr(fn, "__qualname__", fn)
        log.warning("%s did not finish by the shutdown deadline; not waiting for it", name)


class WorkerFailedError(RuntimeError):
    """The worker stopped by itself (its streams failed for good, or its batching thread died); the
    process should exit non-zero so that its supervisor restarts it. ``totals``: what it did."""

    def __init__(self, reason: str, totals: BatchOutcome) -> None:
        super().__init__(reason)
        self.totals = totals


def run_until_signalled(
    worker: Worker,
    stop: threading.Event | None = None,
    grace_s: float = 20.0,
    stats_every_s: float = 60.0,
    close: Callable[[float], object] | None = None,
) -> BatchOutcome:
    """Run the worker until SIGTERM/SIGINT (or ``stop`` is set), then shut down gracefully; log its
    stats every ``stats_every_s`` and at the end.

    Returns the totals after a requested stop (signal or ``stop``). Raises ``WorkerFailedError``
    (after the same graceful shutdown) when the worker stopped by itself: a stream that failed for
    good (``consumer.failure``) or a dead batching thread. ``lovemachine worker`` exits 1 then.
    ``close(seconds)`` (e.g. the broker's close) runs after the worker stopped, with what is left of
    the grace period (at least 0.5 s)."""
    stop = stop or threading.Event()
    failed: str | None = None

    def _handler(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %d: shutting down", signum)
        stop.set()

    previous = {s: signal.signal(s, _handler) for s in (signal.SIGTERM, signal.SIGINT)}
    next_stats = time.monotonic() + stats_every_s
    try:
        worker.start()
        while not stop.wait(0.5):
            if not worker.consumer.running:
                failure = worker.consumer.failure
                failed = f"streaming pull failed: {failure}" if failure else "consumer thread died"
                log.error("%s; stopping", failed)
                break
            if time.monotonic() >= next_stats:
                log.info("worker stats: %s", json.dumps(worker.stats()))
                next_stats = time.monotonic() + stats_every_s
    finally:
        deadline = time.monotonic() + grace_s
        totals = worker.stop(grace_s=grace_s)
        if close is not None:
            try:
                close(max(0.5, deadline - time.monotonic()))
            except Exception:
                log.exception("closing after the worker stopped failed")
        log.info("worker stats: %s", json.dumps(worker.stats()))
        for s, h in previous.items():
            signal.signal(s, h)
    if failed is not None:
        raise WorkerFailedError(failed, totals)
    return totals
