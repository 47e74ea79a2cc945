"""``Broker`` on Google Cloud Pub/Sub (``google-cloud-pubsub``), on GCP or on the emulator.

The client reads ``PUBSUB_EMULATOR_HOST`` itself: set it and the same code talks to the local
emulator (``lovemachine.adapters.pubsub_emulator``) instead of GCP.

Semantics worth knowing:

* ``subscribe`` hands the client's own ``Message`` objects to the callback. While the stream is open
  the client extends their leases (up to ``max_lease_duration``, 1 h), so a slow batch is not
  redelivered. A callback that raises gets its message nacked and ends the stream (``result()``
  raises), as the client does.
* ``cancel()`` keeps the port's promise that messages already handed out stay the caller's to ack
  or nack: the client itself drops acks made after its stream closed, so this module sends them
  (``_AfterCancelSettler``). Unsettled ones come back about 10 s after cancel (the client's lease).
  It also half-closes the stream before cancelling it, without which the emulator keeps "delivering"
  redeliveries to the dead stream (``_StreamingPulls``). Both use client internals (2.x) and fall
  back to the client's plain behaviour if those are missing.
* Streams are supervised (``_StreamingPulls``): a client stream that ends with an error we did not
  ask for (the client gives up after 60 s of failed lease/ack calls during an outage, or the server
  answers NotFound) is logged and re-opened with capped backoff. It gives up, and ``result()``
  raises ``StreamFailedError``, once the stream has been down for ``give_up_s`` or a non-retryable
  status (NotFound, PermissionDenied, ...) came back ``fatal_attempts`` times in a row.
* While Pub/Sub is unreachable the broker logs a warning every few seconds ("Pub/Sub at HOST
  unreachable for N s"), at start-up too (admin calls log the same and give up after ``admin_timeout_s``
  with ``PubSubUnavailableError``).
* ``cancel()`` also nacks what the client holds but never showed us: once paused by flow control
  the client stops reading, while the server (the emulator ignores flow control) keeps sending;
  those messages would come back only after their ack deadline (~55 s). After the half-close the
  rest of the stream is read and nacked. ``close(timeout)`` bounds everything by one deadline.
* Channels carry no 4 MiB receive limit (the client sets none on GCP, but its emulator channel has
  gRPC's default): messages up to Pub/Sub's 10 MB are received.
* ``pull`` messages are not extended: they are redelivered when the subscription's ack deadline passes.
* On GCP, dead-lettering needs the Pub/Sub service agent to be allowed to publish to the dead-letter
  topic and to subscribe to the source subscription; ``ensure_topology`` does not grant IAM roles.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from typing import Any

import grpc
from google.api_core import exceptions as gexc
from google.api_core import retry as gretry
from google.cloud import pubsub_v1
from google.cloud.pubsub_v1.subscriber.exceptions import AcknowledgeStatus
from google.cloud.pubsub_v1.subscriber.futures import StreamingPullFuture
from google.cloud.pubsub_v1.subscriber.scheduler import ThreadScheduler
from google.cloud.pubsub_v1.types import BatchSettings, FlowControl
from google.pubsub_v1.services.publisher.transports.grpc import PublisherGrpcTransport
from google.pubsub_v1.services.subscriber.transports.grpc import SubscriberGrpcTransport
from google.pubsub_v1.types import DeadLetterPolicy
from google.pubsub_v1.types import ReceivedMessage as PbReceivedMessage

from lovemachine.errors import LovemachineError
from lovemachine.ports import ReceivedMessage, StreamingPull, Topology, create_topology

log = logging.getLogger(__name__)

_ACK_IDS_PER_CALL = 1000
_LOG_EVERY_S = 5.0  # "unreachable for N s" warnings
_UNARY_TIMEOUT_S = 5.0  # nacks sent while closing
_HEALTHY_AFTER_S = 30.0  # a re-opened stream up this long (and reachable) resets the failure count

CHANNEL_OPTIONS: list[tuple[str, Any]] = [
    # Pub/Sub allows 10 MB messages and a pull response may carry several: like the client's own GCP
    # channel, no limit (the emulator channel the client builds has gRPC's 4 MiB default).
    ("grpc.max_send_message_length", -1),
    ("grpc.max_receive_message_length", -1),
    ("grpc.max_metadata_size", 4 * 1024 * 1024),
    # No keepalive of our own: on GCP the client's channel already pings every 30 s; the emulator's
    # server answers pings that often with GOAWAY "too_many_pings", which breaks every stream.
    # after an outage, try to reconnect at least every 5 s (gRPC's default backoff grows to 120 s)
    ("grpc.max_reconnect_backoff_ms", 5_000),
]

_FATAL_STREAM_ERRORS = (
    gexc.NotFound,
    gexc.PermissionDenied,
    gexc.Unauthenticated,
    gexc.InvalidArgument,
    gexc.FailedPrecondition,
)
_UNAVAILABLE = (
    gexc.ServiceUnavailable,
    gexc.DeadlineExceeded,
    gexc.InternalServerError,
    gexc.Aborted,
    gexc.Unknown,
)

__all__ = ["CHANNEL_OPTIONS", "PubSubBroker", "PubSubUnavailableError", "PulledMessage", "StreamFailedError"]


class StreamFailedError(LovemachineError):
    """A streaming pull could not be kept open (Pub/Sub down too long, or a non-retryable status)."""


class PubSubUnavailableError(LovemachineError):
    """An admin call (creating topics and subscriptions) could not reach Pub/Sub in time."""


def _emulator_host() -> str | None:
    return os.environ.get("PUBSUB_EMULATOR_HOST") or None


def _channel_factory(create: Callable[..., grpc.Channel]) -> Callable[..., grpc.Channel]:
    def make(host: str, **kwargs: Any) -> grpc.Channel:
        kwargs["options"] = list({**dict(kwargs.get("options") or ()), **dict(CHANNEL_OPTIONS)}.items())
        return create(host, **kwargs)

    return make


def make_subscriber_client() -> pubsub_v1.SubscriberClient:
    """A subscriber client whose channel has ``CHANNEL_OPTIONS`` (emulator or GCP)."""
    host = _emulator_host()
    if host:
        channel = grpc.insecure_channel(host, options=CHANNEL_OPTIONS)
        return pubsub_v1.SubscriberClient(transport=SubscriberGrpcTransport(channel=channel, host=host))
    factory = _channel_factory(SubscriberGrpcTransport.create_channel)
    return pubsub_v1.SubscriberClient(transport=functools.partial(SubscriberGrpcTransport, channel=factory))


def make_publisher_client(batch_settings: BatchSettings) -> pubsub_v1.PublisherClient:
    """A publisher client whose channel has ``CHANNEL_OPTIONS`` (emulator or GCP)."""
    host = _emulator_host()
    if host:
        channel = grpc.insecure_channel(host, options=CHANNEL_OPTIONS)
        return pubsub_v1.PublisherClient(
            batch_settings=batch_settings, transport=PublisherGrpcTransport(channel=channel, host=host)
        )
    factory = _channel_factory(PublisherGrpcTransport.create_channel)
    return pubsub_v1.PublisherClient(
        batch_settings=batch_settings, transport=functools.partial(PublisherGrpcTransport, channel=factory)
    )


class _Reachability:
    """Tracks one channel's connectivity: since when it has been trying and failing to connect."""

    def __init__(self, target: str, channel: grpc.Channel) -> None:
        self.target = target
        self._lock = threading.Lock()
        self._down_since: float | None = None
        self._last_log = 0.0
        self._logged = False
        self._channel = channel
        channel.subscribe(self._on_state, try_to_connect=False)

    def _on_state(self, state: grpc.ChannelConnectivity) -> None:
        now = time.monotonic()
        with self._lock:
            if state is grpc.ChannelConnectivity.READY:
                if self._logged and self._down_since is not None:
                    log.warning(
                        "Pub/Sub at %s reachable again after %.0f s", self.target, now - self._down_since
                    )
                self._down_since, self._logged = None, False
            elif self._down_since is None and state in (
                grpc.ChannelConnectivity.CONNECTING,
                grpc.ChannelConnectivity.TRANSIENT_FAILURE,
            ):
                self._down_since = now

    def down_for(self) -> float:
        with self._lock:
            return 0.0 if self._down_since is None else time.monotonic() - self._down_since

    def maybe_log(self, what: str) -> None:
        down = self.down_for()
        now = time.monotonic()
        with self._lock:
            if down < _LOG_EVERY_S or now - self._last_log < _LOG_EVERY_S:
                return
            self._last_log, self._logged = now, True
        log.warning("Pub/Sub at %s unreachable for %.0f s (%s)", self.target, down, what)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._channel.unsubscribe(self._on_state)


