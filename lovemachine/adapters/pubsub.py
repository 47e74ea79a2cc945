"""``Broker`` on Google Cloud Pub/Sub (``google-cloud-pubsub``), on GCP or on the emulator.

The client reads ``PUBSUB_EMULATOR_HOST`` itself: set it and the same code talks to the local
emulator (``lovemachine.adapters.pubsub_emulator``) instead of GCP.

The channels (message size, reconnects, reachability warnings) are in ``pubsub_channels``; the
supervised streaming pulls behind ``subscribe`` in ``pubsub_streams``.

Semantics worth knowing:

* ``subscribe`` hands the client's own ``Message`` objects to the callback. While the stream is open
  the client extends their leases (up to ``max_lease_duration``, 1 h), so a slow batch is not
  redelivered. A callback that raises gets its message nacked and ends the stream (``result()``
  raises), as the client does.
* ``cancel()`` keeps the port's promise that messages already handed out stay the caller's to ack
  or nack: the client itself drops acks made after its stream closed, so this module sends them
  (``AfterCancelSettler``). Unsettled ones come back about 10 s after cancel (the client's lease).
  It also half-closes the stream before cancelling it, without which the emulator keeps "delivering"
  redeliveries to the dead stream (``StreamingPulls``). Both use client internals (2.x) and fall
  back to the client's plain behaviour if those are missing.
* Streams are supervised (``StreamingPulls``): a client stream that ends with an error we did not
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
import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from datetime import datetime
from typing import Any

from google.api_core import exceptions as gexc, retry as gretry
from google.cloud import pubsub_v1
from google.cloud.pubsub_v1.subscriber.scheduler import ThreadScheduler
from google.cloud.pubsub_v1.types import BatchSettings, FlowControl
from google.pubsub_v1.types import DeadLetterPolicy, ReceivedMessage as PbReceivedMessage

from lovemachine.adapters.pubsub_channels import (
    CHANNEL_OPTIONS,
    LOG_EVERY_S,
    Reachability,
    emulator_host,
    make_publisher_client,
    make_subscriber_client,
)
from lovemachine.adapters.pubsub_streams import (
    AfterCancelSettler,
    Slot,
    StreamFailedError,
    StreamingPulls,
)
from lovemachine.errors import PubSubUnavailableError
from lovemachine.ports import ReceivedMessage, StreamingPull, Topology, create_topology

log = logging.getLogger(__name__)

_UNAVAILABLE = (
    gexc.ServiceUnavailable,
    gexc.DeadlineExceeded,
    gexc.InternalServerError,
    gexc.Aborted,
    gexc.Unknown,
)

__all__ = ["CHANNEL_OPTIONS", "PubSubBroker", "PubSubUnavailableError", "PulledMessage", "StreamFailedError"]


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
        self._target = emulator_host() or "pubsub.googleapis.com"
        self._reach: dict[int, Reachability] = {}
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
        self._streams: list[StreamingPulls] = []
        self._settlers: list[AfterCancelSettler] = []
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
    def _watch(self, client: Any) -> Reachability | None:
        channel = getattr(getattr(client, "_transport", None), "grpc_channel", None)
        if channel is None:
            return None
        reach = Reachability(self._target, channel)
        self._reach[id(client)] = reach
        return reach

    def _reachability(self, client: Any) -> Reachability | None:
        return self._reach.get(id(client))

    def _admin_retry(self, what: str) -> gretry.Retry:
        """Retry an admin call while Pub/Sub is unreachable, saying so every few seconds."""
        started = time.monotonic()
        last = [0.0]

        def on_error(exc: Exception) -> None:
            now = time.monotonic()
            if now - started >= LOG_EVERY_S and now - last[0] >= LOG_EVERY_S:
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
        slots: list[Slot] = []
        for i, client in enumerate(clients):
            # Share max_messages so that all streams together never exceed it.
            share = max_messages // n_streams + (1 if i < max_messages % n_streams else 0)
            flow = FlowControl(max_messages=share, max_lease_duration=self._max_lease_duration)
            slots.append(Slot(i, client, flow))
        handle = StreamingPulls(
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
        settler = AfterCancelSettler(self, client, path, scheduler.queue)
        settler.start()
        with self._lock:
            self._settlers = [t for t in self._settlers if t.is_alive()]
            self._settlers.append(settler)

    def _forget(self, handle: StreamingPulls) -> None:
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
