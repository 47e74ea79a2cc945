"""Rules (preview, validation, audit, hot-reload revision), user reports, audit pagination, health."""

from __future__ import annotations

from fastapi.testclient import TestClient

from lovemachine.adapters.sql import SqlStore
from lovemachine.adapters.sql.tables import audit_log, review_items, rules, user_reports
from lovemachine.policy import Action
from tests.api.conftest import Login, Seeder, count


def test_rule_preview_counts_hits_with_the_worker_matcher(login: Login, seeder: Seeder) -> None:
    seeder.decide(None, 0.1, Action.ALLOW, title="ＡＭＡＺＯＮギフト券 5000円分")  # full-width: normalised
    seeder.decide(None, 0.1, Action.ALLOW, title="amazonギフト 1万円", description="コード送付")
    seeder.decide(None, 0.1, Action.ALLOW, title="iTunes card")
    seeder.decide(None, 0.1, Action.ALLOW, title="Nice bag")
    lead = login("lead")
    r = lead.post(
        "/api/v1/rules/preview", json={"pattern": "amazonギフト", "kind": "keyword", "category": "cash"}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["hits"], body["scanned"], body["truncated"]) == (2, 4, False)
    assert {e["listing_id"] for e in body["examples"]} == {"L0001", "L0002"}
    assert all("amazonギフト" in e["snippet"] for e in body["examples"])
    r = lead.post(
        "/api/v1/rules/preview",
        json={"pattern": r"itunes|nice\s+bag", "kind": "regex", "category": "cash", "limit": 1},
    )
    assert (r.json()["hits"], len(r.json()["examples"])) == (2, 1)
    assert (
        lead.post("/api/v1/rules/preview", json={"pattern": "nothing-like-this", "days": 1}).json()["hits"]
        == 0
    )
    assert count(seeder.store, rules) == 0  # a preview saves nothing
    assert count(seeder.store, audit_log, audit_log.c.entity_type == "rule") == 0