class PulledMessage:
    """A message from a synchronous ``pull``; acks and nacks go out at once as unary calls.

    ``ack``/``nack`` are idempotent: only the first call of either is sent.
    """

    __slots__ = ("_ack_id", "_broker", "_done", "_lock", "_msg", "_subscription", "delivery_attempt")

    def __init__(self, broker: PubSubBroker, subscription: str, received: PbReceivedMessage) -> None:
        self._broker = broker
        self._subscription = subscription
        self._ack_id: str = received.ack_id
        self._msg = received.message
        # The API sends 0 when the subscription has no dead-letter policy; the client maps it to None.
        self.delivery_attempt: int | None = received.delivery_attempt or None
        self._done = False
        self._lock = threading.Lock()

    @property
    def message_id(self) -> str:
        return str(self._msg.message_id)

    @property
    def data(self) -> bytes:
        return bytes(self._msg.data)

    @property
    def attributes(self) -> Mapping[str, str]:
        return dict(self._msg.attributes)

    @property
    def publish_time(self) -> datetime:
        return self._msg.publish_time

    @property
    def ack_id(self) -> str:
        return self._ack_id

    def _settle_once(self) -> bool:
        with self._lock:
            if self._done:
                return False
            self._done = True
            return True

    def ack(self) -> None:
        if self._settle_once():
            self._broker._acknowledge(self._subscription, [self._ack_id])

    def nack(self) -> None:
        if self._settle_once():
            self._broker._modify_ack_deadline(self._subscription, [self._ack_id], 0)

    def __repr__(self) -> str:
        return f"PulledMessage(message_id={self.message_id!r}, delivery_attempt={self.delivery_attempt})"


