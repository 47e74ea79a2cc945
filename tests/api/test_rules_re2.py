"""CS rules on RE2 through the API (SQLite and PostgreSQL): refused patterns are a clear 422 on create,
update and preview; a preview is bounded in rows and time; a rule saved before RE2 that RE2 refuses
stays listable and disableable, and the worker's rule loading skips it with an error."""

from __future__ import annotations

import logging
import time

import pytest
from sqlalchemy import insert

from lovemachine.adapters.sql import SqlStore
from lovemachine.adapters.sql._base import utcnow
from lovemachine.adapters.sql.tables import audit_log, rules
from lovemachine.config import Settings
from lovemachine.features.text import listing_text
from lovemachine.policy import Action
from lovemachine.rules import RuleSet
from tests.api.conftest import Login, Seeder, count


def test_a_pattern_re2_refuses_is_a_clear_422_on_create_update_and_preview(
    login: Login, store: SqlStore
) -> None:
    lead = login("lead")
    before = count(store, audit_log)
    for path in ("/api/v1/rules", "/api/v1/rules/preview"):
        r = lead.post(path, json={"pattern": r"(gift)\s*\1", "kind": "regex", "category": "cash"})
        assert r.status_code == 422, (path, r.text)
        err = r.json()["error"]
        assert err["code"] == "invalid_regex", path
        assert err["message"].startswith("invalid regex: backreferences"), err["message"]
        assert err["details"]["field"] == "pattern"
    r = lead.post("/api/v1/rules/preview", json={"pattern": "amazon(?=ギフト)", "kind": "regex"})
    assert r.status_code == 422 and "lookahead" in r.json()["error"]["message"]

    r = lead.post("/api/v1/rules", json={"pattern": "gift", "kind": "regex", "category": "cash"})
    assert r.status_code == 201, r.text
    rule_id = r.json()["id"]
    r = lead.patch(f"/api/v1/rules/{rule_id}", json={"pattern": r"(?<!amazon )gift"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_regex"
    assert [x.pattern for x in store.list_rules()] == ["gift"]  # nothing changed
    assert count(store, rules) == 1 and count(store, audit_log) == before + 1  # the one add


def test_a_catastrophic_pattern_previews_in_linear_time(login: Login, seeder: Seeder) -> None:
    # Python's re needs ~2^n steps here: minutes for 30 characters (a request thread it blocks
    # cannot be interrupted); the unit tests run the same patterns over 100,000 characters
    seeder.decide(None, 0.1, Action.ALLOW, title="Nice bag", description="a" * 30 + "!")
    seeder.decide(None, 0.1, Action.ALLOW, title="Nice bag", description="bag aaaa")
    lead = login("lead")
    started = time.monotonic()
    r = lead.post("/api/v1/rules/preview", json={"pattern": "(a+)+$", "kind": "regex"})
    assert r.status_code == 200, r.text
    assert time.monotonic() - started < 10
    body = r.json()
    assert (body["hits"], body["scanned"], body["truncated"]) == (1, 2, False)
    assert body["examples"][0]["matched"] == "aaaa"


def test_a_preview_stops_at_its_time_budget_and_says_so(
    login: Login, seeder: Seeder, settings: Settings
) -> None:
    for i in range(6):
        seeder.decide(None, 0.1, Action.ALLOW, title=f"gift card {i}")
    lead = login("lead")
    settings.preview_max_seconds = 1e-6  # the first listing alone takes longer
    r = lead.post("/api/v1/rules/preview", json={"pattern": "gift", "kind": "keyword"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["scanned"], body["hits"], body["truncated"], body["stopped"]) == (1, 1, True, "time")
    assert body["max_seconds"] == 1e-6 and body["seconds"] >= 0

    settings.preview_max_seconds = 60.0
    settings.preview_max_listings = 4
    body = lead.post("/api/v1/rules/preview", json={"pattern": "gift"}).json()
    assert (body["scanned"], body["hits"], body["truncated"], body["stopped"]) == (4, 4, True, "rows")
    settings.preview_max_listings = 6  # exactly as many listings as the limit: nothing left out
    body = lead.post("/api/v1/rules/preview", json={"pattern": "gift"}).json()
    assert (body["scanned"], body["truncated"], body["stopped"], body["max_listings"]) == (6, False, None, 6)


def test_a_stored_rule_re2_refuses_is_skipped_by_the_worker_and_can_be_disabled(
    login: Login, store: SqlStore, caplog: pytest.LogCaptureFixture
) -> None:
    # rows written before RE2 (Python's re accepted them)
    with store.engine.begin() as conn:
        for pattern, kind in ((r"(gift)\s*\1", "regex"), (r"amazon\s*ギフト", "regex"), ("n品", "keyword")):
            conn.execute(
                insert(rules).values(
                    pattern=pattern,
                    kind=kind,
                    category="cash",
                    action="report",
                    enabled=True,
                    owner="legacy",
                    note="",
                    created_at=utcnow(),
                    updated_at=utcnow(),
                )
            )
    with caplog.at_level(logging.ERROR, logger="lovemachine.rules"):
        loaded = RuleSet(store.list_rules())  # what workers/provider.py does on every rules revision
    assert len(loaded) == 2 and list(loaded.skipped) == [1]
    assert [r.getMessage() for r in caplog.records if "rule #1 skipped" in r.getMessage()]
    text = listing_text("gift gift AMAZON ギフト", "N品")
    assert [(m.rule_id, m.matched) for m in loaded.match(text)] == [(2, "amazon ギフト"), (3, "n品")]

    lead = login("lead")
    listed = lead.get("/api/v1/rules")
    assert listed.status_code == 200 and [x["id"] for x in listed.json()["items"]] == [1, 2, 3]
    r = lead.patch("/api/v1/rules/1", json={"enabled": True, "note": "still on"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_regex"
    r = lead.patch("/api/v1/rules/1", json={"enabled": False, "note": "RE2 refuses it"})
    assert r.status_code == 200, r.text
    assert [x.id for x in store.list_rules()] == [2, 3]
    r = lead.patch("/api/v1/rules/1", json={"pattern": r"gift\s*gift", "enabled": True})
    assert r.status_code == 200, r.text
    assert len(RuleSet(store.list_rules())) == 3