def test_bad_rules_are_refused_clearly_and_write_nothing(login: Login, store: SqlStore) -> None:
    lead = login("lead")
    before = count(store, audit_log)
    r = lead.post("/api/v1/rules", json={"pattern": "(unclosed", "kind": "regex", "category": "cash"})
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "invalid_regex" and err["message"].startswith("invalid regex: missing )")
    assert err["details"]["field"] == "pattern"
    r = lead.post("/api/v1/rules/preview", json={"pattern": "[a-", "kind": "regex"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_regex"
    for body in (
        {"pattern": "x", "category": "weapons"},
        {"pattern": "", "category": "cash"},
        {"pattern": "x", "category": "cash", "action": "delete"},
        {"pattern": "x", "category": "cash", "kind": "glob"},
    ):
        r = lead.post("/api/v1/rules", json=body)
        assert r.status_code == 422 and r.json()["error"]["code"] == "validation", body
    assert count(store, rules) == 0 and count(store, audit_log) == before


def test_rule_changes_are_audited_and_reload_workers(login: Login, store: SqlStore) -> None:
    lead = login("lead", "lena")
    revision0 = store.rules_revision()
    r = lead.post(
        "/api/v1/rules",
        json={"pattern": "amazonギフト", "category": "cash", "action": "hide", "note": "wave 3"},
    )
    assert r.status_code == 201
    rule = r.json()
    assert (rule["owner"], rule["enabled"], rule["kind"], rule["note"]) == ("lena", True, "keyword", "wave 3")
    revision1 = store.rules_revision()
    assert revision1 != revision0
    assert [x.id for x in store.list_rules()] == [rule["id"]]  # what a worker loads

    r = lead.patch(f"/api/v1/rules/{rule['id']}", json={"enabled": False})
    assert r.status_code == 200 and r.json()["enabled"] is False
    assert store.rules_revision() != revision1 and store.list_rules() == []
    r = lead.patch(f"/api/v1/rules/{rule['id']}", json={"kind": "regex", "pattern": "amazon(ギフト"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_regex"
    r = lead.patch(
        f"/api/v1/rules/{rule['id']}", json={"kind": "regex", "pattern": "amazon\\s*ギフト", "enabled": True}
    )
    assert r.json()["pattern"] == "amazon\\s*ギフト" and r.json()["enabled"] is True
    assert lead.patch("/api/v1/rules/9999", json={"enabled": False}).status_code == 404

    audit = lead.get("/api/v1/audit", params={"entity_type": "rule"}).json()["items"]
    assert [(e["action"], e["actor"]) for e in audit] == [
        ("rule.update", "lena"),
        ("rule.update", "lena"),
        ("rule.add", "lena"),
    ]
    assert audit[1]["detail"] == {"before": {"enabled": True}, "after": {"enabled": False}}


def test_rules_and_audit_are_paginated(login: Login, store: SqlStore) -> None:
    lead = login("lead")
    for i in range(5):
        assert lead.post("/api/v1/rules", json={"pattern": f"word{i}", "category": "cash"}).status_code == 201
    ids, cursor = [], None
    while True:
        page = lead.get("/api/v1/rules", params={"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        ids += [r["id"] for r in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert ids == sorted(ids) and len(ids) == 5
    entries, cursor = [], None
    while True:
        page = lead.get(
            "/api/v1/audit", params={"limit": 2, "actor": "lead1", **({"cursor": cursor} if cursor else {})}
        ).json()
        entries += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert [e["action"] for e in entries] == ["rule.add"] * 5 + ["session.create"]
    assert [e["id"] for e in entries] == sorted((e["id"] for e in entries), reverse=True)
    assert lead.get("/api/v1/audit", params={"cursor": "%%%"}).status_code == 422


def test_user_reports_merge_duplicates_and_raise_priority(
    login: Login, seeder: Seeder, store: SqlStore
) -> None:
    listing = seeder.decide("cash", 0.7, Action.REPORT)
    quiet = seeder.decide("cash", 0.65, Action.REPORT)
    agent = login("agent")
    post = lambda reporter, reason="scam": agent.post(  # noqa: E731
        "/api/v1/reports", json={"listing_id": listing, "reason": reason, "reporter_id": reporter}
    )
    r = post("u1")
    assert r.status_code == 202
    first = r.json()
    assert (first["reporters"], first["status"], first["merged"]) == (1, "open", False)
    assert post("u1", "still a scam").json() == {**first, "merged": True}  # same reporter: merged
    assert count(store, user_reports) == 1
    item = first["review_item_id"]
    p1 = agent.get(f"/api/v1/items/{item}").json()["base_priority"]
    assert post("u2").json()["reporters"] == 2 and post("u3").json()["reporters"] == 3
    detail = agent.get(f"/api/v1/items/{item}").json()
    assert detail["queue"] == "user_reports" and detail["base_priority"] > p1
    assert detail["decision"]["model_version"] == "lm-api-test-1"
    assert [(u["reporter_id"], u["times"], u["reason"]) for u in detail["user_reports"]] == [
        ("u1", 2, "still a scam"),
        ("u2", 1, "scam"),
        ("u3", 1, "scam"),
    ]
    agent.post("/api/v1/reports", json={"listing_id": quiet, "reason": "?", "reporter_id": "u1"})
    queue = agent.get("/api/v1/queues/user_reports/items").json()["items"]
    assert [(i["listing_id"], i["reporters"]) for i in queue] == [(listing, 3), (quiet, 1)]

    before = (count(store, user_reports), count(store, review_items), count(store, audit_log))
    r = agent.post("/api/v1/reports", json={"listing_id": "never-seen", "reason": "x", "reporter_id": "u1"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "listing_not_found"
    r = agent.post("/api/v1/reports", json={"listing_id": listing, "reporter_id": ""})
    assert r.status_code == 422
    assert (count(store, user_reports), count(store, review_items), count(store, audit_log)) == before


def test_health_docs_and_page(anon: TestClient) -> None:
    assert anon.get("/healthz").json() == {"status": "ok", "database": "ok"}
    assert anon.get("/docs").status_code == 200
    paths = anon.get("/openapi.json").json()["paths"]
    for path in (
        "/api/v1/session",
        "/api/v1/queues/{queue}/next",
        "/api/v1/items/{item_id}/label",
        "/api/v1/reports",
    ):
        assert path in paths
    r = anon.get("/")
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    assert r.headers["x-frame-options"] == "DENY"
    # the page runs only its own scripts, and is revalidated after a deploy
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["cache-control"] == "no-cache"
    js = anon.get("/static/app.js")
    assert js.status_code == 200 and js.headers["cache-control"] == "no-cache"
    # Swagger UI from local assets: its page keeps a policy too (tests/api/test_openapi.py)
    assert "script-src 'self' 'sha256-" in anon.get("/docs").headers["content-security-policy"]


def test_admin_moves_the_live_model(login: Login, seeder: Seeder, store: SqlStore) -> None:
    admin, lead = login("admin"), login("lead")
    models = admin.get("/api/v1/models").json()
    assert [(m["version"], m["aliases"]) for m in models["items"]] == [("lm-api-test-1", [])]
    body = {"version": "lm-api-test-1", "reason": "first model"}
    assert lead.put("/api/v1/models/aliases/champion", json=body).status_code == 403
    assert admin.put("/api/v1/models/aliases/champion", json=body).status_code == 200
    assert store.get_alias("champion").version == "lm-api-test-1"  # type: ignore[union-attr]
    assert admin.get("/api/v1/models").json()["items"][0]["aliases"] == ["champion"]
    r = admin.put("/api/v1/models/aliases/champion", json={"version": "nope", "reason": "x"})
    assert r.status_code == 404
    entry = admin.get("/api/v1/audit", params={"action": "model.set_alias"}).json()["items"]
    assert [(e["actor"], e["detail"]["to_version"]) for e in entry] == [("admin1", "lm-api-test-1")]
