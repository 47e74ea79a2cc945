"""Batch handler: message bytes -> ack | hold and retry | dead-letter.

The order of effects is what makes the worker lose nothing:

1. parse every message; a malformed one (an ``InvalidEventError``: not UTF-8, not JSON, nested too
   deeply, too large, breaking the contract) is published to the dead-letter topic with the error as
   an attribute, and acked only once that publish is confirmed;
2. score the valid listings with one model snapshot;
3. record decisions, review items and audit entries in ONE transaction (redelivery finds the existing
   decision: "already decided" is a success);
4. publish a ``moderation-actions`` message for every hide/report whose action is not yet marked
   published (a transactional-outbox flag, so a crash between 3 and 4 re-publishes on redelivery or
   from the outbox sweeper, ``workers.outbox_sweeper``, and a crash after 4 does not publish twice);
5. ack only after all of that;
6. only then hand the listings to the shadow (the challenger, ``workers.shadow``), which queues them
   and returns at once: nothing the shadow does can delay, fail or double an ack or an action.

Errors are told apart by ``lovemachine.errors`` (the SQL store raises the core's errors):

* **transient** (``TransientError``: the database or the broker is unreachable, a timeout): the batch
  is *held*, not nacked (Pub/Sub's dead-letter policy counts every nack), and retried with capped,
  jittered exponential backoff while the broker client keeps extending the leases; one log line per
  wait. The batching thread blocking is the back-pressure. ``stop_retrying()`` (shutdown) ends every
  wait within about a second and nacks what is held: redelivered later, never dead-lettered. A batch
  still failing after ``RetryPolicy.max_hold_s`` is nacked (dead-lettered with its error only on its
  last allowed delivery, which Pub/Sub would otherwise do without one);
* **permanent** (``PermanentError``: an invalid event, a row the database refuses): the message is
  isolated from its batch and dead-lettered at once with ``error`` and ``error_code`` attributes;
* **anything else** (a bug, a listing that crashes the scorer): the batch is retried one by one so one
  listing cannot hold the others hostage; the failing one is nacked, and dead-lettered with its last
  error (``poison_message``) on its last allowed delivery.

Every message of a batch is settled (acked or nacked) exactly once by ``handle_batch``, whatever path
it took.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeVar

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_delay,
    wait_exponential,
    wait_random_exponential,
)

from lovemachine.errors import BrokerUnavailableError, InvalidEventError, PermanentError, TransientError
from lovemachine.listings import Listing, parse_event
from lovemachine.policy import Action, Decision
from lovemachine.ports import Broker, DecisionStore, ReceivedMessage, RecordedDecision, Topology
from lovemachine.services.scoring import Scorer
from workers.outcome import BatchOutcome
from workers.publishing import STOP_GRACE_S, action_message, await_confirmations, classify, publish

if TYPE_CHECKING:
    from workers.metrics import WorkerMetrics

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_ATTRIBUTES = 100
"""Pub/Sub's limits on a message's attributes: how many, and bytes per value."""
MAX_ATTRIBUTE_BYTES = 1024


@dataclass(frozen=True)
class RetryPolicy:
    """How the handler waits out transient errors (``Settings.retry_*``)."""

    initial_s: float = 0.5
    """The first wait; each next one doubles, up to ``max_s``, with jitter (a wait is in [d/2, d])."""
    max_s: float = 30.0
    max_hold_s: float = 900.0
    """How long a batch is held through transient errors before it is released (nacked)."""


class PoisonMessageError(Exception):
    code = "poison_message"


class _Released(Exception):
    """The held messages were let go (stop requested): ``handle_batch`` nacks whatever is unsettled."""


class _Batch:
    """The messages of one ``handle_batch`` call and whether each is settled (acked or nacked)."""

    def __init__(self, messages: Sequence[ReceivedMessage]) -> None:
        self.messages = list(messages)
        self.out = BatchOutcome()
        self.occurred: dict[tuple[str, int], datetime] = {}
        """When each valid listing event occurred (for end-to-end latency and time to hide)."""
        self._settled: set[int] = set()

    def settled(self, m: ReceivedMessage) -> bool:
        return id(m) in self._settled

    def unsettled(self, among: Iterable[ReceivedMessage] | None = None) -> list[ReceivedMessage]:
        return [m for m in (self.messages if among is None else among) if id(m) not in self._settled]

    def ack(self, m: ReceivedMessage) -> bool:
        if id(m) in self._settled:
            return False
        self._settled.add(id(m))
        m.ack()
        return True

    def nack(self, m: ReceivedMessage) -> None:
        if id(m) not in self._settled:
            self._settled.add(id(m))
            m.nack()
            self.out.nacked += 1

    def nack_(self, m: ReceivedMessage, _exc: BaseException) -> None:
        self.nack(m)


class ListingHandler:
    def __init__(
        self,
        *,
        scorer: Callable[[], Scorer],
        store: DecisionStore,
        broker: Broker,
        topology: Topology,
        shadow: Callable[[Sequence[Listing], Mapping[tuple[str, int], str]], object] | None = None,
        metrics: WorkerMetrics | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self._scorer = scorer
        self._store = store
        self._broker = broker
        self._t = topology
        self._shadow = shadow
        self._metrics = metrics
        self._retry = retry or RetryPolicy()
        self._stopping = threading.Event()
        self._stop_deadline = float("inf")

    # ------------------------------------------------------------------ public
    def stop_retrying(self) -> None:
        """Shutdown: end every wait within ``STOP_GRACE_S`` and release held messages (nacked, never
        dead-lettered). Batches that succeed meanwhile still finish. Idempotent; call it first in
        ``stop()``."""
        if not self._stopping.is_set():
            self._stop_deadline = time.monotonic() + STOP_GRACE_S
            self._stopping.set()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def handle_batch(self, messages: Sequence[ReceivedMessage]) -> BatchOutcome:
        t0 = time.perf_counter()
        batch = _Batch(messages)
        try:
            self._handle(batch)
        except _Released:
            log.info("released %d held messages (nacked)", len(batch.unsettled()))
        for m in batch.unsettled():  # whatever path was taken, every message is settled once
            batch.nack(m)
        if self._metrics is not None:
            out = batch.out
            self._metrics.batch(
                len(messages), out.acked, out.nacked, out.transient_retries, time.perf_counter() - t0
            )
        return batch.out

    # ------------------------------------------------------------------ steps
    def _handle(self, batch: _Batch) -> None:
        valid: list[tuple[ReceivedMessage, Listing]] = []
        invalid: list[tuple[ReceivedMessage, Exception]] = []
        for m in batch.messages:
            try:
                event = parse_event(m.data)
            except InvalidEventError as exc:
                invalid.append((m, exc))
                continue
            valid.append((m, event.listing))
            batch.occurred[(event.listing.id, event.listing.version)] = event.occurred_at
        if invalid:
            self._dead_letter(batch, invalid)
        if not valid:
            return
        try:
            self._process(batch, valid)
            return
        except _Released:
            raise
        except Exception as exc:
            if len(valid) == 1:
                self._fail(batch, valid[0][0], exc)
                return
            # isolate the bad message: retry one by one, so one listing cannot block its batch
            log.warning("batch of %d failed (%s); retrying one by one", len(valid), _describe_error(exc))
        for item in valid:
            try:
                self._process(batch, [item])
            except _Released:
                raise
            except Exception as exc1:
                self._fail(batch, item[0], exc1)

    def _process(self, batch: _Batch, items: Sequence[tuple[ReceivedMessage, Listing]]) -> None:
        unique: dict[tuple[str, int], Listing] = {}
        for _m, listing in items:
            unique.setdefault((listing.id, listing.version), listing)
        listings = list(unique.values())
        scored: list[Decision] = []
        published: set[tuple[str, int, str]] = set()

        def attempt() -> tuple[list[RecordedDecision], int]:
            if not scored:  # scored once: a retry only records and publishes again
                # ONE snapshot: every listing here is scored by the same model version
                scored.extend(self._scorer().score(listings))
            now = datetime.now(UTC)  # the decision time is when it is recorded (late after an outage)
            decisions = [replace(d, decided_at=now) for d in scored]
            recorded = self._store.record_decisions(list(zip(listings, decisions, strict=True)))
            return recorded, self._publish_actions(recorded, published)

        held = [m for m, _ in items]
        recorded, n_published = self._retrying(
            attempt,
            batch,
            held,
            f"batch of {len(items)} listings",
            give_up=lambda m, exc: self._fail(batch, m, exc, held_s=self._retry.max_hold_s),
        )
        batch.out.actions_published += n_published
        now = datetime.now(UTC)
        for m, _listing in items:
            if batch.ack(m):
                batch.out.acked += 1
                pt = getattr(m, "publish_time", None)
                if pt is not None:
                    batch.out.latency.add((now - pt).total_seconds())
        if self._metrics is not None:
            self._metrics.decided([r.decision for r in recorded if r.created], batch.occurred, now)
        for r in recorded:
            if r.created:
                batch.out.decided += 1
                a = r.decision.action.value
                batch.out.actions[a] = batch.out.actions.get(a, 0) + 1
            else:
                batch.out.redelivered_already_decided += 1
        if self._shadow is not None:
            try:
                self._shadow(listings, {(d.listing_id, d.listing_version): d.action.value for d in scored})
            except Exception:  # the shadow must never fail the champion's path
                log.exception("could not hand %d listings to the shadow", len(listings))

    def _publish_actions(
        self, recorded: Sequence[RecordedDecision], published: set[tuple[str, int, str]]
    ) -> int:
        """Publish the pending actions, then set their outbox flag; ``published`` remembers what the
        broker confirmed across retries, so a retry after a failed flag update does not publish twice."""
        pending = [
            r.decision
            for r in recorded
            if r.decision.action in (Action.HIDE, Action.REPORT) and not r.action_published
        ]
        if not pending:
            return 0
        keys = [(d.listing_id, d.listing_version, d.model_version) for d in pending]
        futures = {
            key: publish(
                self._broker,
                self._t.actions_topic,
                action_message(d),
                action=d.action.value,
                listing_id=d.listing_id,
                model_version=d.model_version,
            )
            for key, d in zip(keys, pending, strict=True)
            if key not in published
        }
        failed = self._await(futures, "publish actions")
        published.update(k for k in futures if k not in failed)
        if failed:
            key, exc = next(iter(failed.items()))
            raise BrokerUnavailableError(
                f"could not publish {len(failed)} of {len(futures)} actions (e.g. {key[0]}): {exc}"
            ) from exc
        self._store.mark_actions_published(keys)
        return len(pending)

    def _await(self, futures: dict[T, Future[str]], what: str) -> dict[T, BaseException]:
        return await_confirmations(futures, what, stop_deadline=lambda: self._stop_deadline)

    def _retrying(
        self,
        step: Callable[[], T],
        batch: _Batch,
        held: Sequence[ReceivedMessage],
        what: str,
        give_up: Callable[[ReceivedMessage, TransientError], None],
    ) -> T:
        """Run ``step``, waiting out transient errors (see the module docstring); re-raise any other.

        While it waits, the messages in ``held`` stay leased (the broker client extends leases). On
        ``stop_retrying()`` it raises ``_Released`` (the caller nacks); after ``max_hold_s`` it passes
        each unsettled one to ``give_up`` and raises ``_Released``."""
        policy = self._retry

        def attempt() -> T:
            try:
                return step()
            except Exception as exc:
                err = classify(exc)
                if err is exc:
                    raise
                raise err from exc

        def before_sleep(state: RetryCallState) -> None:
            batch.out.transient_retries += 1
            exc = state.outcome.exception() if state.outcome is not None else None
            log.warning(
                "%s: transient error on attempt %d (%s); retrying in %.1f s, held %.0f s so far",
                what,
                state.attempt_number,
                _describe_error(exc),
                state.upcoming_sleep,
                state.seconds_since_start or 0.0,
            )

        def sleep(seconds: float) -> None:
            if self._stopping.wait(seconds):
                raise _Released

        if self._stopping.is_set():  # shutting down: one try, no waiting
            try:
                return attempt()
            except TransientError as exc:
                log.warning("%s: %s; not retrying, stop requested", what, _describe_error(exc))
                raise _Released from exc
        half_initial, half_max = policy.initial_s / 2, policy.max_s / 2
        retrying = Retrying(
            retry=retry_if_exception_type(TransientError),
            # "equal jitter": d/2 + uniform(0, d/2), d = initial * 2^n capped at max_s
            wait=wait_exponential(multiplier=half_initial, max=half_max)
            + wait_random_exponential(multiplier=half_initial, max=half_max),
            stop=stop_after_delay(policy.max_hold_s),
            sleep=sleep,
            before_sleep=before_sleep,
            reraise=True,
        )
        try:
            return retrying(attempt)
        except TransientError as exc:
            log.error("%s: still failing after %.0f s (%s); releasing it", what, policy.max_hold_s, exc)
            for m in batch.unsettled(held):
                give_up(m, exc)
            raise _Released from exc

    def _dead_letter(self, batch: _Batch, items: Sequence[tuple[ReceivedMessage, BaseException]]) -> None:
        """Publish each message to the dead-letter topic with its error; ack each one once the broker
        confirmed it. A broker outage is waited out like any transient error."""
        pending = {id(m): (m, self._dead_letter_attributes(m, exc)) for m, exc in items}

        def attempt() -> None:
            futures = {
                key: publish(self._broker, self._t.dead_letter_topic, m.data, **attrs)
                for key, (m, attrs) in pending.items()
            }
            failed = self._await(futures, "dead-letter")
            for key in futures:
                if key in failed:
                    continue
                m, attrs = pending.pop(key)
                log.warning("dead-lettered message %s (%s)", m.message_id, attrs["error_code"])
                if batch.ack(m):
                    batch.out.dead_lettered += 1
                    if self._metrics is not None:
                        self._metrics.dead_letter(attrs["error_code"])
            if failed:
                exc = next(iter(failed.values()))
                raise BrokerUnavailableError(
                    f"could not dead-letter {len(failed)} messages: {_describe_error(exc)}"
                ) from exc

        held = [m for m, _ in items]
        try:
            # past the hold limit a message is nacked: Pub/Sub redelivers it and we try again
            self._retrying(attempt, batch, held, f"dead-lettering {len(items)} messages", give_up=batch.nack_)
        except _Released:
            if not self._stopping.is_set():  # held too long and nacked; the rest of the batch goes on
                return
            raise

    def _dead_letter_attributes(self, m: ReceivedMessage, exc: BaseException) -> dict[str, str]:
        ours = {
            "error": _truncate_utf8(str(exc) or type(exc).__name__, MAX_ATTRIBUTE_BYTES),
            "error_code": str(getattr(exc, "code", type(exc).__name__)),
            "source_subscription": self._t.listing_subscription,
            "source_message_id": str(m.message_id),
            "delivery_attempt": str(m.delivery_attempt or 1),
        }
        theirs = {k: v for k, v in dict(m.attributes or {}).items() if k not in ours}
        keep = sorted(theirs)[: MAX_ATTRIBUTES - len(ours)]  # Pub/Sub allows 100 attributes
        return {**{k: theirs[k] for k in keep}, **ours}

    def _fail(
        self, batch: _Batch, m: ReceivedMessage, exc: BaseException, held_s: float | None = None
    ) -> None:
        """One message failed for good on this delivery: dead-letter a permanent error at once;
        otherwise nack it, and dead-letter it with its error on its last allowed delivery (the
        subscription's dead-letter policy would move it without the error)."""
        if batch.settled(m):
            return
        if isinstance(exc, PermanentError):
            log.warning("message %s refused: %s", m.message_id, _describe_error(exc))
            self._dead_letter(batch, [(m, exc)])
            return
        attempt = m.delivery_attempt or 1
        last_allowed = getattr(self._t, "max_delivery_attempts", 5)
        log.warning("message %s failed on delivery %d: %s", m.message_id, attempt, _describe_error(exc))
        if attempt < last_allowed:
            batch.nack(m)
            return
        if isinstance(exc, TransientError):
            final: BaseException = type(exc)(
                f"still failing after {held_s or 0:.0f} s on delivery {attempt}, the last allowed: {exc}"
            )
        else:
            final = PoisonMessageError(f"failed {attempt} deliveries; last error: {exc!r}")
        self._dead_letter(batch, [(m, final)])


def _describe_error(exc: BaseException | None) -> str:
    if exc is None:
        return "unknown error"
    code = getattr(exc, "code", None)
    return f"{code or type(exc).__name__}: {exc}"


def _truncate_utf8(text: str, limit: int) -> str:
    raw = text.encode("utf-8")
    if len(raw) <= limit:
        return text
    return raw[: limit - 3].decode("utf-8", "ignore") + "..."
