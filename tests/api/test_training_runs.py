"""Training runs in the CS tool: leads and admins see every retraining and why one failed."""

from __future__ import annotations

from fastapi.testclient import TestClient

from lovemachine.adapters.sql import SqlStore
from tests.api.conftest import Login


def seed_runs(store: SqlStore) -> list[int]:
    failed = store.start_training_run(trigger="scheduled", actor="scheduler")
    store.finish_training_run(failed.id, status="failed", error="NotEnoughLabelsError: only 12 usable labels")
    done = store.start_training_run(trigger="manual", actor="cli")
    store.update_training_run(done.id, detail={"snapshot": {"id": 1, "label_rows": 480}})
    store.finish_training_run(done.id, status="not_eligible", eligible=False, report_path="/var/a/r")
    running = store.start_training_run(trigger="manual", actor="cli")
    return [failed.id, done.id, running.id]


def test_leads_list_training_runs_newest_first_with_pages(login: Login, store: SqlStore) -> None:
    failed, done, running = seed_runs(store)
    lead = login("lead")
    r = lead.get("/api/v1/training-runs", params={"limit": 2})
    assert r.status_code == 200, r.text
    body = r.json()
    assert [(x["id"], x["status"]) for x in body["items"]] == [(running, "running"), (done, "not_eligible")]
    assert body["items"][1]["label_rows"] == 480 and body["items"][1]["report_path"] == "/var/a/r"
    rest = lead.get("/api/v1/training-runs", params={"limit": 2, "cursor": body["next_cursor"]}).json()
    assert [x["id"] for x in rest["items"]] == [failed] and rest["next_cursor"] is None
    run = rest["items"][0]
    assert (run["trigger"], run["actor"], run["eligible"]) == ("scheduled", "scheduler", None)
    assert run["error"].startswith("NotEnoughLabelsError") and run["finished_at"]
    only_failed = lead.get("/api/v1/training-runs", params={"status": "failed"}).json()["items"]
    assert [x["id"] for x in only_failed] == [failed]
    assert lead.get(f"/api/v1/training-runs/{done}").json()["model_version"] is None
    assert lead.get("/api/v1/training-runs/999999").json()["error"]["code"] == "not_found"
    assert login("admin").get("/api/v1/training-runs").status_code == 200


def test_agents_and_strangers_are_refused(login: Login, anon: TestClient, store: SqlStore) -> None:
    seed_runs(store)
    assert login("agent").get("/api/v1/training-runs").json()["error"]["code"] == "forbidden"
    assert anon.get("/api/v1/training-runs").status_code == 401
    lead = login("lead")
    assert lead.get("/api/v1/training-runs", params={"status": "odd"}).status_code == 422
    assert lead.get("/api/v1/training-runs", params={"cursor": "nonsense"}).json()["error"]["code"] == (
        "invalid_cursor"
    )
