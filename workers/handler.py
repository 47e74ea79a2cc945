"""Batch handler: message bytes -> ack | retry | dead-letter.

The order of effects is what makes the worker lose nothing:

1. parse every message; a malformed one is published to the dead-letter topic with the error as an
   attribute, and acked only once that publish is confirmed;
2. score the valid listings with one model snapshot;
3. record decisions, review items and audit entries in ONE transaction (redelivery finds the existing
   decision: "already decided" is a success);
4. publish a ``moderation-actions`` message for every hide/report whose action is not yet marked
   published (a transactional-outbox flag, so a crash between 3 and 4 re-publishes on redelivery and
   a crash after 4 does not publish twice);
5. ack only after all of that. Any failure nacks, and the broker redelivers. A message that keeps
   failing (a poison message) is dead-lettered with its error on its last allowed delivery;
6. only then hand the listings to the shadow (the challenger, ``workers.shadow``), which queues them
   and returns at once: nothing the shadow does can delay, fail or double an ack or an action.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lovemachine.errors import InvalidEventError
from lovemachine.listings import Listing, ModerationAction, parse_event
from lovemachine.policy import Action, Decision
from lovemachine.ports import Broker, DecisionStore, ReceivedMessage, RecordedDecision, Topology
from lovemachine.services.scoring import Scorer

log = logging.getLogger(__name__)
PUBLISH_TIMEOUT = 30.0


@dataclass
class BatchOutcome:
    acked: int = 0
    nacked: int = 0
    dead_lettered: int = 0
    decided: int = 0
    redelivered_already_decided: int = 0
    actions_published: int = 0
    actions: dict[str, int] = field(default_factory=dict)
    latencies_s: list[float] = field(default_factory=list)

    def add(self, other: BatchOutcome) -> None:
        for name in (
            "acked",
            "nacked",
            "dead_lettered",
            "decided",
            "redelivered_already_decided",
            "actions_published",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for k, v in other.actions.items():
            self.actions[k] = self.actions.get(k, 0) + v
        self.latencies_s.extend(other.latencies_s)


def action_message(d: Decision) -> bytes:
    msg = ModerationAction(
        listing_id=d.listing_id,
        listing_version=d.listing_version,
        action=d.action.value,  # type: ignore[arg-type]
        scores=d.scores,
        reasons=d.reasons,
        model_version=d.model_version,
        decided_at=d.decided_at,
    )
    return msg.model_dump_json().encode()


class ListingHandler:
    def __init__(
        self,
        *,
        scorer: Callable[[], Scorer],
        store: DecisionStore,
        broker: Broker,
        topology: Topology,
        shadow: Callable[[Sequence[Listing]], object] | None = None,
    ) -> None:
        self._scorer = scorer
        self._store = store
        self._broker = broker
        self._t = topology
        self._shadow = shadow

    # ------------------------------------------------------------------ public
    def handle_batch(self, messages: Sequence[ReceivedMessage]) -> BatchOutcome:
        out = BatchOutcome()
        valid: list[tuple[ReceivedMessage, Listing]] = []
        invalid: list[tuple[ReceivedMessage, Exception]] = []
        for m in messages:
            try:
                valid.append((m, parse_event(m.data).listing))
            except InvalidEventError as exc:
                invalid.append((m, exc))
        if invalid:
            self._dead_letter(invalid, out)
        if not valid:
            return out
        try:
            self._process(valid, out)
        except Exception as exc:
            if len(valid) == 1:
                self._fail(valid[0][0], exc, out)
            else:
                # isolate the poison message: retry one by one, so one bad listing cannot block a batch
                log.warning("batch of %d failed (%s); retrying one by one", len(valid), exc)
                for item in valid:
                    try:
                        self._process([item], out)
                    except Exception as exc1:
                        self._fail(item[0], exc1, out)
        return out

    # ------------------------------------------------------------------ steps
    def _process(self, items: Sequence[tuple[ReceivedMessage, Listing]], out: BatchOutcome) -> None:
        scorer = self._scorer()  # ONE snapshot: every listing here is scored by the same model version
        unique: dict[tuple[str, int], Listing] = {}
        for _m, listing in items:
            unique.setdefault((listing.id, listing.version), listing)
        listings = list(unique.values())
        decisions = scorer.score(listings)
        recorded = self._store.record_decisions(list(zip(listings, decisions, strict=True)))
        self._publish_actions(recorded, out)
        now = datetime.now(UTC)
        for m, _listing in items:
            m.ack()
            out.acked += 1
            pt = getattr(m, "publish_time", None)
            if pt is not None:
                out.latencies_s.append((now - pt).total_seconds())
        for r in recorded:
            if r.created:
                out.decided += 1
                a = r.decision.action.value
                out.actions[a] = out.actions.get(a, 0) + 1
            else:
                out.redelivered_already_decided += 1
        if self._shadow is not None:
            try:
                self._shadow(listings)
            except Exception:  # the shadow must never fail the champion's path
                log.exception("could not hand %d listings to the shadow", len(listings))

    def _publish_actions(self, recorded: Sequence[RecordedDecision], out: BatchOutcome) -> None:
        pending = [
            r.decision
            for r in recorded
            if r.decision.action in (Action.HIDE, Action.REPORT) and not r.action_published
        ]
        if not pending:
            return
        futures = [
            self._broker.publish(
                self._t.actions_topic,
                action_message(d),
                action=d.action.value,
                listing_id=d.listing_id,
                model_version=d.model_version,
            )
            for d in pending
        ]
        for f in futures:
            f.result(timeout=PUBLISH_TIMEOUT)
        self._store.mark_actions_published(
            [(d.listing_id, d.listing_version, d.model_version) for d in pending]
        )
        out.actions_published += len(pending)

    def _dead_letter(self, items: Sequence[tuple[ReceivedMessage, Exception]], out: BatchOutcome) -> None:
        futures = []
        for m, exc in items:
            attrs: dict[str, Any] = dict(m.attributes or {})
            attrs.update(
                error=str(exc)[:1024],
                error_code=getattr(exc, "code", type(exc).__name__),
                source_subscription=self._t.listing_subscription,
                source_message_id=str(m.message_id),
                delivery_attempt=str(m.delivery_attempt or 1),
            )
            futures.append((m, self._broker.publish(self._t.dead_letter_topic, m.data, **attrs)))
        for m, f in futures:
            try:
                f.result(timeout=PUBLISH_TIMEOUT)
            except Exception:
                log.exception("could not dead-letter message %s; nacking it", m.message_id)
                m.nack()
                out.nacked += 1
                continue
            log.warning("dead-lettered message %s", m.message_id)
            m.ack()
            out.dead_lettered += 1

    def _fail(self, m: ReceivedMessage, exc: Exception, out: BatchOutcome) -> None:
        attempt = m.delivery_attempt or 1
        log.warning("message %s failed on delivery %d: %s", m.message_id, attempt, exc)
        # dead_letter_policy counts deliveries; on the last one we dead-letter it ourselves so the
        # error travels with it. Before that, nack: the broker redelivers.
        try:
            last_allowed = self._t.max_delivery_attempts
        except AttributeError:
            last_allowed = 5
        if attempt >= last_allowed:
            self._dead_letter(
                [(m, PoisonMessageError(f"failed {attempt} deliveries; last error: {exc!r}"))], out
            )
        else:
            m.nack()
            out.nacked += 1


class PoisonMessageError(Exception):
    code = "poison_message"


def describe(outcome: BatchOutcome) -> str:
    return json.dumps({k: v for k, v in outcome.__dict__.items() if k != "latencies_s"})
