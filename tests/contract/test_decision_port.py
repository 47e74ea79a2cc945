"""The worker's decision port (``lovemachine.ports.DecisionStore``) as a contract: the same tests on
SQLite, PostgreSQL and the in-memory store (``lovemachine.adapters.memory.MemoryStore``). What a new
decision causes comes from one plan (``lovemachine.review.effects``) in both."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from lovemachine.adapters.memory import MemoryStore
from lovemachine.adapters.sql import SqlStore, make_engine
from lovemachine.adapters.sql.tables import audit_log, decisions
from lovemachine.listings import Listing
from lovemachine.policy import Action
from lovemachine.ports import DecisionStore, RecordedDecision, RuleStore
from lovemachine.review.audit import AuditSample
from tests.contract.test_sql_store import MODEL, T0, batch, count, make_decision, make_listing

NO_AUDIT = AuditSample(rate_hidden=0.0, rate_allowed=0.0)


class Harness:
    """The port, plus reads the contract checks that each implementation answers its own way."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.sql = isinstance(store, SqlStore)

    def status(self, listing_id: str) -> str | None:
        if self.sql:
            stored = self.store.get_listing(listing_id)
            return stored.status if stored else None
        return self.store.listing_status(listing_id)

    def listing(self, listing_id: str) -> Listing | None:
        if self.sql:
            stored = self.store.get_listing(listing_id)
            return stored.listing if stored else None
        return self.store.stored_listing(listing_id)

    def n_decisions(self) -> int:
        return count(self.store, decisions) if self.sql else self.store.count_decisions()

    def n_audit(self) -> int:
        return count(self.store, audit_log) if self.sql else len(self.store.audit_entries)

    def n_review(self, queue: str | None = None) -> int:
        return (
            self.store.count_review_items(queue=queue) if self.sql else self.store.count_review_items(queue)
        )


@pytest.fixture(params=["sqlite", "postgresql", "memory"])
def h(request: pytest.FixtureRequest) -> Iterator[Harness]:
    if request.param == "memory":
        store: Any = MemoryStore(audit_sample=NO_AUDIT)
    else:
        from lovemachine.adapters.sql.migrate import upgrade

        if request.param == "sqlite":
            url = f"sqlite:///{request.getfixturevalue('tmp_path') / 'decisions.db'}"
        else:
            url = request.getfixturevalue("postgres_database_url")
        upgrade(url)
        store = SqlStore(make_engine(url), audit_sample=NO_AUDIT)
    ports: tuple[DecisionStore, RuleStore] = (store, store)
    assert all(p is store for p in ports)
    try:
        yield Harness(store)
    finally:
        if isinstance(store, SqlStore):
            store.dispose()


def test_a_batch_stores_listings_decisions_and_what_they_cause(h: Harness) -> None:
    allow, report, hide = (make_listing(f"L{i}") for i in range(3))
    items = [
        (allow, make_decision(allow)),
        (report, make_decision(report, Action.REPORT, category="cash", score=0.7)),
        (hide, make_decision(hide, Action.HIDE, category="counterfeit", score=0.99)),
    ]
    recorded = h.store.record_decisions(items)
    assert [r.decision for r in recorded] == [d for _, d in items]
    assert all(r.created and not r.action_published for r in recorded)
    assert [h.status(i) for i in ("L0", "L1", "L2", "nope")] == ["visible", "visible", "hidden", None]
    assert h.listing("L0") == allow
    assert h.store.decisions_for("L2") == [items[2][1]]
    assert (h.n_review(), h.n_review("cash"), h.n_review("counterfeit"), h.n_audit()) == (2, 1, 1, 2)


def test_a_redelivery_changes_nothing_and_returns_what_is_stored(h: Harness) -> None:
    items = batch(9)
    first = h.store.record_decisions(items)
    later = [(x, make_decision(x, Action.HIDE, category="cash")) for x, _ in items]
    second = h.store.record_decisions(later)  # same keys, other content: the stored one wins
    assert all(r.created for r in first) and not any(r.created for r in second)
    assert [r.decision for r in second] == [d for _, d in items]
    assert (h.n_decisions(), h.n_review(), h.n_audit()) == (9, 6, 6)


def test_a_key_twice_in_one_batch_is_created_once(h: Harness) -> None:
    x = make_listing()
    d = make_decision(x, Action.REPORT, category="cash")
    assert [r.created for r in h.store.record_decisions([(x, d), (x, d)])] == [True, False]
    assert (h.n_decisions(), h.n_review()) == (1, 1)


def test_one_decision_acts_per_listing_version_whichever_model_scores_it(h: Harness) -> None:
    x = make_listing()
    old = make_decision(x, Action.REPORT, category="cash", model_version="m-1")
    h.store.record_decisions([(x, old)])
    again = h.store.record_decisions(
        [(x, make_decision(x, Action.HIDE, category="cash", model_version="m-2"))]
    )
    assert not again[0].created and again[0].decision == old
    assert h.n_decisions() == 1 and h.status("L1") == "visible"


def test_versions_newer_get_their_own_decision_and_older_never_overwrite(h: Harness) -> None:
    v1, v2 = make_listing(version=1, title="old"), make_listing(version=2, title="new")
    h.store.record_decisions([(v2, make_decision(v2))])
    late = h.store.record_decisions([(v1, make_decision(v1, Action.HIDE, category="cash"))])
    assert late[0].created  # the late decision on v1 is recorded ...
    assert h.listing("L1") == v2 and h.status("L1") == "visible"  # ... but never hides v2
    assert [d.listing_version for d in h.store.decisions_for("L1")] == [1, 2]


def test_the_outbox_flag_round_trips_and_bounds_the_sweep(h: Harness) -> None:
    items = [
        (x, make_decision(x, a, category=None if a is Action.ALLOW else "cash"))
        for x, a in zip(
            (make_listing(f"P{i}") for i in range(4)),
            (Action.HIDE, Action.REPORT, Action.ALLOW, Action.HIDE),
            strict=True,
        )
    ]
    h.store.record_decisions(items)
    h.store.mark_actions_published([("P1", 1, MODEL), ("missing", 1, MODEL)])
    h.store.mark_actions_published([])
    assert [r.action_published for r in h.store.record_decisions(items)] == [False, True, False, False]
    decided_at = items[0][1].decided_at
    pending = h.store.unpublished_actions(decided_before=decided_at + timedelta(seconds=1))
    assert [d.listing_id for d in pending] == ["P0", "P3"]  # hides and reports only, oldest first
    assert h.store.unpublished_actions(decided_before=decided_at) == []
    assert len(h.store.unpublished_actions(decided_before=T0 + timedelta(days=3650), limit=1)) == 1


def test_two_writers_racing_on_one_batch_agree(h: Harness) -> None:
    items = batch(60, prefix="R-")
    barrier = threading.Barrier(2)
    results: list[list[RecordedDecision]] = [[], []]

    def work(slot: int) -> None:
        barrier.wait()
        results[slot] = h.store.record_decisions(items)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    a, b = results
    assert [x.decision for x in a] == [y.decision for y in b] == [d for _, d in items]
    assert all(x.created != y.created for x, y in zip(a, b, strict=True))
    assert h.n_decisions() == 60


def test_a_pair_of_another_listing_is_refused(h: Harness) -> None:
    with pytest.raises(ValueError, match="paired with"):
        h.store.record_decisions([(make_listing(version=2), make_decision(make_listing(version=1)))])
    assert h.listing("L1") is None
