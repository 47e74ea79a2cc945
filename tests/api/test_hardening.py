"""Issue 10 items 10-12, in process (the real app on SQLite and PostgreSQL): NUL characters are refused
at the edge with 422 before anything touches the database, integers beyond 64 bits give 422 (not
500), and sign-in throttling keys on (username, address) plus a per-address limit. What needs the
real HTTP server (body limits, keep-alive, proxies, concurrency) is in ``test_hardening_server.py``."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from cstool_api.security import LoginThrottle
from lovemachine.adapters.sql import SqlStore
from lovemachine.adapters.sql.tables import audit_log, labels, staff, user_reports
from lovemachine.review.cursor import encode_cursor
from tests.api.conftest import FAST_HASHER, PASSWORD, Login, Seeder, count

INT64_MAX = 2**63 - 1


def assert_nul_refused(r: Any, *loc: str) -> None:
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "validation", error
    assert any(d["loc"][: len(loc)] == list(loc) for d in error["details"]), error
    assert "NUL" in error["message"]


# --------------------------------------------------------------------------- NUL (item 11)
def test_nul_in_sign_in_is_refused_before_the_database(anon: TestClient, store: SqlStore) -> None:
    # no such account: the lookup by name is what gave 500 on PostgreSQL
    r = anon.post("/api/v1/session", json={"username": "gho\u0000st", "password": "whatever"})
    assert_nul_refused(r, "body", "username")
    r = anon.post("/api/v1/session", json={"username": "ghost", "password": "pass\u0000word"})
    assert_nul_refused(r, "body", "password")
    # the escape inside a JSON string is what arrives; an escaped backslash is no NUL
    raw = b'{"username": "a\\u0000b", "password": "x"}'
    r = anon.post("/api/v1/session", content=raw, headers={"Content-Type": "application/json"})
    assert_nul_refused(r, "body", "username")
    r = anon.post(
        "/api/v1/session",
        content=b'{"username": "a\\\\u0000b", "password": "x"}',
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 401, r.text  # the literal text \u0000, a (wrong) username like any other


def test_nul_in_reports_notes_and_paths_writes_nothing(login: Login, store: SqlStore, seeder: Seeder) -> None:
    agent = login("agent")
    listing = seeder.decide()
    before = (count(store, user_reports), count(store, audit_log))
    r = agent.post(
        "/api/v1/reports", json={"listing_id": listing, "reason": "fake\u0000", "reporter_id": "u1"}
    )
    assert_nul_refused(r, "body", "reason")
    r = agent.post("/api/v1/reports", json={"listing_id": "L\u0000", "reason": "x", "reporter_id": "u1"})
    assert_nul_refused(r, "body", "listing_id")
    r = agent.post("/api/v1/reports", json={"listing_id": listing, "reason": "x", "reporter_id": "u\u00001"})
    assert_nul_refused(r, "body", "reporter_id")
    assert (count(store, user_reports), count(store, audit_log)) == before

    item = seeder.item_id(listing)
    assert agent.post(f"/api/v1/items/{item}/claim").status_code == 200
    r = agent.post(f"/api/v1/items/{item}/label", json={"label": "counterfeit", "note": "logo\u0000off"})
    assert_nul_refused(r, "body", "note")
    r = agent.post(
        f"/api/v1/items/{item}/label", json={"label": "counterfeit"}, headers={"Idempotency-Key": "k\x00"}
    )
    assert_nul_refused(r, "header", "idempotency-key")
    assert count(store, labels) == 0
    ok = agent.post(f"/api/v1/items/{item}/label", json={"label": "counterfeit", "note": "logo off"})
    assert ok.status_code == 201, ok.text

    admin = login("admin")
    r = admin.patch("/api/v1/staff/ag%00ent1", json={"active": False})  # a NUL in a path segment
    assert_nul_refused(r, "path")
    r = admin.post("/api/v1/staff", json={"username": "x", "password": "p\u0000" * 8, "role": "agent"})
    assert_nul_refused(r, "body", "password")
    assert count(store, staff, staff.c.username == "x") == 0


def test_nul_in_audit_filters_and_nested_json_is_refused(login: Login) -> None:
    lead = login("lead")
    for name in ("entity_type", "entity_id", "actor", "action"):
        r = lead.get("/api/v1/audit", params={name: "a\x00"})
        assert_nul_refused(r, "query", name)
    assert lead.get("/api/v1/audit", params={"actor": "lead1"}).status_code == 200
    # keys and strings nested at any depth are checked, not just top-level fields
    r = lead.post("/api/v1/rules/preview", json={"pattern": "x", "kind": "keyword", "n\u0000": [{"a": 1}]})
    assert_nul_refused(r, "body")
    r = lead.post(
        "/api/v1/rules",
        json={
            "pattern": "fake",
            "kind": "keyword",
            "category": "counterfeit",
            "action": "report",
            "note": ["deep", {"x": "\u0000"}],
        },
    )
    assert_nul_refused(r, "body", "note")


def test_nul_in_a_cursor_is_refused(login: Login) -> None:
    admin = login("admin")
    r = admin.get("/api/v1/staff", params={"cursor": encode_cursor(["admin\x00"])})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_cursor", r.text


# --------------------------------------------------------------------------- integers (item 12)
@pytest.mark.parametrize("value", [2**63, 2**70, -(2**70)])
def test_integers_beyond_64_bits_give_422(login: Login, app: FastAPI, store: SqlStore, value: int) -> None:
    admin = login("admin")
    for method, path in [
        ("GET", f"/api/v1/items/{value}"),
        ("POST", f"/api/v1/items/{value}/claim"),
        ("DELETE", f"/api/v1/items/{value}/claim"),
        ("POST", f"/api/v1/items/{value}/label"),
        ("PATCH", f"/api/v1/rules/{value}"),
        ("GET", f"/api/v1/training-runs/{value}"),
        ("DELETE", f"/api/v1/tokens/{value}"),
    ]:
        body = {"label": "counterfeit"} if path.endswith("label") else {}
        r = admin.request(method, path, json=body)
        assert r.status_code == 422, (method, path, r.status_code, r.text)
        assert r.json()["error"]["code"] == "validation"
    assert admin.get(f"/api/v1/items/{INT64_MAX}").status_code == 404  # the largest id is fine


@pytest.mark.parametrize("values", [[2**70], [-(2**64)], [10**309]])
def test_cursor_integers_beyond_64_bits_give_422(login: Login, values: list[int]) -> None:
    lead = login("lead")
    for path in ("/api/v1/audit", "/api/v1/rules", "/api/v1/training-runs", "/api/v1/tokens"):
        client = login("admin") if path == "/api/v1/tokens" else lead
        r = client.get(path, params={"cursor": encode_cursor(values)})
        assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_cursor", (path, r.text)
    agent = login("agent")
    r = agent.get("/api/v1/queues/counterfeit/items", params={"cursor": encode_cursor([1.0, *values])})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_cursor", r.text
    r = agent.get("/api/v1/queues/counterfeit/items", params={"cursor": encode_cursor([*values, 1])})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_cursor", r.text


# --------------------------------------------------------------------------- throttling (item 10)
def test_throttle_is_per_username_and_address_with_a_per_address_cap() -> None:
    throttle = LoginThrottle(max_failures=3, max_failures_per_address=5, window_s=60)
    for _ in range(3):
        assert throttle.retry_after("ann", "203.0.113.7") is None
        throttle.failed("ann", "203.0.113.7")
    assert throttle.retry_after("ann", "203.0.113.7") is not None
    assert throttle.retry_after("ANN", "203.0.113.7") is not None  # usernames are case-insensitive
    # the attacker's failures lock ann out only for the attacker's address
    assert throttle.retry_after("ann", "198.51.100.1") is None
    # one address cannot try username after username: at most 5 failures in all
    throttle.failed("bob", "203.0.113.7")
    throttle.failed("cy", "203.0.113.7")
    assert throttle.retry_after("dee", "203.0.113.7") is not None
    assert throttle.retry_after("dee", "198.51.100.1") is None
    # an IPv6 client owns its /64: rotating the interface id does not escape the limit
    for i in range(3):
        throttle.failed("eve", f"2001:db8:1:2::{i + 1}")
    assert throttle.retry_after("eve", "2001:db8:1:2::ffff") is not None
    assert throttle.retry_after("eve", "2001:db8:1:3::1") is None


def test_throttle_memory_is_bounded() -> None:
    throttle = LoginThrottle(max_failures=3, max_failures_per_address=1000, window_s=60, max_keys=100)
    for i in range(1000):
        throttle.failed(f"user{i}", f"10.0.{i // 256}.{i % 256}")
    assert throttle.tracked_keys() <= 100


def test_sign_in_throttle_answers_429_without_checking_the_password(
    anon: TestClient, store: SqlStore
) -> None:
    store.create_staff(username="ann", password_hash=FAST_HASHER.hash(PASSWORD), role="agent", actor="test")
    for _ in range(5):
        assert anon.post("/api/v1/session", json={"username": "ann", "password": "x"}).status_code == 401
    r = anon.post("/api/v1/session", json={"username": "Ann", "password": PASSWORD})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    # other users are still welcome from this address
    assert anon.post("/api/v1/session", json={"username": "bob", "password": "x"}).status_code == 401
