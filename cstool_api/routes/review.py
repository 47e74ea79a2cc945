"""Review queues, items, claims and labels.

Opening an item claims it for ``claim_minutes`` (default 5) so two agents never review the same
listing; a claim can be extended by claiming again and ends when it expires, is released, or the
item is labelled. A label needs the caller's claim (an expired one counts while nobody else took
the item); it triggers the listing's hide or restore, published after commit through the outbox.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Response
from fastapi.responses import JSONResponse

from cstool_api.deps import Agent, Principal, StateDep, allow
from cstool_api.errors import ApiError
from cstool_api.responses import ItemDetail, ItemPage, ItemSummary, LabelResult, QueuePage, errors
from cstool_api.routes.params import Cursor, Id, Limit
from cstool_api.schemas import (
    LabelIn,
    decision_out,
    item_summary,
    label_out,
    listing_out,
    page_out,
    report_out,
    rule_out,
    violation_out,
)
from cstool_api.state import AppState
from lovemachine.ports import StoredListingView
from lovemachine.review import QUEUES, NotFoundError, ReviewItem
from lovemachine.services.outbox import flush_outbox

log = logging.getLogger(__name__)
router = APIRouter(tags=["review"])

QueueReader = Annotated[Principal, Depends(allow("agent", scope="queues:read"))]
ItemReader = Annotated[Principal, Depends(allow("agent", scope="items:read"))]
QueueName = Annotated[
    str, Path(description="a category, or user_reports", examples=["counterfeit", "user_reports"])
]


def _check_queue(queue: str, state: AppState) -> None:
    known = set(QUEUES) | {s.queue for s in state.store.queue_summaries()}
    if queue not in known:
        raise ApiError(404, "not_found", f"no queue {queue!r}; expected one of {', '.join(sorted(known))}")


def item_detail(state: AppState, item: ReviewItem) -> dict[str, Any]:
    store = state.store
    stored = store.get_listing(item.listing_id)
    decision = store.get_decision(item.decision_id) if item.decision_id is not None else None
    thresholds: dict[str, Any] | None = None
    if decision is not None:
        record = store.get_model_version(decision.model_version)
        thresholds = dict(record.thresholds) if record is not None else None
    rules = store.rules_by_ids(decision.rule_ids) if decision is not None else []
    history = (
        store.seller_violations(stored.listing.seller_id, exclude_listing_id=item.listing_id)
        if stored is not None
        else []
    )
    judged = judged_listing(state, item.listing_id, item.listing_version, stored)
    newer = stored is not None and stored.listing.version != item.listing_version
    seller = stored.listing.seller_id if stored is not None else None
    return {
        **item_summary(item),
        "listing": judged,
        "current_listing": listing_out(stored) if newer and stored is not None else None,
        "strikes": store.seller_strikes(seller).to_dict() if seller else None,
        "statements": [
            st.to_dict()
            for st in store.statements_for(item.listing_id)
            if st.listing_version == item.listing_version
        ],
        "decision": decision_out(decision, item.decision_id, thresholds) if decision is not None else None,
        "rules_matched": [rule_out(r) for r in rules],
        "user_reports": [
            report_out(r) for r in store.user_reports_for(item.listing_id, item.listing_version)
        ],
        "seller_history": [violation_out(v) for v in history],
        "labels": [label_out(label) for label in store.labels_for_listing(item.listing_id)],
    }


def judged_listing(
    state: AppState, listing_id: str, version: int, current: StoredListingView | None
) -> dict[str, Any] | None:
    """The listing version under review exactly as it was judged (kept however often it was edited
    since), with the current status, or ``edited since`` when a newer version replaced it."""
    if current is not None and current.listing.version == version:
        return listing_out(current)
    judged = state.store.listing_version(listing_id, version)
    if judged is None:
        return listing_out(current) if current is not None else None
    return {
        **judged.model_dump(mode="json", exclude={"seller"}),
        "status": "edited since",
        "first_seen_at": None,
        "updated_at": None,
    }


@router.get("/queues", summary="Every queue with its open and claimed counts", response_model=QueuePage)
def list_queues(principal: QueueReader, state: StateDep) -> dict[str, Any]:
    summaries = {s.queue: s for s in state.store.queue_summaries()}
    names = list(QUEUES) + sorted(set(summaries) - set(QUEUES))
    items = []
    for name in names:
        s = summaries.get(name)
        items.append(
            {
                "queue": name,
                "open": s.open if s else 0,
                "claimed": s.claimed if s else 0,
                "oldest_created_at": s.oldest_created_at.isoformat() if s and s.oldest_created_at else None,
            }
        )
    return {"items": items, "next_cursor": None}


@router.get(
    "/queues/{queue}/items",
    summary="Items of a queue not yet labelled, highest priority first",
    response_model=ItemPage,
    responses=errors(404, e404="No such queue"),
)
def list_queue_items(
    queue: QueueName, principal: QueueReader, state: StateDep, limit: Limit = 50, cursor: Cursor = None
) -> dict[str, Any]:
    _check_queue(queue, state)
    page = state.store.list_queue_items(queue, limit=limit, cursor=cursor)
    return page_out([item_summary(i) for i in page.items], page.next_cursor)


@router.post(
    "/queues/{queue}/next",
    summary="Claim the top item free to take and return its detail (204 when the queue is empty)",
    response_model=ItemDetail,
    responses={204: {"description": "nothing to review in this queue"}, **errors(404, e404="No such queue")},
)
def claim_next(queue: QueueName, principal: Agent, state: StateDep) -> Any:
    _check_queue(queue, state)
    item = state.store.claim_next(queue, username=principal.name, ttl=state.claim_ttl)
    if item is None:
        return Response(status_code=204)
    return item_detail(state, item)


@router.get(
    "/items/{item_id}",
    summary="Everything a reviewer needs about one item",
    response_model=ItemDetail,
    responses=errors(404),
)
def get_item(item_id: Id, principal: ItemReader, state: StateDep) -> dict[str, Any]:
    item = state.store.get_review_item(item_id)
    if item is None:
        raise NotFoundError(f"no review item #{item_id}")
    return item_detail(state, item)


@router.post(
    "/items/{item_id}/claim",
    summary="Claim an item (or extend your claim); 409 if someone else holds it",
    response_model=ItemDetail,
    responses=errors(404, 409, e409="Claimed by someone else (claimed) or already labelled (done)"),
)
def claim_item(item_id: Id, principal: Agent, state: StateDep) -> dict[str, Any]:
    item = state.store.claim_item(item_id, username=principal.name, ttl=state.claim_ttl)
    return item_detail(state, item)


@router.delete(
    "/items/{item_id}/claim",
    summary="Release your claim",
    response_model=ItemSummary,
    responses=errors(404, 409, e409="You do not hold the claim (not_claimed) or it is labelled (done)"),
)
def release_item(item_id: Id, principal: Agent, state: StateDep) -> dict[str, Any]:
    return item_summary(state.store.release_claim(item_id, username=principal.name))


@router.post(
    "/items/{item_id}/label",
    status_code=201,
    summary="Label an item you hold; a violation hides the listing, no_violation restores an auto-hidden one",
    response_model=LabelResult,
    responses={
        200: {
            "description": "a repeat with the same Idempotency-Key: the first response",
            "model": LabelResult,
        },
        **errors(
            404, 409, e409="Not your claim, already labelled, or the Idempotency-Key was used otherwise"
        ),
    },
)
def label_item(
    item_id: Id,
    body: LabelIn,
    principal: Agent,
    state: StateDep,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=128)] = None,
) -> JSONResponse:
    key = idempotency_key or body.idempotency_key
    if idempotency_key and body.idempotency_key and idempotency_key != body.idempotency_key:
        raise ApiError(422, "validation", "the Idempotency-Key header and body field differ")
    outcome = state.store.record_label(
        item_id, reviewer=principal.name, label=body.label, note=body.note, idempotency_key=key
    )
    publish_pending(state)
    body_out = {"label": label_out(outcome.label), "action": outcome.action}
    return JSONResponse(body_out, status_code=200 if outcome.replayed else 201)


def publish_pending(state: AppState) -> None:
    """Publish what labels queued (this one's and any earlier failures); never fails the request."""
    try:
        result = flush_outbox(outbox=state.store, broker=state.broker, topic=state.settings.actions_topic)
    except Exception:  # the database is down: the label is committed, the action waits
        log.exception("could not flush the action outbox")
        return
    if result.failed:
        log.warning("%d moderation actions are waiting to be published", result.failed)
