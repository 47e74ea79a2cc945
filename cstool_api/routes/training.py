"""Training runs (lead, admin): every retraining, scheduled or manual, with its outcome.

A run that failed shows its error here; the live model is untouched by it. The model versions runs
produced are under ``/models`` (admin).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from cstool_api.deps import Lead, StateDep
from cstool_api.errors import ApiError
from cstool_api.responses import TrainingRunOut, TrainingRunPage, errors
from cstool_api.routes.params import Cursor, Id, Limit
from cstool_api.schemas import page_out, ts
from lovemachine.retraining import TrainingRun

router = APIRouter(tags=["training"])

Status = Annotated[
    Literal["running", "succeeded", "failed", "not_eligible"] | None,
    Query(description="only runs in this status"),
]


def run_out(run: TrainingRun) -> dict[str, Any]:
    detail = run.detail or {}
    snapshot = detail.get("snapshot") if isinstance(detail.get("snapshot"), dict) else None
    return {
        "id": run.id,
        "trigger": run.trigger,
        "status": run.status,
        "actor": run.actor,
        "started_at": ts(run.started_at),
        "finished_at": ts(run.finished_at),
        "dataset_snapshot_id": run.dataset_snapshot_id,
        "label_rows": snapshot.get("label_rows") if snapshot else None,
        "model_version": run.model_version,
        "eligible": run.eligible,
        "report_path": run.report_path,
        "error": run.error,
        "detail": detail,
    }


@router.get("/training-runs", summary="Retraining runs, newest first", response_model=TrainingRunPage)
def list_training_runs(
    principal: Lead, state: StateDep, limit: Limit = 50, cursor: Cursor = None, status: Status = None
) -> dict[str, Any]:
    page = state.store.list_training_runs(limit=limit, cursor=cursor, status=status)
    return page_out([run_out(r) for r in page.items], page.next_cursor)


@router.get(
    "/training-runs/{run_id}",
    summary="One retraining run",
    response_model=TrainingRunOut,
    responses=errors(404),
)
def get_training_run(run_id: Id, principal: Lead, state: StateDep) -> dict[str, Any]:
    run = state.store.get_training_run(run_id)
    if run is None:
        raise ApiError(404, "not_found", f"no training run #{run_id}")
    return run_out(run)
