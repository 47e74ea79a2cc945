"""The deploy port (``lovemachine.ports.DeployStore``) as a contract: the same tests on SQLite,
PostgreSQL and the in-memory store (``lovemachine.adapters.memory``), so fast unit tests of promotion
and rollback on the in-memory store say something about production."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from lovemachine.adapters.memory import MemoryDeployStore, MemoryLabel
from lovemachine.adapters.sql import SqlStore, make_engine
from lovemachine.errors import AliasConflictError
from lovemachine.listings import Listing
from lovemachine.policy import Action, Decision
from tests.contract.test_deploy_store import label as sql_label, run_together
from tests.contract.test_sql_store import make_decision, make_listing, version_record


class Harness:
    """The port under test plus the writes a deploy store gets from elsewhere in the product (the
    worker's acting decisions, CS labels), done the way each implementation receives them."""

    def __init__(self, store: Any) -> None:
        self.store = store

    def decide(self, pairs: list[tuple[Listing, Decision]]) -> None:
        if isinstance(self.store, SqlStore):
            self.store.record_decisions(pairs)
        else:
            self.store.record_acting_decisions([d for _, d in pairs])

    def label(self, listing_id: str, verdict: str) -> None:
        if isinstance(self.store, SqlStore):
            sql_label(listing_id, verdict, self.store)
        else:
            violation = verdict != "no_violation"
            self.store.add_label(
                MemoryLabel(listing_id, 1, verdict if violation else None, violation, datetime.now(UTC))
            )


@pytest.fixture(params=["sqlite", "postgresql", "memory"])
def harness(request: pytest.FixtureRequest) -> Iterator[Harness]:
    if request.param == "memory":
        store: Any = MemoryDeployStore()
    else:
        store = SqlStore(make_engine(_database(request)))
    for i in (1, 2, 3):
        store.register_model_version(version_record(f"m-{i}", minutes=i))
    try:
        yield Harness(store)
    finally:
        if isinstance(store, SqlStore):
            store.dispose()


def _database(request: pytest.FixtureRequest) -> str:
    from lovemachine.adapters.sql.migrate import upgrade

    if request.param == "sqlite":
        url = f"sqlite:///{request.getfixturevalue('tmp_path') / 'deploy.db'}"
    else:
        url = request.getfixturevalue("postgres_database_url")
    upgrade(url)
    return url


def test_registering_is_idempotent_and_versions_are_immutable(harness: Harness) -> None:
    store = harness.store
    store.register_model_version(version_record("m-1", minutes=1))  # the same record again: no-op
    with pytest.raises(ValueError, match="already registered differently"):
        store.register_model_version(dataclasses.replace(version_record("m-1"), artifact_sha256="c" * 64))
    assert store.get_model_version("m-1") == version_record("m-1", minutes=1)
    assert store.get_model_version("nope") is None
    with pytest.raises(LookupError, match="unknown model version"):
        store.set_alias("champion", "nope", actor="t", reason="r")


def test_alias_moves_are_compare_and_set_and_recorded(harness: Harness) -> None:
    store = harness.store
    first = store.set_alias("champion", "m-1", actor="ml:ann", reason="first", expected=None)
    moved = store.set_alias("champion", "m-2", actor="ml:bob", reason="better", expected="m-1")
    assert (first.from_version, first.to_version, moved.from_version, moved.to_version) == (
        None,
        "m-1",
        "m-1",
        "m-2",
    )
    with pytest.raises(AliasConflictError, match="points at m-2, not m-1"):
        store.set_alias("champion", "m-3", actor="ml:eve", reason="stale", expected="m-1")
    with pytest.raises(AliasConflictError, match="points at nothing"):
        store.set_alias("challenger", "m-3", actor="ml:eve", reason="stale", expected="m-1")
    unconditional = store.set_alias("champion", "m-2", actor="ml:ann", reason="confirm")
    assert (unconditional.from_version, unconditional.to_version) == ("m-2", "m-2")
    assert store.get_alias("champion").version == "m-2"
    assert store.get_alias("challenger") is None
    assert [(h.from_version, h.to_version, h.actor) for h in store.alias_history("champion")] == [
        (None, "m-1", "ml:ann"),
        ("m-1", "m-2", "ml:bob"),
        ("m-2", "m-2", "ml:ann"),
    ]


def test_concurrent_conditional_moves_cannot_both_win(harness: Harness) -> None:
    store = harness.store
    for round_ in range(3):
        store.set_alias("champion", "m-1", actor="test", reason=f"reset {round_}")
        a, b = run_together(
            lambda: store.set_alias("champion", "m-2", actor="ann", reason="a", expected="m-1"),
            lambda: store.set_alias("champion", "m-3", actor="bob", reason="b", expected="m-1"),
        )
        assert sum(isinstance(r, AliasConflictError) for r in (a, b)) == 1, (a, b)
        winner = next(r for r in (a, b) if not isinstance(r, Exception))
        assert store.get_alias("champion").version == winner.to_version
        assert store.alias_history("champion")[-1] == winner


def test_the_shadow_sample_pairs_both_models_and_the_labels_that_came_after(harness: Harness) -> None:
    store = harness.store
    champion_actions = [Action.ALLOW, Action.ALLOW, Action.REPORT, Action.HIDE, Action.ALLOW]
    challenger_actions = [Action.ALLOW, Action.HIDE, Action.REPORT, Action.HIDE, Action.ALLOW]
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=6)
    listings = [make_listing(f"P{i}") for i in range(len(champion_actions))]

    def decided(x: Listing, a: Action, model: str, hours: float) -> Decision:
        d = make_decision(x, a, category=None if a is Action.ALLOW else "cash", model_version=model)
        return dataclasses.replace(d, decided_at=start + timedelta(hours=hours))

    harness.decide(
        [
            (x, decided(x, a, "m-1", i))
            for i, (x, a) in enumerate(zip(listings, champion_actions, strict=True))
        ]
    )
    assert store.record_shadow_decisions(
        [decided(x, a, "m-2", i) for i, (x, a) in enumerate(zip(listings, challenger_actions, strict=True))]
    ) == len(listings)
    assert store.record_shadow_decisions([decided(listings[0], Action.HIDE, "m-2", 0)]) == 0  # stored once
    unpaired = make_listing("P-unpaired")
    harness.decide([(unpaired, decided(unpaired, Action.ALLOW, "m-3", 1))])
    store.record_shadow_decisions([decided(unpaired, Action.HIDE, "m-2", 1)])
    harness.label("P2", "cash")
    harness.label("P3", "no_violation")

    sample = store.shadow_sample(champion="m-1", challenger="m-2")
    pairs = {(p.champion_action, p.challenger_action): p.n for p in sample.pairs}
    assert pairs == {
        ("allow", "allow"): 2,
        ("allow", "hide"): 1,
        ("report", "report"): 1,
        ("hide", "hide"): 1,
    }
    assert (sample.first_at, sample.last_at) == (start, start + timedelta(hours=4))
    assert sample.traffic == 6
    assert [(x.champion_action, x.challenger_action, x.violations) for x in sample.labelled] == [
        ("report", "report", frozenset({"cash"})),
        ("hide", "hide", frozenset()),
    ]
    assert store.shadow_sample(champion="m-1", challenger="m-3").pairs == []
