"""Composition root for a worker process: settings -> adapters -> handler -> consumer.

Deployment roles decide what a process runs; this module wires the scorer role. It is the only
place that picks concrete adapters (SQL store, Pub/Sub or embedded broker).
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType

from lovemachine.adapters.brokers import topology_from
from lovemachine.adapters.sql import SqlStore, make_engine
from lovemachine.config import Settings
from lovemachine.images import ImageScorer
from lovemachine.ports import Broker
from workers.consumer import BatchingConsumer
from workers.handler import BatchOutcome, ListingHandler
from workers.provider import ScorerProvider

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


def build_worker(
    settings: Settings,
    *,
    broker: Broker,
    store: SqlStore | None = None,
    on_batch: Callable[[BatchOutcome], None] | None = None,
) -> Worker:
    store = store or SqlStore(make_engine(settings.database_url))
    topology = topology_from(settings)
    broker.ensure_topology(topology)
    provider = ScorerProvider(
        registry=store,
        rules=store,
        alias="champion",
        refresh_seconds=settings.rules_refresh_seconds,
        image_scorer=make_image_scorer(settings),
    )
    handler = ListingHandler(scorer=provider.get, store=store, broker=broker, topology=topology)
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
    return Worker(consumer=consumer, provider=provider, store=store)


def run_until_signalled(
    worker: Worker, stop: threading.Event | None = None, grace_s: float = 20.0
) -> BatchOutcome:
    """Run the consumer until SIGTERM/SIGINT (or ``stop`` is set), then shut down gracefully."""
    stop = stop or threading.Event()

    def _handler(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %d: shutting down", signum)
        stop.set()

    previous = {s: signal.signal(s, _handler) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        worker.consumer.start()
        while not stop.wait(0.5):
            if not worker.consumer.running:
                log.error("consumer thread died; stopping")
                break
    finally:
        totals = worker.consumer.stop(grace_s=grace_s)
        for s, h in previous.items():
            signal.signal(s, h)
    return totals