class _AfterCancelSettler(threading.Thread):
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


class _Slot:
    """One client stream of a ``_StreamingPulls``, re-opened on the same client when it fails."""

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


class _StreamingPulls:
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
        slots: list[_Slot],
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
    def _open(self, slot: _Slot) -> None:
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

    def _give_up(self, slot: _Slot, exc: BaseException, why: str) -> None:
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


class PubSubBroker:
    """Publish and subscribe on Pub/Sub topics and subscriptions of ``project``.

    Names passed to the methods are short ids (``listing-events``); full paths
    (``projects/p/topics/listing-events``) are accepted too.

    ``subscriber_streams`` > 1 opens that many streaming pulls (each on its own client, sharing
    ``max_messages`` between them) per ``subscribe`` call: one emulator stream tops out at about
    2,000 msgs/s, several reach 7,000-10,000/s.

    Resilience (see the module docstring): ``give_up_s`` (a stream down this long fails its handle),
    ``reopen_backoff_max_s`` (longest wait between re-opens), ``fatal_attempts`` (non-retryable
    statuses in a row before giving up), ``admin_timeout_s`` (how long topic and subscription calls
    wait for an unreachable Pub/Sub).
    """

    def __init__(
        self,
        project: str,
        *,
        publisher_batch_max_messages: int = 1000,
        publisher_batch_max_latency: float = 0.01,
        publisher_batch_max_bytes: int = 1_000_000,
        subscriber_streams: int = 1,
        callback_threads: int = 10,
        max_lease_duration: float = 3600.0,
        give_up_s: float = 600.0,
        reopen_backoff_max_s: float = 10.0,
        fatal_attempts: int = 3,
        admin_timeout_s: float = 60.0,
    ) -> None:
        if subscriber_streams < 1:
            raise ValueError("subscriber_streams must be >= 1")
        if give_up_s <= 0 or reopen_backoff_max_s <= 0 or fatal_attempts < 1 or admin_timeout_s <= 0:
            raise ValueError(
                "give_up_s, reopen_backoff_max_s, admin_timeout_s must be > 0, fatal_attempts >= 1"
            )
        self.project = project
        self._give_up_s = give_up_s
        self._reopen_backoff_max_s = reopen_backoff_max_s
        self._fatal_attempts = fatal_attempts
        self._admin_timeout_s = admin_timeout_s
        self._target = _emulator_host() or "pubsub.googleapis.com"
        self._reach: dict[int, _Reachability] = {}
        self._publisher = make_publisher_client(
            BatchSettings(
                max_bytes=publisher_batch_max_bytes,
                max_latency=publisher_batch_max_latency,
                max_messages=publisher_batch_max_messages,
            )
        )
        self._publisher_reach = self._watch(self._publisher)
        self._subscribers = [make_subscriber_client()]
        self._watch(self._subscribers[0])
        self._subscriber_streams = subscriber_streams
        self._callback_threads = callback_threads
        self._max_lease_duration = max_lease_duration
        self._lock = threading.Lock()
        self._streams: list[_StreamingPulls] = []
        self._settlers: list[_AfterCancelSettler] = []
        self._closing = threading.Event()
        self._closed = False

    # ------------------------------------------------------------------ names
    def topic_path(self, topic: str) -> str:
        if topic.startswith("projects/"):
            return topic
        return f"projects/{self.project}/topics/{topic}"

    def subscription_path(self, subscription: str) -> str:
        if subscription.startswith("projects/"):
            return subscription
        return f"projects/{self.project}/subscriptions/{subscription}"

    # ------------------------------------------------------------------ reachability
    def _watch(self, client: Any) -> _Reachability | None:
        channel = getattr(getattr(client, "_transport", None), "grpc_channel", None)
        if channel is None:
            return None
        reach = _Reachability(self._target, channel)
        self._reach[id(client)] = reach
        return reach

    def _reachability(self, client: Any) -> _Reachability | None:
        return self._reach.get(id(client))

    def _admin_retry(self, what: str) -> gretry.Retry:
        """Retry an admin call while Pub/Sub is unreachable, saying so every few seconds."""
        started = time.monotonic()
        last = [0.0]

        def on_error(exc: Exception) -> None:
            now = time.monotonic()
            if now - started >= _LOG_EVERY_S and now - last[0] >= _LOG_EVERY_S:
                last[0] = now
                log.warning(
                    "Pub/Sub at %s unreachable for %.0f s (%s): %s", self._target, now - started, what, exc
                )

        return gretry.Retry(
            predicate=gretry.if_exception_type(*_UNAVAILABLE),
            initial=0.25,
            maximum=2.0,
            multiplier=2.0,
            timeout=self._admin_timeout_s,
            on_error=on_error,
        )

    def _admin(self, what: str, call: Callable[..., Any], request: dict[str, Any]) -> Any:
        try:
            return call(request=request, retry=self._admin_retry(what), timeout=self._admin_timeout_s)
        except (gexc.RetryError, *_UNAVAILABLE) as exc:
            raise PubSubUnavailableError(
                f"Pub/Sub at {self._target} unreachable for {self._admin_timeout_s:.0f} s ({what}): {exc}"
            ) from exc

    # ------------------------------------------------------------------ admin
    def ensure_topology(self, topology: Topology) -> None:
        create_topology(self, topology)

    def ensure_topic(self, topic: str) -> None:
        path = self.topic_path(topic)
        with contextlib.suppress(gexc.AlreadyExists):
            self._admin(f"creating topic {path}", self._publisher.create_topic, {"name": path})

    def ensure_subscription(
        self,
        subscription: str,
        topic: str,
        *,
        ack_deadline_seconds: int = 60,
        dead_letter_topic: str | None = None,
        max_delivery_attempts: int = 5,
    ) -> None:
        """Create the subscription unless it exists (an existing one is left as it is)."""
        request: dict[str, Any] = {
            "name": self.subscription_path(subscription),
            "topic": self.topic_path(topic),
            "ack_deadline_seconds": ack_deadline_seconds,
        }
        if dead_letter_topic is not None:
            request["dead_letter_policy"] = DeadLetterPolicy(
                dead_letter_topic=self.topic_path(dead_letter_topic),
                max_delivery_attempts=max_delivery_attempts,
            )
        with contextlib.suppress(gexc.AlreadyExists):
            self._admin(
                f"creating subscription {request['name']}", self._subscribers[0].create_subscription, request
            )

    def delete_topology(self, topology: Topology) -> None:
        """Delete the subscriptions and topics (missing ones are ignored); for tests and tools."""
        for sub in (
            topology.listing_subscription,
            topology.actions_subscription,
            topology.dead_letter_subscription,
        ):
            with contextlib.suppress(gexc.NotFound):
                self._subscribers[0].delete_subscription(
                    request={"subscription": self.subscription_path(sub)}
                )
        for topic in (topology.listing_topic, topology.actions_topic, topology.dead_letter_topic):
            with contextlib.suppress(gexc.NotFound):
                self._publisher.delete_topic(request={"topic": self.topic_path(topic)})

    # ------------------------------------------------------------------ messaging
    def publish(self, topic: str, data: bytes, **attributes: str) -> Future[str]:
        # The client's future is a concurrent.futures.Future resolving to the message id.
        return self._publisher.publish(self.topic_path(topic), data, **attributes)

    def subscribe(
        self,
        subscription: str,
        callback: Callable[[ReceivedMessage], None],
        *,
        max_messages: int = 1000,
    ) -> StreamingPull:
        if max_messages < 1:
            raise ValueError("max_messages must be >= 1")
        path = self.subscription_path(subscription)
        n_streams = min(self._subscriber_streams, max_messages)
        with self._lock:
            if self._closed:
                raise RuntimeError("broker is closed")
            while len(self._subscribers) < n_streams:
                client = make_subscriber_client()
                self._watch(client)
                self._subscribers.append(client)
            clients = self._subscribers[:n_streams]
        slots: list[_Slot] = []
        for i, client in enumerate(clients):
            # Share max_messages so that all streams together never exceed it.
            share = max_messages // n_streams + (1 if i < max_messages % n_streams else 0)
            flow = FlowControl(max_messages=share, max_lease_duration=self._max_lease_duration)
            slots.append(_Slot(i, client, flow))
        handle = _StreamingPulls(
            self,
            path,
            callback,
            slots,
            reopen_backoff_max_s=self._reopen_backoff_max_s,
            give_up_s=self._give_up_s,
            fatal_attempts=self._fatal_attempts,
        )
        with self._lock:
            self._streams.append(handle)
        return handle

    def pull(self, subscription: str, max_messages: int = 100, timeout: float = 5.0) -> list[ReceivedMessage]:
        """Return the messages available now, polling until ``timeout`` while there are none.

        Polls with ``return_immediately`` (deprecated in the API, still served) instead of one long
        poll: when a long poll is cut short by its deadline, the emulator may already have handed a
        message to it; that delivery is lost and the message only returns after its ack deadline.
        """
        path = self.subscription_path(subscription)
        request = {"subscription": path, "max_messages": max_messages, "return_immediately": True}
        deadline = time.monotonic() + timeout
        pause = 0.02
        while True:
            remaining = deadline - time.monotonic()
            try:
                response = self._subscribers[0].pull(request=request, timeout=max(remaining, 1.0))
            except (gexc.DeadlineExceeded, gexc.RetryError):
                response = None
            if response is not None and response.received_messages:
                return [PulledMessage(self, subscription, rm) for rm in response.received_messages]
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            time.sleep(min(pause, remaining))
            pause = min(pause * 2, 0.25)

    # ------------------------------------------------------------------ internals for PulledMessage
    def _acknowledge(self, subscription: str, ack_ids: list[str]) -> None:
        self._subscribers[0].acknowledge(
            request={"subscription": self.subscription_path(subscription), "ack_ids": ack_ids}
        )

    def _modify_ack_deadline(self, subscription: str, ack_ids: list[str], seconds: int) -> None:
        self._subscribers[0].modify_ack_deadline(
            request={
                "subscription": self.subscription_path(subscription),
                "ack_ids": ack_ids,
                "ack_deadline_seconds": seconds,
            }
        )

    def _start_settler(
        self, client: pubsub_v1.SubscriberClient, path: str, scheduler: ThreadScheduler, _fut: object
    ) -> None:
        # Runs once the stream has shut down, dispatcher included: from now on we own its queue.
        settler = _AfterCancelSettler(self, client, path, scheduler.queue)
        settler.start()
        with self._lock:
            self._settlers = [t for t in self._settlers if t.is_alive()]
            self._settlers.append(settler)

    def _forget(self, handle: _StreamingPulls) -> None:
        with self._lock:
            if handle in self._streams:
                self._streams.remove(handle)

    # ------------------------------------------------------------------ lifecycle
    def close(self, timeout: float | None = None) -> None:
        """Cancel open streaming pulls, flush and stop the publisher, close the clients (idempotent).

        Everything is bounded by ONE deadline, ``timeout`` seconds from now (None: 30 s): what has
        not finished by then (a publisher flush while Pub/Sub is down, nacks) is abandoned when the
        channels close; unacked messages are redelivered, unpublished actions are left to the
        outbox.
        """
        deadline = time.monotonic() + (30.0 if timeout is None else timeout)

        def remaining() -> float:
            return max(0.0, deadline - time.monotonic())

        with self._lock:
            if self._closed:
                return
            self._closed = True
            streams, self._streams = self._streams, []
        for handle in streams:
            handle.cancel(deadline)
        for handle in streams:
            try:
                handle.result(timeout=remaining())
            except Exception:  # a stream that failed already said so to its owner
                log.debug("streaming pull ended with an error during close", exc_info=True)
        self._closing.set()  # settlers send what is queued, then stop
        with self._lock:
            settlers, self._settlers = self._settlers, []
        for settler in settlers:
            settler.join(timeout=min(5.0, remaining()))
        stopper = threading.Thread(target=self._publisher.stop, name="pubsub-publisher-stop", daemon=True)
        stopper.start()
        stopper.join(timeout=remaining())
        if stopper.is_alive():
            log.warning("publisher could not flush before the deadline (Pub/Sub down?); abandoning it")
        for reach in self._reach.values():
            reach.close()

        def close_channels() -> None:  # closing a channel with calls in flight can take seconds
            with contextlib.suppress(Exception):
                self._publisher.transport.close()  # cancels a flush still waiting
            for client in self._subscribers:
                with contextlib.suppress(Exception):
                    client.close()

        closer = threading.Thread(target=close_channels, name="pubsub-close-channels", daemon=True)
        closer.start()
        closer.join(timeout=max(0.5, remaining()))

    def __enter__(self) -> PubSubBroker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
