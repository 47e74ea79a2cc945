"""The CS tool's deploy endpoints: status and comparison for leads, promote / rollback for admins only,
through the same gates as the CLI, recorded in the alias history and the audit log."""

from __future__ import annotations

from pathlib import Path

import pytest

from lovemachine.adapters.sql import SqlStore
from lovemachine.config import Settings
from tests.api.conftest import Login
from tests.integration.test_deploy import ELIGIBLE, N, artifact, shadow_traffic


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, cookie_secure=False, broker="local", promote_min_shadow=N)


@pytest.fixture
def models(store: SqlStore, tmp_path: Path) -> SqlStore:
    store.register_model_version(artifact(tmp_path, "m-1"))
    store.register_model_version(artifact(tmp_path, "m-2", ELIGIBLE))
    store.set_alias("champion", "m-1", actor="ml:ann", reason="first model")
    return store


def test_leads_read_the_status_and_the_comparison(models: SqlStore, login: Login) -> None:
    lead, agent = login("lead"), login("agent")
    assert agent.get("/api/v1/models/deploy").status_code == 403
    assert agent.get("/api/v1/models/compare").status_code == 403
    no_challenger = lead.get("/api/v1/models/compare")
    assert no_challenger.status_code == 404 and "no challenger" in no_challenger.json()["error"]["message"]

    models.set_alias("challenger", "m-2", actor="retrain", reason="weekly")
    shadow_traffic(models)
    status = lead.get("/api/v1/models/deploy").json()
    assert status["champion"]["version"] == "m-1" and status["challenger"]["version"] == "m-2"
    assert status["challenger"]["evaluation"] == ELIGIBLE["evaluation"]
    assert [(h["alias"], h["to_version"], h["actor"]) for h in status["history"]] == [
        ("challenger", "m-2", "retrain"),
        ("champion", "m-1", "ml:ann"),
    ]
    assert status["gates"] == {
        "min_shadow": N,
        "max_hide_ratio": 1.5,
        "min_hide_ratio": 0.67,
        "max_report_ratio": 2.0,
        "review_capacity_per_day": 50_000,
        "min_labelled": 30,
        "max_precision_drop": 0.05,
        "min_hide_precision": 0.95,
    }
    comparison = lead.get("/api/v1/models/compare").json()
    assert (comparison["both_scored"], comparison["champion_hides"], comparison["challenger_hides"]) == (
        N,
        4,
        5,
    )
    cash = next(c for c in comparison["categories"] if c["category"] == "cash")
    assert (cash["champion_hide"], cash["challenger_hide"], cash["only_challenger"]) == (4, 5, 1)


def test_only_admins_promote_and_the_gates_apply(models: SqlStore, login: Login) -> None:
    admin, lead = login("admin", "root"), login("lead")
    models.set_alias("challenger", "m-2", actor="retrain", reason="weekly")
    assert lead.post("/api/v1/models/promote", json={}).status_code == 403
    assert admin.post("/api/v1/models/promote", json={"force": True}).status_code == 422  # no reason

    shadow_traffic(models, n=N - 10)
    blocked = admin.post("/api/v1/models/promote", json={})
    assert blocked.status_code == 409
    error = blocked.json()["error"]
    assert error["code"] == "promotion_blocked"
    assert [f.split(":")[0] for f in error["details"]["failed"]] == ["shadow sample"]
    assert models.get_alias("champion").version == "m-1"  # type: ignore[union-attr]

    forced = admin.post("/api/v1/models/promote", json={"force": True, "reason": "INC-12 new slang"})
    assert forced.status_code == 200, forced.text
    body = forced.json()
    assert body["forced"] and body["change"]["to_version"] == "m-2" and body["change"]["actor"] == "root"
    assert body["change"]["reason"].startswith("forced: INC-12 new slang")
    assert {g["name"]: g["passed"] for g in body["gates"]}["shadow sample"] is False
    entry = admin.get("/api/v1/audit", params={"action": "model.set_alias"}).json()["items"][0]
    assert entry["actor"] == "root" and entry["detail"]["to_version"] == "m-2"
    after = lead.get("/api/v1/models/compare")  # the challenger is the champion now
    assert after.status_code == 404 and "is the champion" in after.json()["error"]["message"]


def test_only_admins_roll_back_in_one_step(models: SqlStore, login: Login) -> None:
    admin, lead = login("admin", "root"), login("lead")
    nothing = admin.post("/api/v1/models/rollback", json={})
    assert nothing.status_code == 409 and nothing.json()["error"]["code"] == "nothing_to_roll_back"
    models.set_alias("champion", "m-2", actor="ml:ann", reason="by hand")
    assert lead.post("/api/v1/models/rollback", json={}).status_code == 403

    r = admin.post("/api/v1/models/rollback", json={"reason": "too many hides"})
    assert r.status_code == 200, r.text
    assert r.json()["change"] | {"at": None} == {
        "alias": "champion",
        "from_version": "m-2",
        "to_version": "m-1",
        "actor": "root",
        "reason": "rollback from m-2: too many hides",
        "at": None,
    }
    assert models.get_alias("champion").version == "m-1"  # type: ignore[union-attr]
