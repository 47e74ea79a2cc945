"""Promotion and rollback (``lovemachine.services.deploy``) on the real SQL store, SQLite and PostgreSQL:
every gate blocks on its own, force needs and records a reason, a corrupt artifact is never promoted,
two promotions cannot both win, and rollback is one step."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lovemachine.adapters.sql import SqlStore
from lovemachine.errors import AliasConflictError, ArtifactIntegrityError, PromotionBlockedError
from lovemachine.listings import Listing
from lovemachine.policy import Action, Decision
from lovemachine.ports import ModelVersionRecord
from lovemachine.registry.artifacts import MODEL_FILE
from lovemachine.services import deploy
from lovemachine.services.deploy import GateConfig
from tests.contract.test_deploy_store import run_together

pytestmark = pytest.mark.integration
ELIGIBLE = {"evaluation": {"eligible": True, "report": "var/evaluations/run-7/report.md"}}
N = 40


def artifact(tmp_path: Path, version: str, metrics: dict[str, object] | None = None) -> ModelVersionRecord:
    """A registered version whose artifact is a few bytes: the gates hash it, they never unpickle it."""
    folder = tmp_path / "artifacts" / version
    folder.mkdir(parents=True)
    payload = f"weights of {version}".encode()
    (folder / MODEL_FILE).write_bytes(payload)
    return ModelVersionRecord(
        version=version,
        name="lovemachine",
        artifact_uri=str(folder),
        artifact_sha256=hashlib.sha256(payload).hexdigest(),
        training_data_sha256="d" * 64,
        metrics=metrics or {},
        thresholds={"cash": {"report": 0.5, "hide": 0.9}},
        created_at=datetime.now(UTC),
    )


def decision(listing: Listing, action: Action, model: str) -> Decision:
    return Decision(
        listing_id=listing.id,
        listing_version=1,
        action=action,
        scores={"cash": 0.95 if action is Action.HIDE else 0.1},
        reasons=[],
        model_version=model,
        decided_at=datetime.now(UTC) - timedelta(minutes=5),
        category="cash" if action is not Action.ALLOW else None,
    )


def shadow_traffic(
    store: SqlStore, *, n: int = N, champion_hides: int = 4, challenger_hides: int = 5
) -> None:
    listings = [
        Listing(id=f"L{i:04d}", version=1, seller_id="S", title="t", price=1000, currency="JPY", category="x")
        for i in range(n)
    ]
    store.record_decisions(
        [
            (x, decision(x, Action.HIDE if i < champion_hides else Action.ALLOW, "m-1"))
            for i, x in enumerate(listings)
        ]
    )
    store.record_shadow_decisions(
        [
            decision(x, Action.HIDE if i < challenger_hides else Action.ALLOW, "m-2")
            for i, x in enumerate(listings)
        ]
    )


@pytest.fixture
def store(sql_store: SqlStore, tmp_path: Path) -> SqlStore:
    sql_store.register_model_version(artifact(tmp_path, "m-1"))
    sql_store.register_model_version(artifact(tmp_path, "m-2", ELIGIBLE))
    sql_store.set_alias("champion", "m-1", actor="ml:ann", reason="first model")
    sql_store.set_alias("challenger", "m-2", actor="retrain", reason="weekly retrain")
    return sql_store


CONFIG = GateConfig(min_shadow=N, max_hide_ratio=1.5)


def test_promotion_moves_the_champion_when_every_gate_passes(store: SqlStore) -> None:
    shadow_traffic(store)
    result = deploy.promote(store, actor="admin:kei", reason="weekly", config=CONFIG)
    assert [g.name for g in result.gates] == [
        "offline evaluation",
        "shadow sample",
        "hide volume",
        "review capacity",
        "report volume",
        "precision",
        "hide precision",
        "artifact",
    ]
    assert all(g.passed for g in result.gates) and not result.forced
    assert "run-7/report.md" in result.gates[0].detail
    assert store.get_alias("champion").version == "m-2"  # type: ignore[union-attr]
    last = store.alias_history("champion")[-1]
    assert (last.from_version, last.to_version, last.actor, last.reason) == (
        "m-1",
        "m-2",
        "admin:kei",
        "promoted: weekly",
    )
    with pytest.raises(PromotionBlockedError, match="already the champion"):
        deploy.promote(store, actor="admin:kei", config=CONFIG)


@pytest.mark.parametrize(
    ("gate", "metrics", "traffic", "message"),
    [
        ("offline evaluation", {}, {}, "has no offline evaluation"),
        (
            "offline evaluation",  # as `lovemachine retrain` records it
            {"evaluation": {"eligible": False, "report_path": "e/", "reasons": ["PR-AUC not above"]}},
            {},
            r"does not beat the champion offline: PR-AUC not above \(e/\)",
        ),
        ("offline evaluation", {"evaluation": {"eligible": "yes"}}, {}, "does not beat"),
        ("shadow sample", ELIGIBLE, {"n": N - 1}, f"{N - 1} listings scored by both"),
        ("hide volume", ELIGIBLE, {"challenger_hides": 7}, "7 hides vs the champion's 4"),
        (  # fewer hides leave violations visible: both ways are bounded
            "hide volume",
            ELIGIBLE,
            {"challenger_hides": 2},
            "2 hides vs the champion's 4 .*at least 0.67x needed",
        ),
        (  # 11 review items on 40 listings: 27.5% > 50,000 / 200,000
            "review capacity",
            ELIGIBLE,
            {"champion_hides": 10, "challenger_hides": 11},
            "11 review items .* on 40 listings = 27.5%",
        ),
        (
            "hide volume",
            ELIGIBLE,
            {"champion_hides": 0, "challenger_hides": 1},
            "1 hides vs the champion's 0 .*the champion hides none of them",
        ),
    ],
)
def test_each_gate_blocks_on_its_own(
    store: SqlStore,
    tmp_path: Path,
    gate: str,
    metrics: dict[str, object],
    traffic: dict[str, int],
    message: str,
) -> None:
    store.register_model_version(artifact(tmp_path, "m-3", metrics))
    store.set_alias("challenger", "m-3", actor="retrain", reason="candidate")
    shadow_traffic_for(store, "m-3", **traffic)
    with pytest.raises(PromotionBlockedError, match=message) as blocked:
        deploy.promote(store, actor="admin:kei", config=CONFIG)
    assert [f.split(":")[0] for f in blocked.value.failed] == [gate]
    assert "--force with a reason overrides" in str(blocked.value)
    assert store.get_alias("champion").version == "m-1"  # type: ignore[union-attr]
    assert len(store.alias_history("champion")) == 1


def shadow_traffic_for(store: SqlStore, challenger: str, **kw: int) -> None:
    """``shadow_traffic`` with another challenger version."""
    original = store.record_shadow_decisions

    def renamed(decisions: list[Decision]) -> int:
        return original([replace(d, model_version=challenger) for d in decisions])

    store.record_shadow_decisions = renamed  # type: ignore[method-assign]
    try:
        shadow_traffic(store, **kw)
    finally:
        del store.record_shadow_decisions


def test_force_needs_a_reason_and_the_history_records_it(store: SqlStore) -> None:
    shadow_traffic(store, n=10)  # too small a sample
    with pytest.raises(ValueError, match="needs a reason"):
        deploy.promote(store, actor="admin:kei", force=True, reason="  ", config=CONFIG)
    result = deploy.promote(
        store, actor="admin:kei", force=True, reason="slang outbreak, INC-9", config=CONFIG
    )
    assert result.forced
    last = store.alias_history("champion")[-1]
    assert last.to_version == "m-2" and last.actor == "admin:kei"
    assert last.reason.startswith("forced: slang outbreak, INC-9 (gates failed: shadow sample: 10 listings")


def test_a_corrupt_artifact_is_never_promoted_even_by_force(store: SqlStore) -> None:
    shadow_traffic(store)
    path = Path(store.get_model_version("m-2").artifact_uri) / MODEL_FILE  # type: ignore[union-attr]
    data = bytearray(path.read_bytes())
    data[3] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(PromotionBlockedError, match=r"artifact: .* fails its checksum") as blocked:
        deploy.promote(store, actor="admin:kei", force=True, reason="urgent", config=CONFIG)
    assert "--force" not in str(blocked.value)
    assert store.get_alias("champion").version == "m-1"  # type: ignore[union-attr]


def test_two_promotions_at_once_move_the_champion_once(store: SqlStore) -> None:
    shadow_traffic(store)
    results = run_together(
        lambda: deploy.promote(store, actor="admin:a", config=CONFIG),
        lambda: deploy.promote(store, actor="admin:b", config=CONFIG),
    )
    wins = [r for r in results if isinstance(r, deploy.Promotion)]
    assert len(wins) == 1, results
    assert all(isinstance(r, AliasConflictError | PromotionBlockedError) for r in results if r not in wins)
    assert [(h.from_version, h.to_version) for h in store.alias_history("champion")] == [
        (None, "m-1"),
        ("m-1", "m-2"),
    ]


def test_a_stale_promotion_loses_to_a_move_made_meanwhile(store: SqlStore) -> None:
    """The gates were checked against m-1; if champion moves before the promotion does, it refuses."""
    shadow_traffic(store)
    real = store.shadow_sample

    def slow_sample(**kw: str):  # type: ignore[no-untyped-def]
        sample = real(**kw)
        store.set_alias("champion", "m-1b", actor="ml:other", reason="hotfix")  # meanwhile
        return sample

    store.register_model_version(replace(store.get_model_version("m-1"), version="m-1b"))  # type: ignore[arg-type]
    store.shadow_sample = slow_sample  # type: ignore[method-assign]
    with pytest.raises(AliasConflictError, match="points at m-1b, not m-1"):
        deploy.promote(store, actor="admin:kei", config=CONFIG)
    assert store.get_alias("champion").version == "m-1b"  # type: ignore[union-attr]


def test_rollback_is_one_step_back_and_recorded(store: SqlStore) -> None:
    with pytest.raises(LookupError, match="replaced no earlier champion"):
        deploy.rollback(store, actor="admin:kei")
    shadow_traffic(store)
    deploy.promote(store, actor="admin:kei", config=CONFIG)

    change = deploy.rollback(store, actor="admin:kei", reason="hides too much")
    assert (change.from_version, change.to_version, change.actor) == ("m-2", "m-1", "admin:kei")
    assert change.reason == "rollback from m-2: hides too much"
    assert store.get_alias("champion").version == "m-1"  # type: ignore[union-attr]
    assert store.alias_history("champion")[-1] == change
    status = deploy.status(store)
    assert status.champion.version == "m-1" and status.challenger.version == "m-2"  # type: ignore[union-attr]
    assert [h.to_version for h in status.history][:2] == ["m-1", "m-2"]  # newest first


def test_rollback_refuses_a_previous_champion_whose_artifact_is_gone(store: SqlStore) -> None:
    shadow_traffic(store)
    deploy.promote(store, actor="admin:kei", config=CONFIG)
    (Path(store.get_model_version("m-1").artifact_uri) / MODEL_FILE).unlink()  # type: ignore[union-attr]
    with pytest.raises(ArtifactIntegrityError, match="cannot read"):
        deploy.rollback(store, actor="admin:kei")
    assert store.get_alias("champion").version == "m-2"  # type: ignore[union-attr]


def test_the_deploy_commands(store: SqlStore, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from cli import app

    monkeypatch.setenv("LOVEMACHINE_PROMOTE_MIN_SHADOW", str(N))
    runner = CliRunner()

    def cli(*args: str) -> tuple[int, str]:
        result = runner.invoke(app, ["deploy", *args, "--database-url", database_url])
        return result.exit_code, result.output

    code, out = cli("status")
    assert code == 0 and "champion   m-1" in out and "challenger m-2" in out and "ml:ann: first model" in out
    shadow_traffic(store, n=N - 1)
    code, out = cli("compare")
    assert code == 0 and f"{N - 1} listings" in out and "cash" in out
    code, out = cli("compare", "--json")
    assert code == 0 and '"both_scored": 39' in out

    code, out = cli("promote")
    assert (
        code == 1 and "promotion blocked" in out and "shadow sample: 39 listings" in out and "--force" in out
    )
    code, out = cli("promote", "--force")
    assert code == 1 and "--force needs --reason" in out
    code, out = cli("promote", "--min-shadow", "10", "--min-hide-ratio", "1.3")  # 5 hides < 1.3 x 4
    assert code == 1 and "hide volume: 5 hides vs the champion's 4" in out and "at least 1.3x" in out
    code, out = cli("promote", "--min-shadow", "10", "--review-capacity-per-day", "10000")
    assert code == 1 and "review capacity: 5 review items" in out
    code, out = cli("promote", "--min-hide-ratio", "2")
    assert code == 1 and "hide ratio bounds" in out
    code, out = cli("promote", "--min-shadow", "10", "--actor", "ml:kei", "--reason", "weekly")
    assert code == 0 and "champion m-1 -> m-2" in out
    assert store.alias_history("champion")[-1].actor == "ml:kei"

    code, out = cli("rollback", "--reason", "regression", "--actor", "ml:kei")
    assert code == 0 and "champion m-2 -> m-1" in out
    assert store.alias_history("champion")[-1].reason == "rollback from m-2: regression"
    code, out = cli("challenger", "m-404")
    assert code == 1 and "unknown model version" in out
