"""Supervised streaming pulls: re-opened after errors, half-closed and drained on cancel.

``StreamingPulls`` is the ``StreamingPull`` handle ``PubSubBroker.subscribe`` returns; see the
module docstring of ``lovemachine.adapters.pubsub`` for the semantics. Uses client internals
(google-cloud-pubsub 2.x) where noted, falling back to the client's plain behaviour if they are
missing.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import grpc
from google.api_core import exceptions as gexc
from google.cloud import pubsub_v1
from google.cloud.pubsub_v1.subscriber.exceptions import AcknowledgeStatus
from google.cloud.pubsub_v1.subscriber.futures import StreamingPullFuture
from google.cloud.pubsub_v1.subscriber.scheduler import ThreadScheduler
from google.cloud.pubsub_v1.types import FlowControl

from lovemachine.errors import (  # re-exported: callers import them from here too
    StreamFailedError as StreamFailedError,
)
from lovemachine.ports import ReceivedMessage

if TYPE_CHECKING:
    from lovemachine.adapters.pubsub import PubSubBroker

log = logging.getLogger("lovemachine.adapters.pubsub")

_ACK_IDS_PER_CALL = 1000
_UNARY_TIMEOUT_S = 5.0  # nacks sent while closing
_HEALTHY_AFTER_S = 30.0  # a re-opened stream up this long (and reachable) resets the failure count

_FATAL_STREAM_ERRORS = (
    gexc.NotFound,
    gexc.PermissionDenied,
    gexc.Unauthenticated,
    gexc.InvalidArgument,
    gexc.FailedPrecondition,
)


class AfterCancelSettler(threading.Thread):
    """Sends the acks and nacks made after a stream shut down, which the client would drop.

    The client's ``Message.ack()`` puts a request on its scheduler's queue; once the stream is closed
    nothing reads that queue any more. This thread reads it (the scheduler is ours) and sends the
    requests as unary calls, so a consumer may finish its in-flight batch after ``cancel()`` as the
    ``StreamingPull`` port promises. It runs until the broker closes or ``window_s`` passes (leases
    granted by the client last at most 600 s).
    """

    def __init__(
        self, broker: PubSubBroker, client: pubsub_v1.SubscriberClient, path: str, requests: queue.Queue[Any]
    ) -> None:
        super().__init__(name="pubsub-after-cancel", daemon=True)
        self._broker = broker
        self._client = client
        self._path = path
        self._requests = requests
        self._window_s = 600.0

    def run(self) -> None:
        end = time.monotonic() + self._window_s
        stop = self._broker._closing
        while time.monotonic() < end:
            items: list[Any] = []
            try:
                items.append(self._requests.get(timeout=0.2))
            except queue.Empty:
                if stop.is_set():
                    return
                continue
            while len(items) < _ACK_IDS_PER_CALL:
                try:
                    items.append(self._requests.get_nowait())
                except queue.Empty:
                    break
            self._send(items)

    def _send(self, items: list[Any]) -> None:
        acks = [r.ack_id for r in items if type(r).__name__ == "AckRequest"]
        modacks: dict[int, list[str]] = {}
        for r in items:
            if type(r).__name__ == "NackRequest":
                modacks.setdefault(0, []).append(r.ack_id)
            elif type(r).__name__ == "ModAckRequest":
                modacks.setdefault(int(r.seconds), []).append(r.ack_id)
        nacks = modacks.get(0, [])
        try:
            if acks:
                self._client.acknowledge(request={"subscription": self._path, "ack_ids": acks})
            for seconds, ack_ids in modacks.items():
                self._client.modify_ack_deadline(
                    request={"subscription": self._path, "ack_ids": ack_ids, "ack_deadline_seconds": seconds}
                )
        except gexc.GoogleAPICallError:
            log.warning(
                "could not send %d acks / %d nacks after cancel", len(acks), len(nacks), exc_info=True
            )
        for r in items:  # ack_with_response()/nack_with_response() futures, if any were used
            fut = getattr(r, "future", None)
            if fut is not None and not fut.done():
                fut.set_result(AcknowledgeStatus.SUCCESS)


class Slot:
    """One client stream of a ``StreamingPulls``, re-opened on the same client when it fails."""

    def __init__(self, index: int, client: pubsub_v1.SubscriberClient, flow: FlowControl) -> None:
        self.index = index
        self.client = client
        self.flow = flow
        self.future: StreamingPullFuture | None = None
        self.scheduler: ThreadScheduler | None = None
        self.opened_at = 0.0
        self.failed_since: float | None = None  # first failure of the current run of failures
        self.failures = 0  # consecutive failed runs
        self.fatal_failures = 0  # consecutive non-retryable statuses
        self.reopen_at: float | None = None


class StreamingPulls:
    """One or more client streams on one subscription, supervised, cancelled and awaited together.

    A client stream that ends with an error we did not ask for is logged and re-opened with capped
    exponential backoff (1 s doubling to ``reopen_backoff_max_s``). The handle gives up (cancels
    every stream; ``result()`` raises ``StreamFailedError``) when a stream has been down, failing or
    unable to reach Pub/Sub, for ``give_up_s``, or a non-retryable status (NotFound,
    PermissionDenied, ...) came back ``fatal_attempts`` times in a row.

    ``cancel()`` first half-closes each stream (ends its request side, as a client that is done
    would), reads what the server had already sent but the client, paused by flow control, never
    read, and nacks it; only then it cancels the stream. The emulator ignores a bare cancellation: it
    keeps the dead stream and goes on "delivering" redeliveries to it, so an unacked message would
    come back only after that stream's 60 s ack deadline, again and again. After a half-close the
    server ends the stream itself. Like the client's own ``cancel()``, this returns at once;
    ``result()`` waits.
    """

    def __init__(
        self,
        broker: PubSubBroker,
        path: str,
        callback: Callable[[ReceivedMessage], None],
        slots: list[Slot],
        *,
        reopen_backoff_max_s: float,
        give_up_s: float,
        fatal_attempts: int,
    ) -> None:
        self._broker = broker
        self._path = path
        self._callback = callback
        self._slots = slots
        self._backoff_max = reopen_backoff_max_s
        self._give_up_s = give_up_s
        self._fatal_attempts = fatal_attempts
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._ended = threading.Event()  # cancelled and closed, or given up
        self._cancel_requested = False
        self._failure: BaseException | None = None
        self._closer: threading.Thread | None = None
        self._close_deadline: float | None = None
        self.reopened = 0
        for slot in slots:
            self._open(slot)
        self._supervisor = threading.Thread(target=self._supervise, name="pubsub-supervisor", daemon=True)
        self._supervisor.start()

    # ------------------------------------------------------------------ streams
    def _open(self, slot: Slot) -> None:
        scheduler = ThreadScheduler(
            executor=ThreadPoolExecutor(
                self._broker._callback_threads, thread_name_prefix=f"pubsub-cb-{slot.index}"
            )
        )
        fut = slot.client.subscribe(self._path, self._callback, flow_control=slot.flow, scheduler=scheduler)
        fut.add_done_callback(
            functools.partial(self._broker._start_settler, slot.client, self._path, scheduler)
        )
        fut.add_done_callback(lambda _f: self._wake.set())
        slot.future, slot.scheduler = fut, scheduler
        slot.opened_at, slot.reopen_at = time.monotonic(), None

    def _supervise(self) -> None:
        while not self._ended.is_set():
            self._wake.wait(1.0)
            self._wake.clear()
            with self._lock:
                if self._cancel_requested or self._failure is not None:
                    return
                try:
                    self._check()
                except Exception:  # never let the supervisor die silently
                    log.exception("streaming pull supervisor on %s failed", self._path)

    def _check(self) -> None:
        now = time.monotonic()
        for slot in self._slots:
            reach = self._broker._reachability(slot.client)
            fut = slot.future
            if reach is not None and reach.down_for() > 0:
                reach.maybe_log(f"streaming pull on {self._path}")
                if slot.failed_since is None:
                    slot.failed_since = now - reach.down_for()
            if fut is not None and fut.done():
                exc = fut.exception() or RuntimeError("the stream ended without an error")
                slot.future = None
                if not isinstance(exc, gexc.GoogleAPICallError | gexc.RetryError):
                    # the callback raised (the client nacked its message): the stream ends, as the
                    # client's does; result() raises that very exception
                    log.error(
                        "streaming pull %d on %s ended: the callback raised %r", slot.index, self._path, exc
                    )
                    self._fail(exc)
                    return
                slot.failures += 1
                fatal = isinstance(exc, _FATAL_STREAM_ERRORS)
                slot.fatal_failures = slot.fatal_failures + 1 if fatal else 0
                if slot.failed_since is None:
                    slot.failed_since = now
                delay = min(self._backoff_max, 2.0 ** (slot.failures - 1))
                slot.reopen_at = now + delay
                log.error(
                    "streaming pull %d on %s ended: %s: %s; re-opening in %.0f s (failure %d)",
                    slot.index,
                    self._path,
                    type(exc).__name__,
                    exc,
                    delay,
                    slot.failures,
                )
                if slot.fatal_failures >= self._fatal_attempts:
                    self._give_up(slot, exc, f"{slot.fatal_failures} times in a row")
                    return
            if slot.failed_since is not None and now - slot.failed_since > self._give_up_s:
                cause: BaseException = RuntimeError("Pub/Sub unreachable")
                self._give_up(slot, cause, f"down for {now - slot.failed_since:.0f} s")
                return
            if slot.future is None and slot.reopen_at is not None and now >= slot.reopen_at:
                try:
                    self._open(slot)
                    self.reopened += 1
                    log.warning("streaming pull %d on %s re-opened", slot.index, self._path)
                except Exception as exc:  # e.g. the client was closed
                    self._give_up(slot, exc, "could not re-open it")
                    return
            healthy = slot.future is not None and not slot.future.done()
            if (
                healthy
                and (reach is None or reach.down_for() == 0)
                and now - slot.opened_at >= _HEALTHY_AFTER_S
            ):
                slot.failed_since, slot.failures, slot.fatal_failures = None, 0, 0

    def _give_up(self, slot: Slot, exc: BaseException, why: str) -> None:
        msg = (
            f"streaming pull {slot.index} on {self._path} failed for good ({why}): "
            f"{type(exc).__name__}: {exc}"
        )
        log.error("%s; giving up", msg)
        failure = StreamFailedError(msg)
        failure.__cause__ = exc
        self._fail(failure)

    def _fail(self, failure: BaseException) -> None:
        self._failure = failure
        self._start_close(time.monotonic() + 10.0)

    # ------------------------------------------------------------------ port
    def cancel(self, deadline: float | None = None) -> None:
        with self._lock:
            if self._cancel_requested:
                return
            self._cancel_requested = True
            self._start_close(deadline if deadline is not None else time.monotonic() + 10.0)
        self._wake.set()

    def _start_close(self, deadline: float) -> None:
        if self._closer is not None:
            return
        self._close_deadline = deadline
        self._closer = threading.Thread(
            target=self._close, args=(deadline,), name="pubsub-stream-close", daemon=True
        )
        self._closer.start()

    def _close(self, deadline: float) -> None:
        futures = [(s, s.future) for s in self._slots if s.future is not None]
        try:
            drains = [
                threading.Thread(
                    target=_half_close_and_nack, args=(fut, s.client, self._path, deadline), daemon=True
                )
                for s, fut in futures
                if not fut.done()
            ]
            for t in drains:
                t.start()
            for t in drains:
                t.join(timeout=max(0.0, min(deadline, time.monotonic() + _DRAIN_MAX_S) - time.monotonic()))
        finally:
            for _s, fut in futures:
                fut.cancel()
            for _s, fut in futures:
                with contextlib.suppress(Exception):
                    fut.result(timeout=max(0.0, deadline - time.monotonic()))
            self._ended.set()

    def done(self) -> bool:
        return self._ended.is_set() and (self._closer is None or not self._closer.is_alive())

    def result(self, timeout: float | None = None) -> None:
        """Wait until the streams have shut down (after ``cancel``) or failed for good.

        Raises ``StreamFailedError`` when the handle gave up, the callback's exception when the
        callback raised (that ends the stream), ``TimeoutError`` when ``timeout`` passes first.
        Errors of the streams we closed ourselves are ours, not failures.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        if not self._ended.wait(timeout):
            raise TimeoutError("streaming pull still running")
        if self._closer is not None:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            self._closer.join(remaining)
        if self._failure is not None:
            raise self._failure
        self._broker._forget(self)


