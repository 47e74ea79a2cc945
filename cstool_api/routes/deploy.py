"""Blue-green deploys in the CS tool: the aliases and their history, the shadow comparison (leads and
admins), and promote / rollback (admins only), through the same gates as ``lovemachine deploy``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import Field

from cstool_api.deps import Admin, Lead, StateDep
from cstool_api.errors import ApiError
from cstool_api.responses import ComparisonOut, DeployStatusOut, PromotionOut, RollbackOut, errors
from cstool_api.schemas import _Body, ts
from lovemachine.errors import AliasConflictError, ArtifactIntegrityError, PromotionBlockedError
from lovemachine.ports import ModelVersionRecord
from lovemachine.services import deploy

router = APIRouter(tags=["models"])
HistoryLimit = Annotated[int, Query(ge=1, le=500, description="alias moves to list, newest first")]


class PromoteIn(_Body):
    reason: str = Field(default="", max_length=2000)
    force: bool = Field(default=False, description="promote although gates fail; needs a reason")


class RollbackIn(_Body):
    reason: str = Field(default="", max_length=2000)


def _version(record: ModelVersionRecord | None) -> dict[str, Any] | None:
    if record is None:
        return None
    evaluation = record.metrics.get("evaluation")
    return {
        "version": record.version,
        "created_at": ts(record.created_at),
        "evaluation": evaluation if isinstance(evaluation, dict) else None,
    }


@router.get(
    "/models/deploy",
    summary="Where champion and challenger point, and their moves (newest first)",
    response_model=DeployStatusOut,
)
def deploy_status(principal: Lead, state: StateDep, limit: HistoryLimit = 50) -> dict[str, Any]:
    st = deploy.status(state.store)
    settings = state.settings
    return {
        "champion": _version(st.champion),
        "challenger": _version(st.challenger),
        "history": [deploy.change_out(h) for h in st.history[: max(1, min(limit, 500))]],
        "gates": {
            "min_shadow": settings.promote_min_shadow,
            "max_hide_ratio": settings.promote_max_hide_ratio,
            "min_hide_ratio": settings.promote_min_hide_ratio,
            "max_report_ratio": settings.promote_max_report_ratio,
            "review_capacity_per_day": settings.review_capacity_per_day,
            "min_labelled": settings.promote_min_labelled,
            "max_precision_drop": settings.promote_max_precision_drop,
            "min_hide_precision": settings.promote_min_hide_precision,
        },
        "refresh_seconds": settings.rules_refresh_seconds,
    }


@router.get(
    "/models/compare",
    summary="The challenger's shadow decisions against the champion's, per category",
    response_model=ComparisonOut,
    responses=errors(404, e404="No champion or no challenger"),
)
def compare(principal: Lead, state: StateDep) -> dict[str, Any]:
    try:
        comparison = deploy.compare(state.store)
    except LookupError as exc:
        raise ApiError(404, "not_found", str(exc)) from None
    return comparison.to_dict()


@router.post(
    "/models/promote",
    summary="Make the challenger the champion if its gates pass; audited",
    response_model=PromotionOut,
    responses=errors(409, e409="A gate failed (details.failed), or the aliases moved meanwhile"),
)
def promote(body: PromoteIn, principal: Admin, state: StateDep) -> dict[str, Any]:
    if body.force and not body.reason:
        raise ApiError(422, "validation", "a forced promotion needs a reason")
    config = deploy.GateConfig.from_settings(state.settings)
    try:
        result = deploy.promote(
            state.store, actor=principal.actor, reason=body.reason, force=body.force, config=config
        )
    except PromotionBlockedError as exc:
        raise ApiError(409, exc.code, str(exc), {"failed": exc.failed}) from None
    except AliasConflictError as exc:
        raise ApiError(409, exc.code, str(exc)) from None
    return {
        "change": deploy.change_out(result.change),
        "gates": deploy.gates_out(result.gates),
        "forced": result.forced,
    }


@router.post(
    "/models/rollback",
    summary="Move the champion back to the version it replaced; audited",
    response_model=RollbackOut,
    responses=errors(409, e409="Nothing to roll back to, or the artifact fails its integrity check"),
)
def rollback(body: RollbackIn, principal: Admin, state: StateDep) -> dict[str, Any]:
    try:
        change = deploy.rollback(state.store, actor=principal.actor, reason=body.reason)
    except LookupError as exc:
        raise ApiError(409, "nothing_to_roll_back", str(exc)) from None
    except (AliasConflictError, ArtifactIntegrityError) as exc:
        raise ApiError(409, exc.code, str(exc)) from None
    return {"change": deploy.change_out(change)}
