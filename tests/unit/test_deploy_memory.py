"""Promotion and rollback end to end on the in-memory deploy store: the gates read a real shadow
sample (paired decisions, CS labels), in milliseconds. The same store passes the deploy port's
contract tests on SQLite and PostgreSQL (tests/contract/test_deploy_port.py)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from lovemachine.adapters.memory import MemoryDeployStore, MemoryLabel
from lovemachine.errors import PromotionBlockedError
from lovemachine.policy import Action, Decision
from lovemachine.services import deploy
from lovemachine.services.deploy import GateConfig
from tests.contract.test_sql_store import version_record

ELIGIBLE = {"evaluation": {"eligible": True, "report_path": "r/"}}
CONFIG = GateConfig(min_shadow=100)
START = datetime(2026, 12, 1, tzinfo=UTC)


def _decision(i: int, model: str, action: Action) -> Decision:
    return Decision(
        listing_id=f"L{i}",
        listing_version=1,
        action=action,
        scores={"cash": 0.9 if action is not Action.ALLOW else 0.1},
        reasons=[],
        model_version=model,
        decided_at=START + timedelta(seconds=i),
        category=None if action is Action.ALLOW else "cash",
    )


def _store(*, champion_hides: int, challenger_hides: int, n: int = 200) -> MemoryDeployStore:
    store = MemoryDeployStore()
    store.register_model_version(version_record("m-1"))
    store.register_model_version(dataclasses.replace(version_record("m-2", minutes=5), metrics=ELIGIBLE))
    store.set_alias("champion", "m-1", actor="t", reason="first", expected=None)
    store.set_alias("challenger", "m-2", actor="retrain", reason="eligible", expected=None)
    store.record_acting_decisions(
        [_decision(i, "m-1", Action.HIDE if i < champion_hides else Action.ALLOW) for i in range(n)]
    )
    store.record_shadow_decisions(
        [_decision(i, "m-2", Action.HIDE if i < challenger_hides else Action.ALLOW) for i in range(n)]
    )
    return store


def test_a_challenger_within_every_gate_is_promoted_and_rolled_back_in_one_step() -> None:
    store = _store(champion_hides=20, challenger_hides=24)
    done = deploy.promote(store, actor="ops", config=CONFIG, verify=lambda _r: None)
    assert done.change.to_version == "m-2" and not done.forced
    assert all(g.passed for g in done.gates)
    assert store.get_alias("champion").version == "m-2"  # type: ignore[union-attr]
    back = deploy.rollback(store, actor="ops", reason="incident", verify=lambda _r: None)
    assert (back.from_version, back.to_version) == ("m-2", "m-1")
    assert [h.to_version for h in store.alias_history("champion")] == ["m-1", "m-2", "m-1"]


def test_twice_the_hides_is_blocked_and_a_forced_move_names_the_failed_gate() -> None:
    store = _store(champion_hides=20, challenger_hides=40)
    with pytest.raises(PromotionBlockedError, match="hide volume") as blocked:
        deploy.promote(store, actor="ops", config=CONFIG, verify=lambda _r: None)
    assert any("hide volume" in f for f in blocked.value.failed)
    assert store.get_alias("champion").version == "m-1"  # type: ignore[union-attr]
    forced = deploy.promote(
        store, actor="ops", reason="new slang", force=True, config=CONFIG, verify=lambda _r: None
    )
    assert forced.forced and forced.change.reason.startswith("forced: new slang (gates failed: hide volume")


def test_cs_labels_that_reject_the_challengers_hides_block_it() -> None:
    store = _store(champion_hides=30, challenger_hides=40)
    for i in range(40):  # CS says every listing the challenger hid was innocent (30+ labelled hides)
        store.add_label(MemoryLabel(f"L{i}", 1, None, False, START + timedelta(hours=1)))
    with pytest.raises(PromotionBlockedError, match="hide precision"):
        deploy.promote(store, actor="ops", config=CONFIG, verify=lambda _r: None)
    assert store.get_alias("champion").version == "m-1"  # type: ignore[union-attr]


def test_too_small_a_shadow_sample_blocks() -> None:
    store = _store(champion_hides=5, challenger_hides=5, n=50)
    with pytest.raises(PromotionBlockedError, match="shadow sample"):
        deploy.promote(store, actor="ops", config=CONFIG, verify=lambda _r: None)
