"""The CS tool's /metrics: operators only; queues, labels, appeals and the outbox as the database
holds them."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from lovemachine.adapters.sql import SqlStore
from lovemachine.dsa.statements import decision_puid
from lovemachine.policy import Action
from tests.api.conftest import MODEL, Login, Seeder


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_metrics_are_for_operators_and_count_what_the_database_holds(
    login: Login, app: FastAPI, seeder: Seeder, store: SqlStore
) -> None:
    reported = seeder.decide("cash", 0.7, Action.REPORT)
    seeder.decide("cash", 0.6, Action.REPORT)
    hidden = seeder.decide("counterfeit", 0.99, Action.HIDE)
    ann = login("agent", "ann")
    item = seeder.item_id(reported)
    assert ann.post(f"/api/v1/items/{item}/claim").status_code == 200
    assert ann.post(f"/api/v1/items/{item}/label", json={"label": "cash"}).status_code == 201
    store.create_appeal(
        appellant="seller", text="genuine", submitted_by="mp", statement_puid=decision_puid(hidden, 1, MODEL)
    )

    assert ann.get("/metrics").status_code == 403  # agents do not read operations data
    lead = login("lead", "bo")
    r = lead.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    m = samples(r.text)
    assert m[("lovemachine_review_queue_items", (("queue", "cash"), ("status", "open")))] == 1
    assert m[("lovemachine_review_queue_items", (("queue", "counterfeit"), ("status", "open")))] == 1
    assert ("lovemachine_review_queue_oldest_age_seconds", (("queue", "cash"),)) in m
    assert m[("lovemachine_labels_total", (("label", "cash"), ("reviewer", "ann")))] == 1
    assert m[("lovemachine_appeals", (("status", "open"),))] == 1
    assert m[("lovemachine_action_outbox_backlog", ())] == 0  # the label's hide went out
    assert m[("lovemachine_statements", (("tdb_state", "pending"),))] == 2  # the auto hide, the CS hide

    admin = login("admin", "root")
    token = admin.post("/api/v1/tokens", json={"name": "prometheus", "scopes": ["metrics:read"]}).json()[
        "token"
    ]
    other = admin.post("/api/v1/tokens", json={"name": "mp", "scopes": ["reports:write"]}).json()["token"]
    with TestClient(app) as prometheus:
        assert prometheus.get("/metrics", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        assert prometheus.get("/metrics", headers={"Authorization": f"Bearer {other}"}).status_code == 403
        assert prometheus.get("/metrics").status_code == 401
