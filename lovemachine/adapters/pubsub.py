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
* ``pull`` messages are not extended: they are redelivered when the subscription's ack deadline passes.
* On GCP, dead-lettering needs the Pub/Sub service agent to be allowed to publish to the dead-letter
  topic and to subscribe to the source subscription; ``ensure_topology`` does not grant IAM roles.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import queue
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from typing import Any

import grpc
from google.api_core import exceptions as gexc
from google.cloud import pubsub_v1
from google.cloud.pubsub_v1.subscriber.exceptions import AcknowledgeStatus
from google.cloud.pubsub_v1.subscriber.futures import StreamingPullFuture
from google.cloud.pubsub_v1.subscriber.scheduler import ThreadScheduler
from google.cloud.pubsub_v1.types import BatchSettings, FlowControl
from google.pubsub_v1.types import DeadLetterPolicy
from google.pubsub_v1.types import ReceivedMessage as PbReceivedMessage

from lovemachine.ports import ReceivedMessage, StreamingPull, Topology, create_topology

log = logging.getLogger(__name__)

_ACK_IDS_PER_CALL = 1000

__all__ = ["PubSubBroker", "PulledMessage"]


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


class _StreamingPulls:
    """One or more client streams on one subscription, cancelled and awaited together.

    ``cancel()`` first half-closes each stream (ends its request side, as a client that is done
    would) and only then cancels it. The emulator ignores a bare cancellation: it keeps the dead
    stream and goes on "delivering" redeliveries to it, so an unacked message would come back only
    after that stream's 60 s ack deadline, again and again. After a half-close the server ends the
    stream itself. Like the client's own ``cancel()``, this returns at once; ``result()`` waits.
    """

    def __init__(
        self, broker: PubSubBroker, streams: list[tuple[StreamingPullFuture, ThreadScheduler]]
    ) -> None:
        self._broker = broker
        self._futures = [fut for fut, _ in streams]
        self._schedulers = [sched for _, sched in streams]
        self._lock = threading.Lock()
        self._cancel_requested = False

    def cancel(self) -> None:
        with self._lock:
            if self._cancel_requested:
                return
            self._cancel_requested = True
        threading.Thread(target=self._close, name="pubsub-stream-close", daemon=True).start()

    def _close(self) -> None:
        try:
            for fut in self._futures:
                if not fut.done():
                    _half_close(fut)
        finally:
            for fut in self._futures:
                fut.cancel()

    def result(self, timeout: float | None = None) -> None:
        # The client's future resolves to True on a clean shutdown and raises on a failed stream.
        deadline = None if timeout is None else time.monotonic() + timeout
        for fut in self._futures:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                fut.result(timeout=remaining)
            except gexc.GoogleAPICallError as exc:
                # The stream we half-closed ends "with an error" that carries no status: that is ours.
                if not (self._cancel_requested and exc.grpc_status_code in (None, grpc.StatusCode.OK)):
                    raise
        self._broker._forget(self)


def _half_close(fut: StreamingPullFuture, wait_s: float = 1.0) -> None:
    """End the request side of the stream behind ``fut`` and wait (briefly) for the server to end it.

    Uses client internals (google-cloud-pubsub 2.x); if they are not there, does nothing.
    """
    manager = getattr(fut, "_StreamingPullFuture__manager", None)
    rpc = getattr(manager, "_rpc", None)
    requests = getattr(rpc, "_request_queue", None)
    call = getattr(rpc, "call", None)
    if requests is None or call is None or not hasattr(call, "is_active"):
        return
    requests.put(None)  # the request generator ends: gRPC sends END_STREAM
    end = time.monotonic() + wait_s
    while call.is_active() and time.monotonic() < end:
        time.sleep(0.01)


class PubSubBroker:
    """Publish and subscribe on Pub/Sub topics and subscriptions of ``project``.

    Names passed to the methods are short ids (``listing-events``); full paths
    (``projects/p/topics/listing-events``) are accepted too.

    ``subscriber_streams`` > 1 opens that many streaming pulls (each on its own client, sharing
    ``max_messages`` between them) per ``subscribe`` call: one emulator stream tops out at about
    2,000 msgs/s, several reach 7,000-10,000/s.
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
    ) -> None:
        if subscriber_streams < 1:
            raise ValueError("subscriber_streams must be >= 1")
        self.project = project
        self._publisher = pubsub_v1.PublisherClient(
            batch_settings=BatchSettings(
                max_bytes=publisher_batch_max_bytes,
                max_latency=publisher_batch_max_latency,
                max_messages=publisher_batch_max_messages,
            )
        )
        self._subscribers = [pubsub_v1.SubscriberClient()]
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

    # ------------------------------------------------------------------ admin
    def ensure_topology(self, topology: Topology) -> None:
        create_topology(self, topology)

    def ensure_topic(self, topic: str) -> None:
        with contextlib.suppress(gexc.AlreadyExists):
            self._publisher.create_topic(request={"name": self.topic_path(topic)})

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
            self._subscribers[0].create_subscription(request=request)

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
                self._subscribers.append(pubsub_v1.SubscriberClient())
            clients = self._subscribers[:n_streams]
        streams: list[tuple[StreamingPullFuture, ThreadScheduler]] = []
        for i, client in enumerate(clients):
            # Share max_messages so that all streams together never exceed it.
            share = max_messages // n_streams + (1 if i < max_messages % n_streams else 0)
            flow = FlowControl(max_messages=share, max_lease_duration=self._max_lease_duration)
            scheduler = ThreadScheduler(
                executor=ThreadPoolExecutor(self._callback_threads, thread_name_prefix=f"pubsub-cb-{i}")
            )
            fut = client.subscribe(path, callback, flow_control=flow, scheduler=scheduler)
            fut.add_done_callback(functools.partial(self._start_settler, client, path, scheduler))
            streams.append((fut, scheduler))
        handle = _StreamingPulls(self, streams)
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
    def close(self) -> None:
        """Cancel open streaming pulls, flush and stop the publisher, close the clients (idempotent)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            streams, self._streams = self._streams, []
        for handle in streams:
            handle.cancel()
        for handle in streams:
            try:
                handle.result(timeout=10)
            except Exception:  # a stream that failed already said so to its owner
                log.debug("streaming pull ended with an error during close", exc_info=True)
        self._closing.set()  # settlers send what is queued, then stop
        with self._lock:
            settlers, self._settlers = self._settlers, []
        for settler in settlers:
            settler.join(timeout=5)
        self._publisher.stop()
        for client in self._subscribers:
            client.close()

    def __enter__(self) -> PubSubBroker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
