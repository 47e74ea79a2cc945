"""The worker's handler on the in-memory store and the embedded broker: no database, no emulator.
The store passes the decision port's contract tests with SQLite and PostgreSQL
(tests/contract/test_decision_port.py), so what the handler does here is what it does in production:
decide, store, publish the action, ack; dead-letter what cannot be parsed; act once on a redelivery."""

from __future__ import annotations

from lovemachine.adapters.local_broker import LocalBroker
from lovemachine.adapters.memory import MemoryStore
from lovemachine.listings import LabelledListing, ModerationAction
from lovemachine.policy import Policy
from lovemachine.registry import LoadedModel
from lovemachine.review.audit import AuditSample
from lovemachine.services.scoring import Scorer
from tests.integration.test_worker import FakeMessage as Msg
from tests.plugins.model import event_bytes
from tests.plugins.pubsub import unique_topology
from trainers.train import TrainResult
from workers.handler import ListingHandler


def _handler(trained: TrainResult, policy: Policy | None = None):  # type: ignore[no-untyped-def]
    store = MemoryStore(audit_sample=AuditSample(rate_hidden=0.0, rate_allowed=0.0))
    broker, topology = LocalBroker(), unique_topology()
    broker.ensure_topology(topology)
    scorer = Scorer(model=LoadedModel("mem-1", trained.model, policy or trained.policy, {}))
    handler = ListingHandler(scorer=lambda: scorer, store=store, broker=broker, topology=topology)
    return handler, store, broker, topology


def test_decisions_are_stored_actions_published_and_messages_acked(
    trained: TrainResult, stream_rows: list[LabelledListing]
) -> None:
    everything_flagged = Policy.uniform(
        report=0.0, hide=1.0
    )  # every listing is reported (or hidden): each acts
    handler, store, broker, topology = _handler(trained, everything_flagged)
    messages = [Msg(event_bytes(r), f"m{i}") for i, r in enumerate(stream_rows[:40])]
    out = handler.handle_batch([*messages, Msg(b"{not json", "bad")])
    assert out.acked == 40 and out.dead_lettered == 1 and all(m.acked for m in messages)
    assert store.count_decisions() == 40 and store.count_review_items() == 40
    actions = broker.pull(topology.actions_subscription, max_messages=100, timeout=5)
    published = [ModerationAction.model_validate_json(a.data) for a in actions]
    assert sorted(a.listing_id for a in published) == sorted(r.listing.id for r in stream_rows[:40])
    assert (
        store.unpublished_actions(decided_before=max(a.decided_at for a in published).replace(year=2100))
        == []
    )
    broker.close()


def test_a_redelivered_batch_is_acked_and_acts_once(
    trained: TrainResult, stream_rows: list[LabelledListing]
) -> None:
    handler, store, broker, topology = _handler(trained, Policy.uniform(report=0.0, hide=1.0))
    rows = stream_rows[:10]
    handler.handle_batch([Msg(event_bytes(r), f"a{i}") for i, r in enumerate(rows)])
    again = [Msg(event_bytes(r), f"b{i}") for i, r in enumerate(rows)]
    out = handler.handle_batch(again)
    assert out.acked == 10 and all(m.acked for m in again)
    assert store.count_decisions() == 10
    actions = broker.pull(topology.actions_subscription, max_messages=100, timeout=5)
    assert len(actions) == 10  # published with the first delivery, not again
    broker.close()
