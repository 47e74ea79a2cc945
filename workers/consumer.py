"""Streaming pull -> batches -> handler, with graceful shutdown.

The broker's callback threads only enqueue messages; one batching thread takes up to ``batch_size``
messages (or whatever arrived within ``max_wait`` of the first) and hands them to the handler, so the
model scores in vectorised batches. Flow control on the subscription bounds how many unacked
messages can be queued here.

Shutdown (SIGTERM, Ctrl-C, ``stop()``): stop pulling, finish what is already queued within a grace
period, nack anything left. Unacked messages are redelivered by the broker, so nothing is lost.
Everything ``stop(grace_s)`` waits for is bounded by ONE deadline, ``grace_s`` from the call: the
batching thread drains until shortly before it, then the handler is told to stop retrying
(``ListingHandler.stop_retrying()``, where it has it); a batch still running at the deadline is left
unacked, for redelivery. Messages that arrive after ``stop()`` began are nacked at once.

The streams are watched: the broker re-opens a failed stream itself (``lovemachine.adapters.pubsub``);
a stream that ends for good while we did not stop it stops the consumer, which records why in
``failure`` (``run_until_signalled`` then raises ``WorkerFailedError``: the process exits non-zero
and its supervisor restarts it).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable

from lovemachine.listings.schema import MAX_EVENT_BYTES
from lovemachine.ports import Broker, ReceivedMessage, StreamingPull
from workers.handler import ListingHandler
from workers.outcome import BatchOutcome

log = logging.getLogger(__name__)

_WATCH_EVERY_S = 0.5
_STOP_MARGIN_S = 2.0  # of the grace period, kept for the streams' close and the final nacks


class StreamEndedError(RuntimeError):
    """A streaming pull ended although nobody stopped the consumer."""


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
        self._intake_closed = threading.Event()
        self._drain_deadline = float("inf")
        self._next_watch = 0.0
        self.failure: BaseException | None = None
        """Why the consumer stopped by itself (a stream that failed for good), else None."""
        self._streams: list[StreamingPull] = []
        self._thread: threading.Thread | None = None
        self.totals = BatchOutcome()
        self._totals_lock = threading.Lock()

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> BatchingConsumer:
        # one streaming pull delivers ~2,000 msgs/s from the emulator; several in parallel go further
        per_stream = max(1, self._max_outstanding // self._n_streams)
        self._streams = [
            self._broker.subscribe(self._subscription, self._receive, max_messages=per_stream)
            for _ in range(self._n_streams)
        ]
        self._thread = threading.Thread(target=self._loop, name="lovemachine-batcher", daemon=True)
        self._thread.start()
        return self

    def stop(self, grace_s: float = 10.0) -> BatchOutcome:
        """Stop pulling, finish queued messages within ``grace_s``, nack the rest. Idempotent.

        Returns within ``grace_s`` (plus scheduling noise) whatever the broker, the database or the
        handler do: one deadline bounds every wait.
        """
        deadline = time.monotonic() + grace_s

        def remaining() -> float:
            return max(0.0, deadline - time.monotonic())

        self._intake_closed.set()
        for stream in self._streams:
            stream.cancel()
        margin = min(_STOP_MARGIN_S, grace_s * 0.25)
        self._drain_deadline = deadline - margin
        self._stopping.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=max(0.0, self._drain_deadline - time.monotonic()))
            if self._thread.is_alive():
                stop_retrying = getattr(self._handler, "stop_retrying", None)
                if stop_retrying is not None:
                    stop_retrying()  # a batch waiting out an outage gives up: nacked, redelivered
                self._thread.join(timeout=max(0.0, remaining() - margin / 2))
            if self._thread.is_alive():
                log.warning("a batch was still running at the shutdown deadline; left for redelivery")
        for stream in self._streams:
            try:
                stream.result(timeout=remaining())
            except Exception:  # a cancelled stream may raise; shutting down anyway
                log.debug("stream ended with an error during shutdown", exc_info=True)
        self._nack_remaining()
        return self.totals

    def __enter__(self) -> BatchingConsumer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _receive(self, m: ReceivedMessage) -> None:
        """The broker's callback: queue the message (nack it once shutting down)."""
        if self._intake_closed.is_set():
            m.nack()
            return
        size = len(m.data)
        if size > MAX_EVENT_BYTES:
            log.warning(
                "message %s is %d bytes, over the %d-byte event limit: it will be dead-lettered",
                m.message_id,
                size,
                MAX_EVENT_BYTES,
            )
        self._queue.put(m)

    def _watch_streams(self) -> bool:
        """False (and ``failure`` set) when a stream ended although we did not stop it."""
        now = time.monotonic()
        if now < self._next_watch:
            return True
        self._next_watch = now + _WATCH_EVERY_S
        for stream in self._streams:
            try:
                stream.result(timeout=0)
            except TimeoutError:
                continue  # still running: the normal case
            except Exception as exc:
                self.failure = exc
            else:
                self.failure = StreamEndedError("a streaming pull ended without an error")
            if self._stopping.is_set():
                self.failure = None
                return True
            log.error("streaming pull on %s ended for good: %s; stopping", self._subscription, self.failure)
            return False
        return True

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
            if not self._stopping.is_set() and not self._watch_streams():
                self._intake_closed.set()
                for stream in self._streams:
                    stream.cancel()
                return  # queued messages are nacked by stop()
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
