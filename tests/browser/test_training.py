"""The Training page: leads see every retraining run and why one failed; agents do not."""

from __future__ import annotations

from typing import Any

from lovemachine.adapters.sql import SqlStore
from tests.browser.conftest import Login
from tests.browser.seed import MODEL_VERSION, Seeded


def test_a_lead_sees_training_runs_with_their_outcome(
    page: Any, login: Login, store: SqlStore, seeded: Seeded
) -> None:
    failed = store.start_training_run(trigger="scheduled", actor="scheduler")
    store.finish_training_run(
        failed.id, status="failed", error="FileNotFoundError: <b>base.jsonl</b> is not there"
    )
    ok = store.start_training_run(trigger="manual", actor="cli")
    store.update_training_run(ok.id, detail={"snapshot": {"label_rows": 480}})
    store.finish_training_run(
        ok.id, status="succeeded", model_version=MODEL_VERSION, eligible=True, report_path="/var/r/evaluation"
    )
    running = store.start_training_run(trigger="manual", actor="cli")

    login(page, "lead")
    page.get_by_test_id("nav-training").click()
    page.locator('[data-testid="training-table"][data-loaded="true"]').wait_for()

    def row(run_id: int) -> Any:
        return page.locator(f'[data-testid="training-row"][data-run-id="{run_id}"]')

    assert row(failed.id).get_attribute("data-status") == "failed"
    error = row(failed.id).get_by_test_id("training-error")
    assert error.inner_text() == "FileNotFoundError: <b>base.jsonl</b> is not there"  # text, never markup
    assert row(failed.id).locator("b").count() == 0
    done = row(ok.id).inner_text()
    assert "challenger" in done and MODEL_VERSION in done and "480" in done and "/var/r/evaluation" in done
    assert "running" in row(running.id).inner_text()
    ids = [
        int(x)
        for x in page.locator('[data-testid="training-row"]').evaluate_all(
            "rows => rows.map(r => r.dataset.runId)"
        )
    ]
    assert ids.index(running.id) < ids.index(ok.id) < ids.index(failed.id)  # newest first


def test_an_agent_has_no_training_page(page: Any, login: Login) -> None:
    login(page)
    assert page.get_by_test_id("nav-training").is_hidden()
    page.goto("/#/training")
    assert "do not have access" in page.get_by_test_id("page-error").inner_text()
    assert page.request.get("/api/v1/training-runs").status == 403
