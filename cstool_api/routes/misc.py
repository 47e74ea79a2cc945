"""The audit log, user reports from the marketplace, and the health check."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from cstool_api.deps import Principal, StateDep, allow
from cstool_api.errors import error_response
from cstool_api.responses import AuditPage, HealthOut, ReportAccepted, errors
from cstool_api.routes.params import Cursor, Limit
from cstool_api.schemas import ReportIn, audit_out, page_out

router = APIRouter(tags=["audit and reports"])
health_router = APIRouter(tags=["health"])

AuditReader = Annotated[Principal, Depends(allow("lead", scope="audit:read"))]
Reporter = Annotated[Principal, Depends(allow("agent", scope="reports:write"))]
Filter = Annotated[str | None, Query(max_length=128)]


@router.get(
    "/audit",
    summary="Who did what, when, to which listing, rule, staff member, token or model",
    response_model=AuditPage,
)
def list_audit(
    principal: AuditReader,
    state: StateDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    entity_type: Filter = None,
    entity_id: Filter = None,
    actor: Filter = None,
    action: Filter = None,
) -> dict[str, Any]:
    page = state.store.list_audit(
        limit=limit, cursor=cursor, entity_type=entity_type, entity_id=entity_id, actor=actor, action=action
    )
    return page_out([audit_out(e) for e in page.items], page.next_cursor)


@router.post(
    "/reports",
    status_code=202,
    summary="A customer's report of a listing, forwarded by the marketplace",
    response_model=ReportAccepted,
    responses=errors(404, e404="The listing was never seen (code listing_not_found): retry later"),
)
def report_listing(body: ReportIn, principal: Reporter, state: StateDep) -> dict[str, Any]:
    outcome = state.store.add_user_report(
        listing_id=body.listing_id, reporter_id=body.reporter_id, reason=body.reason, actor=principal.actor
    )
    return {
        "review_item_id": outcome.review_item_id,
        "reporters": outcome.reporters,
        "status": outcome.status,
        "merged": not outcome.new_reporter,
    }


@health_router.get(
    "/healthz",
    summary="Liveness and database check",
    response_model=HealthOut,
    responses=errors(503, e503="The database is unreachable (unavailable)"),
)
def healthz(state: StateDep) -> Any:
    try:
        state.store.ping()
    except Exception as exc:
        return error_response(503, "unavailable", f"database unreachable: {type(exc).__name__}")
    return JSONResponse({"status": "ok", "database": "ok"})