_DRAIN_MAX_S = 5.0  # at most this long spent reading a closing stream's remains


def _half_close_and_nack(
    fut: StreamingPullFuture, client: pubsub_v1.SubscriberClient, path: str, deadline: float
) -> None:
    """End the request side of the stream behind ``fut``, read what the server still sends until it
    ends the stream, and nack it (unary calls, bounded by ``deadline``).

    Uses client internals (google-cloud-pubsub 2.x); if they are not there, does nothing. The
    client's own reader may take some of those responses concurrently: those reach the callback or
    its on-hold list, which the caller and the client's shutdown nack.
    """
    manager = getattr(fut, "_StreamingPullFuture__manager", None)
    rpc = getattr(manager, "_rpc", None)
    requests = getattr(rpc, "_request_queue", None)
    call = getattr(rpc, "call", None)
    if requests is None or call is None or not hasattr(call, "is_active"):
        return
    requests.put(None)  # the request generator ends: gRPC sends END_STREAM
    ack_ids: list[str] = []
    nacked = 0
    try:
        while time.monotonic() < deadline:
            response = next(call)
            ack_ids.extend(rm.ack_id for rm in response.received_messages)
            if len(ack_ids) >= _ACK_IDS_PER_CALL:
                nacked += _nack(client, path, ack_ids, deadline)
                ack_ids = []
    except (StopIteration, grpc.RpcError, ValueError):
        pass  # the stream ended (or was cancelled under us)
    except Exception:
        log.debug("reading the rest of a closing stream failed", exc_info=True)
    if ack_ids:
        nacked += _nack(client, path, ack_ids, deadline)
    if nacked:
        log.info("nacked %d messages the client held unread on %s", nacked, path)


def _nack(client: pubsub_v1.SubscriberClient, path: str, ack_ids: list[str], deadline: float) -> int:
    try:
        client.modify_ack_deadline(
            request={"subscription": path, "ack_ids": ack_ids, "ack_deadline_seconds": 0},
            retry=None,
            timeout=max(0.5, min(_UNARY_TIMEOUT_S, deadline - time.monotonic())),
        )
    except gexc.GoogleAPICallError:
        log.warning(
            "could not nack %d messages on %s; they come back after their ack deadline", len(ack_ids), path
        )
        return 0
    return len(ack_ids)
