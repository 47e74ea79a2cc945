"""Queues, priority, pagination, item detail and claims (including under concurrency)."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from lovemachine.adapters.sql import SqlStore
from lovemachine.config import Settings
from lovemachine.policy import Action
from tests.api.conftest import FAST_HASHER, Login, Seeder


def run_together(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls on threads released at the same instant; return their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = calls[i]()
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    return results


def test_queue_summary(login: Login, seeder: Seeder) -> None:
    seeder.decide("counterfeit", 0.8)
    seeder.decide("counterfeit", 0.97, Action.HIDE)
    seeder.decide("cash", 0.7)
    seeder.decide(None, 0.1, Action.ALLOW)
    agent = login("agent")
    queues = {q["queue"]: q for q in agent.get("/api/v1/queues").json()["items"]}
    assert list(queues)[:6] == ["counterfeit", "adult", "cash", "keyword_stuffing", "user_reports", "audit"]
    assert (queues["counterfeit"]["open"], queues["counterfeit"]["claimed"]) == (2, 0)
    assert queues["counterfeit"]["oldest_created_at"] is not None
    assert (queues["cash"]["open"], queues["adult"]["open"]) == (1, 0)
    agent.post("/api/v1/queues/counterfeit/next")
    queues = {q["queue"]: q for q in agent.get("/api/v1/queues").json()["items"]}
    assert (queues["counterfeit"]["open"], queues["counterfeit"]["claimed"]) == (1, 1)


def test_items_ordered_by_priority_and_paginated(login: Login, seeder: Seeder) -> None:
    scores = [0.61, 0.95, 0.7, 0.88, 0.75, 0.99, 0.65]
    ids = {seeder.decide("counterfeit", s): s for s in scores}
    agent = login("agent")
    seen: list[dict[str, Any]] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        r = agent.get("/api/v1/queues/counterfeit/items", params=params)
        assert r.status_code == 200
        page = r.json()
        seen.extend(page["items"])
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert [i["listing_id"] for i in seen] == sorted(ids, key=lambda i: -ids[i])
    assert seen[0]["title"] == "Nice bag" and seen[0]["category"] == "counterfeit"
    assert all(a["priority"] >= b["priority"] for a, b in itertools.pairwise(seen))

    r = agent.get("/api/v1/queues/counterfeit/items", params={"cursor": "not-a-cursor"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_cursor"
    r = agent.get("/api/v1/queues/counterfeit/items", params={"limit": 0})
    assert r.status_code == 422 and r.json()["error"]["code"] == "validation"
    r = agent.get("/api/v1/queues/nope/items")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


def test_waiting_raises_priority(login: Login, seeder: Seeder, store: SqlStore) -> None:
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    from lovemachine.adapters.sql.tables import review_items

    old = seeder.decide("cash", 0.70)
    new = seeder.decide("cash", 0.80)
    with store.engine.begin() as conn:  # the 0.70 item has waited two days: +0.5
        conn.execute(
            update(review_items)
            .where(review_items.c.listing_id == old)
            .values(created_at=datetime.now(UTC) - timedelta(days=2))
        )
    items = login("agent").get("/api/v1/queues/cash/items").json()["items"]
    assert [i["listing_id"] for i in items] == [old, new]
    assert abs(items[0]["priority"] - 1.2) < 0.01 and items[0]["base_priority"] == 0.7


def test_next_claims_the_top_item_and_returns_its_detail(
    login: Login, seeder: Seeder, store: SqlStore
) -> None:
    rule = store.add_rule(
        pattern="super copy", kind="keyword", category="counterfeit", action="hide", owner="lead"
    )
    seeder.decide("counterfeit", 0.7, seller="S9", title="old thing")
    earlier = seeder.decide("counterfeit", 0.99, Action.HIDE, seller="S9", title="fake watch")
    top = seeder.decide(
        "counterfeit", 0.98, Action.HIDE, seller="S9", title="super copy bag", rule_ids=[rule.id]
    )
    lead = login("lead")
    first = lead.post("/api/v1/queues/counterfeit/next").json()
    assert first["listing_id"] == earlier
    lead.post(
        f"/api/v1/items/{first['id']}/label", json={"label": "counterfeit"}, headers={"Idempotency-Key": "k1"}
    )

    agent = login("agent", "ann")
    r = agent.post("/api/v1/queues/counterfeit/next")
    assert r.status_code == 200
    d = r.json()
    assert d["listing_id"] == top and d["status"] == "claimed" and d["claimed_by"] == "ann"
    assert d["claim_expires_at"] is not None and d["auto_hidden"] is True
    assert d["listing"]["title"] == "super copy bag" and d["listing"]["status"] == "hidden"
    assert d["listing"]["image_urls"] == [f"https://img.example/{top}/1.jpg"]
    assert (
        d["listing"]["price"] == 12000
        and d["listing"]["currency"] == "JPY"
        and d["listing"]["brand"] == "Acme"
    )
    assert d["decision"]["model_version"] == "lm-api-test-1" and d["decision"]["action"] == "hide"
    assert d["decision"]["scores"]["counterfeit"] == 0.98
    assert d["decision"]["thresholds"]["counterfeit"] == {"report": 0.6, "hide": 0.95}
    assert d["decision"]["reasons"] == ["counterfeit: score 0.980"] and d["decision"]["rule_ids"] == [rule.id]
    assert [(r["id"], r["pattern"], r["action"]) for r in d["rules_matched"]] == [
        (rule.id, "super copy", "hide")
    ]
    assert [(h["listing_id"], h["category"]) for h in d["seller_history"]] == [(earlier, "counterfeit")]
    assert d["user_reports"] == [] and d["labels"] == []
    assert agent.get(f"/api/v1/items/{d['id']}").json()["claimed_by"] == "ann"

    third = agent.post("/api/v1/queues/counterfeit/next").json()  # holding one, next gives another
    assert third["listing_id"] not in (top, earlier)
    assert agent.post("/api/v1/queues/counterfeit/next").status_code == 204
    assert agent.post("/api/v1/queues/adult/next").status_code == 204


def test_claim_conflicts_release_and_expiry(
    settings: Settings, store: SqlStore, broker: Any, seeder: Seeder
) -> None:
    from cstool_api import create_app

    settings.claim_minutes = 0.02  # 1.2 s
    app = create_app(settings, store=store, broker=broker, password_hasher=FAST_HASHER)
    item = seeder.item_id(seeder.decide())
    for name in ("ann", "bob"):
        store.create_staff(username=name, password_hash=FAST_HASHER.hash("x" * 12), role="agent", actor="t")
    with TestClient(app) as ann, TestClient(app) as bob:
        for c, name in ((ann, "ann"), (bob, "bob")):
            c.headers["X-CSRF-Token"] = c.post(
                "/api/v1/session", json={"username": name, "password": "x" * 12}
            ).json()["csrf_token"]
        assert ann.post(f"/api/v1/items/{item}/claim").status_code == 200
        r = bob.post(f"/api/v1/items/{item}/claim")
        assert r.status_code == 409 and r.json()["error"]["code"] == "claimed"
        assert r.json()["error"]["details"]["claimed_by"] == "ann"
        r = bob.delete(f"/api/v1/items/{item}/claim")
        assert r.status_code == 409
        assert bob.post("/api/v1/queues/counterfeit/next").status_code == 204
        assert ann.post(f"/api/v1/items/{item}/claim").status_code == 200  # extending one's own claim

        time.sleep(1.5)  # the claim expires
        detail = bob.get(f"/api/v1/items/{item}").json()
        assert (detail["status"], detail["claimed_by"]) == ("open", None)
        r = bob.post("/api/v1/queues/counterfeit/next")
        assert r.status_code == 200 and r.json()["claimed_by"] == "bob"
        r = ann.post(f"/api/v1/items/{item}/label", json={"label": "no_violation"})
        assert r.status_code == 409 and r.json()["error"]["code"] == "claimed"

        assert bob.delete(f"/api/v1/items/{item}/claim").json()["status"] == "open"
        assert bob.delete(f"/api/v1/items/{item}/claim").status_code == 200  # idempotent
        r = ann.post(f"/api/v1/items/{item}/label", json={"label": "no_violation"})
        assert r.status_code == 409 and r.json()["error"]["code"] == "not_claimed"
        assert ann.post("/api/v1/items/999999/claim").status_code == 404


def test_two_agents_never_get_the_same_item(login: Login, seeder: Seeder) -> None:
    for k in range(6):
        seeder.decide("cash", 0.7 + k / 100)
    agents = [login("agent", f"a{i}") for i in range(2)]
    results = run_together([lambda c=c: c.post("/api/v1/queues/cash/next") for c in agents for _ in range(4)])
    got = [r.json()["id"] for r in results if r.status_code == 200]
    assert sorted(r.status_code for r in results) == [200] * 6 + [204] * 2
    assert len(got) == len(set(got)) == 6


def test_concurrent_claims_on_one_item_have_one_winner(login: Login, seeder: Seeder) -> None:
    item = seeder.item_id(seeder.decide())
    agents = [login("agent", f"a{i}") for i in range(4)]
    for _ in range(3):
        results = run_together([lambda c=c: c.post(f"/api/v1/items/{item}/claim") for c in agents])
        codes = sorted(r.status_code for r in results)
        assert codes == [200, 409, 409, 409], codes
        winner = next(r.json()["claimed_by"] for r in results if r.status_code == 200)
        holder = next(c for c in agents if c.get("/api/v1/me").json()["username"] == winner)
        assert holder.delete(f"/api/v1/items/{item}/claim").status_code == 200


def test_unknown_item_and_route_use_the_error_format(login: Login, app: FastAPI) -> None:
    agent = login("agent")
    r = agent.get("/api/v1/items/424242")
    assert r.status_code == 404 and set(r.json()["error"]) == {"code", "message", "details"}
    r = agent.get("/api/v1/items/abc")
    assert r.status_code == 422 and r.json()["error"]["details"][0]["loc"] == ["path", "item_id"]
    r = agent.put("/api/v1/queues")
    assert r.status_code == 405 and r.json()["error"]["code"] == "method_not_allowed"
    assert agent.get("/api/v1/nothing").json()["error"]["code"] == "not_found"


def test_pagination_through_ties_neither_skips_nor_repeats(
    login: Login, seeder: Seeder, store: SqlStore
) -> None:
    from tests.api.conftest import make_decision, make_listing

    batch = [make_listing(f"T{i:02d}") for i in range(7)]  # one transaction: same created_at, same score
    store.record_decisions([(x, make_decision(x, "adult", 0.8, Action.REPORT)) for x in batch])
    agent = login("agent")
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = agent.get("/api/v1/queues/adult/items", params=params).json()
        seen += [i["listing_id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [x.id for x in batch]
