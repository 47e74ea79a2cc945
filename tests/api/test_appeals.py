"""The enforcement record through the CS tool's API: the marketplace reads the statement a hide
carried, forwards the seller's appeal, CS decides it, the marketplace reads the outcome."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from lovemachine.adapters.local_broker import LocalBroker
from lovemachine.adapters.sql import SqlStore
from lovemachine.config import Settings
from lovemachine.dsa.statements import decision_puid
from lovemachine.policy import Action
from tests.api.conftest import MODEL, Login, Seeder, pull_actions


def marketplace(app: FastAPI, admin: TestClient, *scopes: str) -> TestClient:
    r = admin.post("/api/v1/tokens", json={"name": "marketplace", "scopes": list(scopes)})
    assert r.status_code == 201, r.text
    client = TestClient(app)
    client.headers["Authorization"] = f"Bearer {r.json()['token']}"
    return client


def test_a_seller_appeal_end_to_end(
    login: Login, app: FastAPI, seeder: Seeder, store: SqlStore, broker: LocalBroker, settings: Settings
) -> None:
    listing = seeder.decide("counterfeit", 0.99, Action.HIDE)
    puid = decision_puid(listing, 1, MODEL)
    admin = login("admin", "root")
    mp = marketplace(app, admin, "statements:read", "appeals:write")

    r = mp.get(f"/api/v1/statements/{puid}")
    assert r.status_code == 200, r.text
    st = r.json()
    assert st["kind"] == "restriction" and st["automated_decision"] == "fully" and st["text"]
    assert mp.get("/api/v1/statements/lm-h-nope").status_code == 404

    r = mp.post("/api/v1/appeals", json={"appellant": "seller", "statement_puid": puid, "text": "It is real"})
    assert r.status_code == 201, r.text
    appeal = r.json()
    assert appeal["status"] == "open" and appeal["outcome"] is None and appeal["contested"] == "restriction"
    r = mp.post("/api/v1/appeals", json={"appellant": "seller", "statement_puid": puid, "text": "again"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "appeal_pending"
    assert mp.get("/api/v1/appeals").status_code == 403  # the queue is for staff

    lead = login("lead", "bo")
    r = lead.post("/api/v1/appeals/next")
    assert r.status_code == 200, r.text
    case = r.json()
    assert case["id"] == appeal["id"] and case["claimed_by"] == "bo" and case["text"] == "It is real"
    assert case["statement"]["puid"] == puid and case["listing"]["id"] == listing
    assert case["original_decider"] == f"worker:{MODEL}" and case["strikes"]["weight"] == 0
    r = lead.post(f"/api/v1/appeals/{appeal['id']}/decision", json={"outcome": "overturned", "reason": ""})
    assert r.status_code == 422  # a written reason is required
    r = lead.post(
        f"/api/v1/appeals/{appeal['id']}/decision",
        json={"outcome": "overturned", "reason": "The receipt shows a genuine bag."},
    )
    assert r.status_code == 200, r.text
    decided = r.json()
    assert decided["outcome"] == "overturned" and decided["decided_by"] == "bo"

    messages = [m for m in pull_actions(broker, settings) if m["data"]["action"] == "restore"]
    assert len(messages) == 1
    assert messages[0]["data"]["statement_puid"] == decided["statement_out_puid"]
    assert messages[0]["attributes"]["source"] == "appeal"
    assert store.get_listing(listing).status == "visible"  # type: ignore[union-attr]

    r = mp.get(f"/api/v1/appeals/{appeal['id']}")
    assert r.status_code == 200
    outcome = r.json()
    assert outcome["outcome"] == "overturned" and outcome["reason"] == "The receipt shows a genuine bag."
    assert outcome["redress"]["out_of_court_settlement"] and outcome["decided_by_human"]
    assert "decided_by" not in outcome and "text" not in outcome  # no staff names to the marketplace
    restore = mp.get(f"/api/v1/statements/{outcome['statement_out_puid']}").json()
    assert restore["kind"] == "restore" and restore["supersedes"] == puid


def test_the_original_reviewer_is_refused_and_tokens_need_the_scope(
    login: Login, app: FastAPI, seeder: Seeder, store: SqlStore
) -> None:
    listing = seeder.decide("cash", 0.7, Action.REPORT)
    item = seeder.item_id(listing)
    ann = login("agent", "ann")
    assert ann.post(f"/api/v1/items/{item}/claim").status_code == 200
    assert ann.post(f"/api/v1/items/{item}/label", json={"label": "cash"}).status_code == 201
    admin = login("admin", "root")
    reports_only = marketplace(app, admin, "reports:write")
    body = {"appellant": "seller", "listing_id": listing, "listing_version": 1, "text": "a gift box"}
    assert reports_only.post("/api/v1/appeals", json=body).status_code == 403
    mp = marketplace(app, admin, "appeals:write")
    r = mp.post("/api/v1/appeals", json=body)
    assert r.status_code == 201, r.text
    appeal_id = r.json()["id"]
    assert ann.post("/api/v1/appeals/next").status_code == 204  # never offered her own decision
    r = ann.post(f"/api/v1/appeals/{appeal_id}/decision", json={"outcome": "overturned", "reason": "ok"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "own_decision"
    r = mp.post("/api/v1/appeals", json={**body, "appellant": "judge"})
    assert r.status_code == 422


def test_a_cs_hide_carries_its_statement_to_the_marketplace(
    login: Login, app: FastAPI, seeder: Seeder, broker: LocalBroker, settings: Settings
) -> None:
    listing = seeder.decide("counterfeit", 0.8, Action.REPORT)
    item = seeder.item_id(listing)
    agent = login("agent", "ann")
    assert agent.post(f"/api/v1/items/{item}/claim").status_code == 200
    assert agent.post(f"/api/v1/items/{item}/label", json={"label": "counterfeit"}).status_code == 201
    [hide] = [m for m in pull_actions(broker, settings) if m["data"]["action"] == "hide"]
    puid = hide["data"]["statement_puid"]
    assert puid and puid.startswith("lm-l-")
    mp = marketplace(app, login("admin", "root"), "statements:read")
    st = mp.get(f"/api/v1/statements/{puid}").json()
    assert (st["kind"], st["automated_decision"], st["source"]) == (
        "restriction",
        "partially",
        "own_initiative",
    )
    detail = agent.get(f"/api/v1/items/{item}").json()
    assert [s["puid"] for s in detail["statements"]] == [puid]
    assert detail["strikes"]["weight"] == 3.0 and detail["current_listing"] is None
