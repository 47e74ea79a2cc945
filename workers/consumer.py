"""Streaming pull -> batches -> handler, with graceful shutdown.

The broker's callback threads only enqueue messages; one batching thread takes up to ``batch_size``
messages (or whatever arrived within ``max_wait`` of the first) and hands them to the handler, so the
model scores in vectorised batches. Flow control on the subscription bounds how many unacked
messages can be queued here.

Shutdown (SIGTERM, Ctrl-C, ``stop()``): stop pulling, finish what is already queued within a grace
period, nack anything left. Unacked messages are redelivered by the broker, so nothing is lost.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable

from lovemachine.ports import Broker, ReceivedMessage, StreamingPull
from workers.handler import BatchOutcome, ListingHandler

log = logging.getLogger(__name__)


class BatchingConsumer:
    def __init__(
        self,
        *,
        broker: Broker,
        subscription: str,
        handler: ListingHandler,
        batch_size: int = 256,
        max_wait_s: float = 0.02,
        max_outstanding: int = 2000,
        on_batch: Callable[[BatchOutcome], None] | None = None,
        streams: int = 1,
    ) -> None:
        self._broker = broker
        self._subscription = subscription
        self._handler = handler
        self._batch_size = batch_size
        self._max_wait = max_wait_s
        self._max_outstanding = max_outstanding
        self._on_batch = on_batch
        self._n_streams = max(1, streams)
        self._queue: queue.Queue[ReceivedMessage] = queue.Queue()
        self._stopping = threading.Event()
        self._drain_deadline = float("inf")
        self._streams: list[StreamingPull] = []
        self._thread: threading.Thread | None = None
        self.totals = BatchOutcome()
        self._totals_lock = threading.Lock()

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> BatchingConsumer:
        # one streaming pull delivers ~2,000 msgs/s from the emulator; several in parallel go further
        per_stream = max(1, self._max_outstanding // self._n_streams)
        self._streams = [
            self._broker.subscribe(self._subscription, self._queue.put, max_messages=per_stream)
            for _ in range(self._n_streams)
        ]
        self._thread = threading.Thread(target=self._loop, name="lovemachine-batcher", daemon=True)
        self._thread.start()
        return self

    def stop(self, grace_s: float = 10.0) -> BatchOutcome:
        """Stop pulling, finish queued messages within ``grace_s``, nack the rest. Idempotent."""
        for stream in self._streams:
            stream.cancel()
        for stream in self._streams:
            try:
                stream.result(timeout=grace_s)
            except Exception:  # a cancelled stream may raise; shutting down anyway
                log.debug("stream ended with an error during shutdown", exc_info=True)
        self._drain_deadline = time.monotonic() + grace_s
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=grace_s + 5)
        self._nack_remaining()
        return self.totals

    def __enter__(self) -> BatchingConsumer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def backlog(self) -> int:
        """Messages received and waiting for a batch: large while the worker is catching up."""
        return self._queue.qsize()

    # ------------------------------------------------------------------ loop
    def _take_batch(self) -> list[ReceivedMessage]:
        try:
            first = self._queue.get(timeout=0.1)
        except queue.Empty:
            return []
        batch = [first]
        deadline = time.monotonic() + self._max_wait
        while len(batch) < self._batch_size:
            try:
                batch.append(self._queue.get_nowait())
                continue
            except queue.Empty:
                pass
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                batch.append(self._queue.get(timeout=remaining))
            except queue.Empty:
                break
        return batch

    def _loop(self) -> None:
        while True:
            if self._stopping.is_set() and (self._queue.empty() or time.monotonic() > self._drain_deadline):
                return
            batch = self._take_batch()
            if not batch:
                continue
            try:
                outcome = self._handler.handle_batch(batch)
            except Exception:
                log.exception("handler crashed on a batch of %d; nacking it", len(batch))
                for m in batch:
                    m.nack()
                outcome = BatchOutcome(nacked=len(batch))
            with self._totals_lock:
                self.totals.add(outcome)
            if self._on_batch is not None:
                self._on_batch(outcome)

    def _nack_remaining(self) -> None:
        n = 0
        while True:
            try:
                self._queue.get_nowait().nack()
                n += 1
            except queue.Empty:
                break
        if n:
            log.info("nacked %d queued messages on shutdown", n)
            with self._totals_lock:
                self.totals.nacked += n
