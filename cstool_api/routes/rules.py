"""CS rules (leads and admins): list, add, change, and preview a rule before saving it.

The preview runs the very matcher the worker uses (``lovemachine.rules.RuleSet`` over
``listing_text``), on the listings created or edited in the last ``days`` days, so "would have hit
N" means what the worker would do. Workers pick up every change within ``rules_refresh_seconds``:
each write moves ``rules_revision``.

Rules run on RE2 (linear time); a pattern RE2 refuses is a 422 ``invalid_regex`` on create, update
and preview alike. A preview is bounded in rows (``preview_max_listings``) and wall time
(``preview_max_seconds``): past either it answers with what it scanned and says why it stopped.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path

from cstool_api.deps import Lead, StateDep
from cstool_api.errors import ApiError
from cstool_api.responses import PreviewOut, RuleOut, RulePage, errors
from cstool_api.routes.params import Cursor, Limit
from cstool_api.schemas import PreviewIn, RuleIn, RulePatch, page_out, rule_out
from lovemachine.categories import CATEGORIES
from lovemachine.features.text import listing_text
from lovemachine.review import NotFoundError
from lovemachine.rules import PatternError, Rule, RuleSet, compile_pattern

router = APIRouter(tags=["rules"])
SNIPPET = 40
# rules.id is a 32-bit INTEGER column: a larger id is a 422 here, not a PostgreSQL error (a 500)
RuleId = Annotated[int, Path(ge=1, le=2**31 - 1, description="a positive 32-bit id", examples=[1])]


def _close(rows: object) -> None:
    close = getattr(rows, "close", None)
    if close is not None:
        close()


def _check_regex(pattern: str, kind: str) -> None:
    """422 ``invalid_regex`` (or ``invalid_keyword``) for a pattern the rule engine (RE2) refuses."""
    try:
        compile_pattern(pattern, kind)
    except PatternError as exc:
        code = "invalid_regex" if kind == "regex" else "invalid_keyword"
        raise ApiError(
            422,
            code,
            f"{code.replace('_', ' ')}: {exc}",
            {"field": "pattern", "position": None, "pattern": pattern, "engine": "re2"},
        ) from None


@router.get("/rules", summary="Every rule, enabled or not, in id order", response_model=RulePage)
def list_rules(principal: Lead, state: StateDep, limit: Limit = 50, cursor: Cursor = None) -> dict[str, Any]:
    page = state.store.list_rules_page(limit=limit, cursor=cursor)
    return page_out([rule_out(r) for r in page.items], page.next_cursor)


@router.post("/rules", status_code=201, summary="Add a rule (owner: you); audited", response_model=RuleOut)
def add_rule(body: RuleIn, principal: Lead, state: StateDep) -> dict[str, Any]:
    _check_regex(body.pattern, body.kind)
    rule = state.store.add_rule(
        pattern=body.pattern,
        kind=body.kind,
        category=body.category,
        action=body.action,
        owner=principal.name,
        note=body.note,
        enabled=body.enabled,
    )
    stored = state.store.get_stored_rule(rule.id)
    assert stored is not None
    return rule_out(stored)


@router.patch(
    "/rules/{rule_id}",
    summary="Change any field of a rule (disable with enabled=false); audited",
    response_model=RuleOut,
    responses=errors(404),
)
def update_rule(rule_id: RuleId, body: RulePatch, principal: Lead, state: StateDep) -> dict[str, Any]:
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    current = state.store.get_stored_rule(rule_id)
    if current is None:
        raise NotFoundError(f"no rule #{rule_id}")
    if changes.keys() & {"pattern", "kind"} or changes.get("enabled", current.rule.enabled):
        # a disabled rule may keep a pattern saved before RE2, so that it can always be disabled
        _check_regex(changes.get("pattern", current.rule.pattern), changes.get("kind", current.rule.kind))
    try:
        stored = state.store.update_rule(rule_id, actor=principal.name, **changes)
    except ValueError as exc:
        raise ApiError(422, "validation", str(exc)) from None
    return rule_out(stored)


@router.post(
    "/rules/preview",
    summary="How many recent listings a rule would hit, with examples",
    response_model=PreviewOut,
)
def preview_rule(body: PreviewIn, principal: Lead, state: StateDep) -> dict[str, Any]:
    _check_regex(body.pattern, body.kind)
    category = body.category or CATEGORIES[0]  # a rule needs one; it does not change what matches
    try:
        rule = Rule(id=0, pattern=body.pattern, kind=body.kind, category=category, action="report")
    except ValueError as exc:
        raise ApiError(422, "validation", str(exc).replace("rule #0: ", "")) from None
    rules = RuleSet([rule])
    since = datetime.now(UTC) - timedelta(days=body.days)
    max_rows = state.settings.preview_max_listings
    max_seconds = state.settings.preview_max_seconds
    hits = scanned = 0
    stopped: str | None = None
    examples: list[dict[str, Any]] = []
    started = time.monotonic()
    # one row more than the limit tells "exactly max_rows listings" from "more than max_rows"
    rows = state.store.recent_listings(since=since, max_rows=max_rows + 1)
    try:
        for listing_id, title, description, brand in rows:
            if scanned >= max_rows:
                stopped = "rows"
                break
            if scanned and time.monotonic() - started > max_seconds:
                stopped = "time"
                break
            scanned += 1
            text = listing_text(title, description, brand)
            matches = rules.match(text)
            if not matches:
                continue
            hits += 1
            if len(examples) < body.limit:
                at = max(text.find(matches[0].matched), 0)
                start, end = max(at - SNIPPET, 0), min(at + len(matches[0].matched) + SNIPPET, len(text))
                snippet = ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")
                examples.append(
                    {
                        "listing_id": listing_id,
                        "title": title,
                        "snippet": snippet,
                        "matched": matches[0].matched,
                    }
                )
    finally:
        _close(rows)  # stops the database cursor when the scan stopped early
    return {
        "hits": hits,
        "scanned": scanned,
        "truncated": stopped is not None,
        "stopped": stopped,
        "seconds": round(time.monotonic() - started, 3),
        "max_listings": max_rows,
        "max_seconds": max_seconds,
        "days": body.days,
        "examples": examples,
    }
