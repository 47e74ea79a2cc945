"""The gRPC channels of the Pub/Sub clients, and watching whether Pub/Sub is reachable.

Channels carry no 4 MiB receive limit (the client sets none on GCP, but its emulator channel has
gRPC's default), so messages up to Pub/Sub's 10 MB are received; after an outage they try to
reconnect at least every 5 s. ``Reachability`` turns a channel's connectivity into "Pub/Sub at HOST
unreachable for N s" warnings.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

import grpc
from google.cloud import pubsub_v1
from google.cloud.pubsub_v1.types import BatchSettings
from google.pubsub_v1.services.publisher.transports.grpc import PublisherGrpcTransport
from google.pubsub_v1.services.subscriber.transports.grpc import SubscriberGrpcTransport

log = logging.getLogger("lovemachine.adapters.pubsub")

LOG_EVERY_S = 5.0  # "unreachable for N s" warnings

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


def emulator_host() -> str | None:
    return os.environ.get("PUBSUB_EMULATOR_HOST") or None


def _channel_factory(create: Callable[..., grpc.Channel]) -> Callable[..., grpc.Channel]:
    def make(host: str, **kwargs: Any) -> grpc.Channel:
        kwargs["options"] = list({**dict(kwargs.get("options") or ()), **dict(CHANNEL_OPTIONS)}.items())
        return create(host, **kwargs)

    return make


def make_subscriber_client() -> pubsub_v1.SubscriberClient:
    """A subscriber client whose channel has ``CHANNEL_OPTIONS`` (emulator or GCP)."""
    host = emulator_host()
    if host:
        channel = grpc.insecure_channel(host, options=CHANNEL_OPTIONS)
        return pubsub_v1.SubscriberClient(transport=SubscriberGrpcTransport(channel=channel, host=host))
    factory = _channel_factory(SubscriberGrpcTransport.create_channel)
    return pubsub_v1.SubscriberClient(transport=functools.partial(SubscriberGrpcTransport, channel=factory))


def make_publisher_client(batch_settings: BatchSettings) -> pubsub_v1.PublisherClient:
    """A publisher client whose channel has ``CHANNEL_OPTIONS`` (emulator or GCP)."""
    host = emulator_host()
    if host:
        channel = grpc.insecure_channel(host, options=CHANNEL_OPTIONS)
        return pubsub_v1.PublisherClient(
            batch_settings=batch_settings, transport=PublisherGrpcTransport(channel=channel, host=host)
        )
    factory = _channel_factory(PublisherGrpcTransport.create_channel)
    return pubsub_v1.PublisherClient(
        batch_settings=batch_settings, transport=functools.partial(PublisherGrpcTransport, channel=factory)
    )


class Reachability:
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
            if down < LOG_EVERY_S or now - self._last_log < LOG_EVERY_S:
                return
            self._last_log, self._logged = now, True
        log.warning("Pub/Sub at %s unreachable for %.0f s (%s)", self.target, down, what)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._channel.unsubscribe(self._on_state)
