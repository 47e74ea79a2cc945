"""The enforcement record (DSA): statements of reasons for the marketplace, appeals from it and their
queue, strikes, account actions and the numbers. See ``docs/dsa.md``."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import JSONResponse

from cstool_api.deps import Agent, Lead, Principal, StateDep, allow
from cstool_api.dsa_models import (
    AccountActionDecisionIn,
    AccountActionList,
    AccountActionOut,
    AppealCaseOut,
    AppealDecisionIn,
    AppealIn,
    AppealList,
    AppealOut,
    EnforcementReportOut,
    StatementOut,
    StrikesOut,
)
from cstool_api.responses import errors
from cstool_api.routes.params import Id
from cstool_api.routes.review import publish_pending
from cstool_api.schemas import listing_out
from cstool_api.state import AppState
from lovemachine.dsa.appeals import Appeal
from lovemachine.dsa.records import StoredStatement
from lovemachine.errors import NotFoundError
from lovemachine.services.outbox import flush_account_actions

log = logging.getLogger(__name__)
router = APIRouter(tags=["enforcement record (DSA)"])

AppealWriter = Annotated[Principal, Depends(allow(None, scope="appeals:write"))]
AppealReader = Annotated[Principal, Depends(allow("agent", scope="appeals:write"))]
StatementReader = Annotated[Principal, Depends(allow("agent", scope="statements:read"))]
ReportReader = Annotated[Principal, Depends(allow("lead", scope="audit:read"))]


def statement_out(st: StoredStatement) -> dict[str, Any]:
    return st.to_dict()


def appeal_out(state: AppState, appeal: Appeal) -> dict[str, Any]:
    return appeal.public(state.store.dsa)


def appeal_case(state: AppState, appeal: Appeal, now: datetime) -> dict[str, Any]:
    """An appeal with what a reviewer needs to decide it."""
    store = state.store
    statement = store.get_statement(appeal.statement_puid) if appeal.statement_puid else None
    current = store.get_listing(appeal.listing_id)
    judged = store.listing_version(appeal.listing_id, appeal.listing_version)
    judged_out = None
    if judged is not None:
        same = current is not None and current.listing.version == appeal.listing_version
        judged_out = {
            **judged.model_dump(mode="json", exclude={"seller"}),
            "status": current.status if same and current is not None else "edited since",
            "first_seen_at": None,
            "updated_at": None,
        }
    newer = current is not None and current.listing.version != appeal.listing_version
    seller = judged.seller_id if judged is not None else (current.listing.seller_id if current else None)
    return {
        **appeal_out(state, appeal),
        "text": appeal.text,
        "submitted_by": appeal.submitted_by,
        "original_decider": appeal.original_decider,
        "original_model_version": appeal.original_model_version,
        "claimed_by": appeal.claimed_by,
        "decided_by": appeal.decided_by,
        "overdue": appeal.status != "decided" and appeal.due_at < now,
        "statement": statement_out(statement) if statement is not None else None,
        "listing": judged_out,
        "current_listing": listing_out(current) if newer and current is not None else None,
        "strikes": store.seller_strikes(seller, now=now).to_dict() if seller else None,
    }


# ------------------------------------------------------------------------------------ statements
@router.get(
    "/statements/{puid}",
    summary="A statement of reasons: the seller's text and its Article 17 content",
    response_model=StatementOut,
    responses=errors(404),
)
def get_statement(puid: str, principal: StatementReader, state: StateDep) -> dict[str, Any]:
    st = state.store.get_statement(puid)
    if st is None:
        raise NotFoundError(f"no statement {puid}")
    return statement_out(st)


# ------------------------------------------------------------------------------------ appeals
@router.post(
    "/appeals",
    status_code=201,
    summary="A complaint against a decision, forwarded by the marketplace (token scope appeals:write)",
    response_model=AppealOut,
    responses=errors(
        404,
        409,
        e404="No restriction (no_restriction) or report (no_report) to contest",
        e409="A complaint on this decision is still being handled (appeal_pending)",
        e422="Too late (appeal_window_closed: the deadline is in details), already lifted, or malformed",
    ),
)
def create_appeal(
    body: AppealIn, principal: AppealWriter, state: StateDep, response: Response
) -> dict[str, Any]:
    appeal, created = state.store.create_appeal(
        appellant=body.appellant,
        text=body.text,
        submitted_by=principal.name,
        listing_id=body.listing_id,
        listing_version=body.listing_version,
        statement_puid=body.statement_puid,
        external_id=body.external_id,
    )
    if not created:
        response.status_code = 200
    return appeal_out(state, appeal)


@router.get(
    "/appeals/{appeal_id}",
    summary="An appeal's status and, once decided, its outcome, reason and redress",
    response_model=AppealOut,
    responses=errors(404),
)
def get_appeal(appeal_id: Id, principal: AppealReader, state: StateDep) -> dict[str, Any]:
    appeal = state.store.get_appeal(appeal_id)
    if appeal is None or (principal.kind == "token" and appeal.submitted_by != principal.name):
        raise NotFoundError(f"no appeal #{appeal_id}")
    return appeal_out(state, appeal)


@router.get(
    "/appeals",
    summary="The appeals queue, oldest first, with each case (staff)",
    response_model=AppealList,
)
def list_appeals(
    principal: Agent,
    state: StateDep,
    status: Annotated[str | None, Query(pattern="^(open|claimed|decided)$")] = "open",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "items": [appeal_case(state, a, now) for a in state.store.list_appeals(status=status, limit=limit)]
    }


@router.post(
    "/appeals/next",
    summary="Claim the oldest appeal you may decide (never one on your own decision); 204 if none",
    response_model=AppealCaseOut,
    responses={204: {"description": "Nothing to take"}},
)
def claim_next_appeal(principal: Agent, state: StateDep) -> Any:
    appeal = state.store.claim_next_appeal(principal.name)
    if appeal is None:
        return Response(status_code=204)
    return appeal_case(state, appeal, datetime.now(UTC))


@router.post(
    "/appeals/{appeal_id}/decision",
    summary="Uphold or overturn, with a written reason; overturning restores the listing",
    response_model=AppealCaseOut,
    responses=errors(
        403,
        404,
        409,
        e403="You made the decision this complaint contests (own_decision)",
        e409="Decided already (decided) or claimed by someone else (claimed)",
    ),
)
def decide_appeal(appeal_id: Id, body: AppealDecisionIn, principal: Agent, state: StateDep) -> Any:
    appeal, outbox_ids = state.store.decide_appeal(
        appeal_id, staff=principal.name, outcome=body.outcome, reason=body.reason, category=body.category
    )
    if outbox_ids:
        publish_pending(state)
    return appeal_case(state, appeal, datetime.now(UTC))


# ------------------------------------------------------------------------------------ strikes
@router.get(
    "/sellers/{seller_id}/strikes",
    summary="A seller's active strikes (violations a person confirmed, weighted, expiring)",
    response_model=StrikesOut,
    responses=errors(404, e404="No listing of this seller was ever judged"),
)
def seller_strikes(seller_id: str, principal: Agent, state: StateDep) -> dict[str, Any]:
    if not state.store.seller_seen(seller_id):
        raise NotFoundError(f"no listing of seller {seller_id!r} was ever judged")
    return state.store.seller_strikes(seller_id).to_dict()


@router.get(
    "/account-actions",
    summary="Account actions recommended by strikes, for a lead to confirm or dismiss",
    response_model=AccountActionList,
)
def list_account_actions(
    principal: Lead,
    state: StateDep,
    status: Annotated[str | None, Query(pattern="^(recommended|confirmed|dismissed)$")] = "recommended",
) -> dict[str, Any]:
    return {"items": [a.to_dict() for a in state.store.list_account_actions(status=status)]}


@router.post(
    "/account-actions/{action_id}/decision",
    summary="Confirm (published to the marketplace) or dismiss a recommended account action",
    response_model=AccountActionOut,
    responses=errors(404, 409),
)
def decide_account_action(
    action_id: Id, body: AccountActionDecisionIn, principal: Lead, state: StateDep
) -> dict[str, Any]:
    action = state.store.decide_account_action(
        action_id, staff=principal.name, confirm=body.confirm, reason=body.reason
    )
    if action.status == "confirmed":
        try:
            flush_account_actions(store=state.store, broker=state.broker, topic=state.settings.actions_topic)
        except Exception:  # kept pending; `lovemachine cstool flush-outbox` or the next confirmation sends it
            log.exception("could not publish account actions")
        refreshed = [a for a in state.store.list_account_actions(status="confirmed") if a.id == action.id]
        action = refreshed[0] if refreshed else action
    return action.to_dict()


# ------------------------------------------------------------------------------------ the numbers
@router.get(
    "/dsa/report",
    summary="Per day and category: restrictions, automated share, appeals, overturned share, time to decide",
    response_model=EnforcementReportOut,
)
def enforcement_report(
    principal: ReportReader,
    state: StateDep,
    days: Annotated[int, Query(ge=1, le=366)] = 30,
) -> JSONResponse | dict[str, Any]:
    until = datetime.now(UTC) + timedelta(seconds=1)
    since = (until - timedelta(days=days)).replace(hour=0, minute=0, second=0, microsecond=0)
    rows = state.store.enforcement_report(since, until)
    return {"since": since.isoformat(), "until": until.isoformat(), "rows": rows}
