"""Signing in and out, cookies, CSRF, throttling, roles and bearer tokens."""

from __future__ import annotations

import hashlib

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from lovemachine.adapters.sql import SqlStore
from lovemachine.adapters.sql.tables import api_tokens, audit_log, labels, rules, staff
from lovemachine.config import Settings
from tests.api.conftest import FAST_HASHER, PASSWORD, Login, Seeder, count


def test_sign_in_sets_hardened_cookies_and_returns_the_csrf_token(app: FastAPI, store: SqlStore) -> None:
    store.create_staff(username="ann", password_hash=FAST_HASHER.hash(PASSWORD), role="agent", actor="test")
    app.state.lm.settings.cookie_secure = True
    with TestClient(app, base_url="https://testserver") as c:
        r = c.post("/api/v1/session", json={"username": "ann", "password": PASSWORD})
        assert r.status_code == 200
        body = r.json()
        assert body["user"] == {"username": "ann", "role": "agent"} and len(body["csrf_token"]) >= 32
        cookies = {h.split("=", 1)[0]: h.lower() for h in r.headers.get_list("set-cookie")}
        assert "httponly" in cookies["lm_session"] and "samesite=strict" in cookies["lm_session"]
        assert "secure" in cookies["lm_session"]
        assert "httponly" not in cookies["lm_csrf"] and "samesite=strict" in cookies["lm_csrf"]
        assert c.cookies["lm_csrf"] == body["csrf_token"]
        me = c.get("/api/v1/me").json()
        assert me == {"username": "ann", "role": "agent", "csrf_token": body["csrf_token"]}
    # the cookie value itself is never stored: only its SHA-256
    with store.engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT id FROM staff_sessions").scalars().all()
    assert stored == [hashlib.sha256(c.cookies["lm_session"].encode()).hexdigest()]


