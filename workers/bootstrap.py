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
from dataclasses import dataclass
from types import FrameType
from typing import Any

from lovemachine.adapters.brokers import topology_from
from lovemachine.adapters.sql import SqlStore, make_engine
from lovemachine.config import Settings
from lovemachine.images import ImageScorer
from lovemachine.ports import Broker
from lovemachine.review.audit import audit_sample_from
from workers.consumer import BatchingConsumer
from workers.handler import BatchOutcome, ListingHandler
from workers.provider import ScorerProvider
from workers.shadow import ShadowScorer

log = logging.getLogger(__name__)


def make_image_scorer(settings: Settings) -> ImageScorer | None:
    """open_nsfw over bounded fetches, or None when images are switched off."""
    if not settings.images_enabled:
        return None
    from lovemachine.adapters.images import ImageFetcher, NsfwImageScorer

    fetcher = ImageFetcher(timeout_s=settings.image_timeout_s, max_bytes=settings.image_max_bytes)
    return NsfwImageScorer(fetcher=fetcher, max_images_per_listing=settings.images_per_listing)


@dataclass
class Worker:
    consumer: BatchingConsumer
    provider: ScorerProvider
    store: SqlStore
    shadow: ShadowScorer | None = None

    def start(self) -> Worker:
        """Start polling for alias moves and rules, the shadow, then the consumer."""
        self.provider.start()
        if self.shadow is not None:
            self.shadow.start()
        self.consumer.start()
        return self

    def stop(self, grace_s: float = 20.0) -> BatchOutcome:
        """Stop the consumer gracefully (nothing lost), then the shadow and the polling."""
        totals = self.consumer.stop(grace_s=grace_s)
        if self.shadow is not None:
            self.shadow.stop(grace_s=grace_s)
        self.provider.stop()
        return totals

    def stats(self) -> dict[str, Any]:
        """What the worker did and runs: message totals, the live model (and any refused), the shadow."""
        totals = {k: v for k, v in self.consumer.totals.__dict__.items() if k != "latencies_s"}
        return {
            "messages": totals,
            "model": self.provider.stats(),
            "shadow": self.shadow.stats_dict() if self.shadow is not None else None,
        }


def build_worker(
    settings: Settings,
    *,
    broker: Broker,
    store: SqlStore | None = None,
    on_batch: Callable[[BatchOutcome], None] | None = None,
) -> Worker:
    store = store or SqlStore(make_engine(settings.database_url), audit_sample=audit_sample_from(settings))
    topology = topology_from(settings)
    broker.ensure_topology(topology)
    image_scorer = make_image_scorer(settings)
    provider = ScorerProvider(
        registry=store,
        rules=store,
        alias="champion",
        refresh_seconds=settings.rules_refresh_seconds,
        image_scorer=image_scorer,
    )
    shadow = (
        ShadowScorer(
            registry=store,
            store=store,
            champion=provider.get,
            alias="challenger",
            refresh_seconds=settings.rules_refresh_seconds,
            max_pending=settings.shadow_max_pending_batches,
            image_scorer=image_scorer,
        )
        if settings.shadow_enabled
        else None
    )
    handler = ListingHandler(
        scorer=provider.get,
        store=store,
        broker=broker,
        topology=topology,
        shadow=shadow.submit if shadow is not None else None,
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
    return Worker(consumer=consumer, provider=provider, store=store, shadow=shadow)


def run_until_signalled(
    worker: Worker, stop: threading.Event | None = None, grace_s: float = 20.0, stats_every_s: float = 60.0
) -> BatchOutcome:
    """Run the worker until SIGTERM/SIGINT (or ``stop`` is set), then shut down gracefully; log its
    stats every ``stats_every_s`` and at the end."""
    stop = stop or threading.Event()

    def _handler(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %d: shutting down", signum)
        stop.set()

    previous = {s: signal.signal(s, _handler) for s in (signal.SIGTERM, signal.SIGINT)}
    next_stats = time.monotonic() + stats_every_s
    try:
        worker.start()
        while not stop.wait(0.5):
            if not worker.consumer.running:
                log.error("consumer thread died; stopping")
                break
            if time.monotonic() >= next_stats:
                log.info("worker stats: %s", json.dumps(worker.stats()))
                next_stats = time.monotonic() + stats_every_s
    finally:
        totals = worker.stop(grace_s=grace_s)
        log.info("worker stats: %s", json.dumps(worker.stats()))
        for s, h in previous.items():
            signal.signal(s, h)
    return totals
