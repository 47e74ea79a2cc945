"""Broker fixtures: the embedded ``LocalBroker`` and Pub/Sub on a real emulator.

* ``pubsub_emulator`` (session): ONE emulator for the whole session, started on a free port, or the
  one ``PUBSUB_EMULATOR_HOST`` already points at. It sets ``PUBSUB_EMULATOR_HOST`` for the session.
* ``pubsub_broker`` / ``local_broker``: ``(broker, topology)`` with freshly, uniquely named topics and
  subscriptions already created, so tests never see each other's messages.
* ``any_broker``: parametrized over ``local`` and ``pubsub``; contract tests use it to run on both.

A missing ``gcloud`` fails the Pub/Sub tests (they are part of the default suite) with a clear error.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from lovemachine.adapters.local_broker import LocalBroker
from lovemachine.adapters.pubsub import PubSubBroker
from lovemachine.adapters.pubsub_emulator import EMULATOR_ENV, EmulatorError, PubSubEmulator
from lovemachine.ports import Broker, Topology

TEST_PROJECT = "lovemachine-test"
TEST_ACK_DEADLINE_SECONDS = 10  # the smallest Pub/Sub accepts; the same on both brokers
TEST_MAX_DELIVERY_ATTEMPTS = 5


@dataclass(frozen=True)
class EmulatorInfo:
    host: str
    project: str
    started_here: bool


def unique_topology(
    prefix: str = "lm",
    *,
    ack_deadline_seconds: int = TEST_ACK_DEADLINE_SECONDS,
    max_delivery_attempts: int = TEST_MAX_DELIVERY_ATTEMPTS,
) -> Topology:
    u = uuid.uuid4().hex[:10]
    return Topology(
        listing_topic=f"{prefix}-listing-{u}",
        listing_subscription=f"{prefix}-listing-sub-{u}",
        actions_topic=f"{prefix}-actions-{u}",
        actions_subscription=f"{prefix}-actions-sub-{u}",
        dead_letter_topic=f"{prefix}-dead-letter-{u}",
        dead_letter_subscription=f"{prefix}-dead-letter-sub-{u}",
        max_delivery_attempts=max_delivery_attempts,
        ack_deadline_seconds=ack_deadline_seconds,
    )


def topology_settings(topology: Topology) -> dict[str, Any]:
    """The ``Settings`` fields that point a worker at ``topology`` on the test project."""
    return {
        "broker": "pubsub",
        "gcp_project": TEST_PROJECT,
        "listing_topic": topology.listing_topic,
        "listing_subscription": topology.listing_subscription,
        "actions_topic": topology.actions_topic,
        "actions_subscription": topology.actions_subscription,
        "dead_letter_topic": topology.dead_letter_topic,
        "dead_letter_subscription": topology.dead_letter_subscription,
        "ack_deadline_seconds": topology.ack_deadline_seconds,
        "max_delivery_attempts": topology.max_delivery_attempts,
    }


def wait_until(cond: Callable[[], object], timeout: float = 30.0, what: str = "condition") -> None:
    """Poll ``cond`` every 20 ms until it is truthy; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.02)


@pytest.fixture(scope="session")
def pubsub_emulator() -> Iterator[EmulatorInfo]:
    existing = os.environ.get(EMULATOR_ENV)
    if existing:
        yield EmulatorInfo(host=existing, project=TEST_PROJECT, started_here=False)
        return
    emulator = PubSubEmulator(project=TEST_PROJECT)
    try:
        emulator.start()
    except EmulatorError as exc:
        pytest.fail(f"could not start the Pub/Sub emulator: {exc}", pytrace=False)
    os.environ[EMULATOR_ENV] = emulator.host
    try:
        yield EmulatorInfo(host=emulator.host, project=TEST_PROJECT, started_here=True)
    finally:
        if os.environ.get(EMULATOR_ENV) == emulator.host:
            del os.environ[EMULATOR_ENV]
        emulator.stop()


@pytest.fixture
def pubsub_broker(pubsub_emulator: EmulatorInfo) -> Iterator[tuple[PubSubBroker, Topology]]:
    topology = unique_topology()
    broker = PubSubBroker(pubsub_emulator.project)
    try:
        broker.ensure_topology(topology)
        yield broker, topology
    finally:
        broker.close()
        with PubSubBroker(pubsub_emulator.project) as admin:
            admin.delete_topology(topology)


@pytest.fixture
def local_broker() -> Iterator[tuple[LocalBroker, Topology]]:
    topology = unique_topology()
    broker = LocalBroker()
    try:
        broker.ensure_topology(topology)
        yield broker, topology
    finally:
        broker.close()


@pytest.fixture(params=["local", "pubsub"])
def any_broker(request: pytest.FixtureRequest) -> tuple[Broker, Topology]:
    fixture = "local_broker" if request.param == "local" else "pubsub_broker"
    broker, topology = request.getfixturevalue(fixture)
    return broker, topology