def test_wrong_password_and_unknown_user_look_the_same(
    app: FastAPI, anon: TestClient, store: SqlStore
) -> None:
    store.create_staff(username="ann", password_hash=FAST_HASHER.hash(PASSWORD), role="agent", actor="test")
    wrong = anon.post("/api/v1/session", json={"username": "ann", "password": "nope"})
    unknown = anon.post("/api/v1/session", json={"username": "bob", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert (
        wrong.json()
        == unknown.json()
        == {"error": {"code": "unauthenticated", "message": "wrong username or password", "details": None}}
    )
    assert "lm_session" not in anon.cookies


def test_repeated_failures_are_throttled(anon: TestClient, store: SqlStore) -> None:
    store.create_staff(username="ann", password_hash=FAST_HASHER.hash(PASSWORD), role="agent", actor="test")
    for _ in range(5):
        assert anon.post("/api/v1/session", json={"username": "ann", "password": "x"}).status_code == 401
    r = anon.post("/api/v1/session", json={"username": "ann", "password": PASSWORD})
    assert r.status_code == 429 and r.json()["error"]["code"] == "rate_limited"
    assert int(r.headers["Retry-After"]) > 0


def test_sign_out_ends_the_session(login: Login) -> None:
    c = login("agent")
    assert c.get("/api/v1/queues").status_code == 200
    assert c.delete("/api/v1/session").status_code == 204
    r = c.get("/api/v1/queues")
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthenticated"


def test_unauthenticated_requests_get_401(anon: TestClient) -> None:
    for method, path in [("get", "/api/v1/queues"), ("get", "/api/v1/me"), ("post", "/api/v1/rules")]:
        r = anon.request(method.upper(), path, json={})
        assert r.status_code == 401, path
        assert r.json()["error"]["code"] == "unauthenticated"


def test_mutating_request_without_csrf_is_refused_and_writes_nothing(
    login: Login, store: SqlStore, seeder: Seeder
) -> None:
    lead = login("lead", csrf=False)
    item = seeder.item_id(seeder.decide())
    before = count(store, audit_log)
    r = lead.post("/api/v1/rules", json={"pattern": "amazon gift", "category": "cash"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "csrf"
    r = lead.post(
        "/api/v1/rules", json={"pattern": "amazon gift", "category": "cash"}, headers={"X-CSRF-Token": "x"}
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "csrf"
    r = lead.post(f"/api/v1/items/{item}/claim")
    assert r.status_code == 403
    assert count(store, rules) == 0 and count(store, audit_log) == before
    assert lead.get(f"/api/v1/items/{item}").json()["status"] == "open"
    assert lead.get("/api/v1/rules").status_code == 200  # reads need no CSRF token


def test_roles(login: Login, store: SqlStore) -> None:
    agent, lead, admin = login("agent"), login("lead"), login("admin")
    rule = {"pattern": "amazon gift", "category": "cash", "action": "report"}
    r = agent.post("/api/v1/rules", json=rule)
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    assert agent.get("/api/v1/rules").status_code == 403
    assert agent.get("/api/v1/audit").status_code == 403
    assert count(store, rules) == 0

    assert lead.post("/api/v1/rules", json=rule).status_code == 201
    assert lead.get("/api/v1/audit").status_code == 200
    assert lead.get("/api/v1/staff").status_code == 403
    assert lead.post("/api/v1/staff", json={"username": "x", "password": PASSWORD}).status_code == 403
    assert lead.post("/api/v1/tokens", json={"name": "m", "scopes": ["reports:write"]}).status_code == 403

    r = admin.post("/api/v1/staff", json={"username": "newbie", "password": PASSWORD, "role": "agent"})
    assert r.status_code == 201 and r.json()["role"] == "agent"
    assert admin.post("/api/v1/rules", json={**rule, "pattern": "itunes"}).status_code == 201
    assert count(store, staff) == 4


def test_admin_manages_staff(login: Login, app: FastAPI, store: SqlStore) -> None:
    admin = login("admin", "root")
    r = admin.post("/api/v1/staff", json={"username": "bob", "password": PASSWORD, "role": "agent"})
    assert r.status_code == 201
    r = admin.post("/api/v1/staff", json={"username": "bob", "password": PASSWORD, "role": "agent"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "exists"
    r = admin.post("/api/v1/staff", json={"username": "carl", "password": "short", "role": "agent"})
    assert r.status_code == 422 and r.json()["error"]["details"][0]["loc"] == ["body", "password"]
    bob = login("agent", "bob")
    assert bob.get("/api/v1/audit").status_code == 403

    assert admin.patch("/api/v1/staff/bob", json={"role": "lead"}).json()["role"] == "lead"
    assert bob.get("/api/v1/audit").status_code == 200  # the new role applies at once
    assert admin.patch("/api/v1/staff/bob", json={"active": False}).json()["active"] is False
    assert bob.get("/api/v1/queues").status_code == 401  # deactivation ends the session
    with TestClient(app) as again:
        assert (
            again.post("/api/v1/session", json={"username": "bob", "password": PASSWORD}).status_code == 401
        )
    r = admin.patch("/api/v1/staff/root", json={"role": "agent"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "self"
    assert admin.patch("/api/v1/staff/nobody", json={"role": "lead"}).status_code == 404
    page = admin.get("/api/v1/staff", params={"limit": 1}).json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    actions = [
        e["action"] for e in admin.get("/api/v1/audit", params={"entity_type": "staff"}).json()["items"]
    ]
    assert actions.count("staff.update") == 2 and "staff.create" in actions


def test_tokens_are_scoped_hashed_and_revocable(
    login: Login, app: FastAPI, store: SqlStore, seeder: Seeder
) -> None:
    admin = login("admin")
    r = admin.post("/api/v1/tokens", json={"name": "marketplace", "scopes": ["reports:write"]})
    assert r.status_code == 201
    created = r.json()
    secret = created["token"]
    assert secret.startswith("lmt_") and created["scopes"] == ["reports:write"]
    with store.engine.connect() as conn:
        row = conn.execute(api_tokens.select()).mappings().one()
    assert row["token_sha256"] == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(dict(row))
    assert "token" not in admin.get("/api/v1/tokens").json()["items"][0]  # shown once only

    listing = seeder.decide()
    item = seeder.item_id(listing)
    bearer = {"Authorization": f"Bearer {secret}"}
    with TestClient(app) as api:
        r = api.post(
            "/api/v1/reports",
            json={"listing_id": listing, "reason": "fake", "reporter_id": "u1"},
            headers=bearer,
        )
        assert r.status_code == 202
        r = api.get("/api/v1/queues", headers=bearer)
        assert r.status_code == 403 and "queues:read" in r.json()["error"]["message"]
        r = api.post(f"/api/v1/items/{item}/label", json={"label": "counterfeit"}, headers=bearer)
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
        assert count(store, labels) == 0
        assert (
            api.post("/api/v1/rules", json={"pattern": "x", "category": "cash"}, headers=bearer).status_code
            == 403
        )

        assert admin.delete(f"/api/v1/tokens/{created['id']}").json()["revoked_at"] is not None
        r = api.post(
            "/api/v1/reports",
            json={"listing_id": listing, "reason": "fake", "reporter_id": "u2"},
            headers=bearer,
        )
        assert r.status_code == 401
        assert api.get("/api/v1/queues", headers={"Authorization": "Bearer lmt_made_up"}).status_code == 401
    audit = admin.get("/api/v1/audit", params={"entity_type": "api_token"}).json()["items"]
    assert [e["action"] for e in audit] == ["token.revoke", "token.create"]
    report = admin.get("/api/v1/audit", params={"action": "report.create"}).json()["items"][0]
    assert report["actor"] == f"token:marketplace#{created['id']}"


def test_token_with_every_scope_still_cannot_label(
    login: Login, app: FastAPI, seeder: Seeder, store: SqlStore
) -> None:
    admin = login("admin")
    scopes = ["reports:write", "queues:read", "items:read", "audit:read"]
    secret = admin.post("/api/v1/tokens", json={"name": "all", "scopes": scopes}).json()["token"]
    item = seeder.item_id(seeder.decide())
    with TestClient(app, headers={"Authorization": f"Bearer {secret}"}) as api:
        assert api.get("/api/v1/queues").status_code == 200
        assert api.get(f"/api/v1/items/{item}").status_code == 200
        assert api.get("/api/v1/audit").status_code == 200
        assert api.post(f"/api/v1/items/{item}/claim").status_code == 403
        assert api.post("/api/v1/queues/counterfeit/next").status_code == 403
        assert api.post(f"/api/v1/items/{item}/label", json={"label": "no_violation"}).status_code == 403
    assert count(store, labels) == 0
    r = admin.post("/api/v1/tokens", json={"name": "bad", "scopes": ["labels:write"]})
    assert r.status_code == 422 and r.json()["error"]["code"] == "validation"


def test_cookie_secure_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LOVEMACHINE_COOKIE_SECURE", raising=False)
    assert Settings().cookie_secure is True  # secure unless LOVEMACHINE_COOKIE_SECURE=false
    monkeypatch.setenv("LOVEMACHINE_COOKIE_SECURE", "false")
    assert Settings().cookie_secure is False
