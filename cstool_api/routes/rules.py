"""CS rules (leads and admins): list, add, change, and preview a rule before saving it.

The preview runs the very matcher the worker uses (``lovemachine.rules.RuleSet`` over
``listing_text``), on the listings created or edited in the last ``days`` days, so "would have hit
N" means what the worker would do. Workers pick up every change within ``rules_refresh_seconds``:
each write moves ``rules_revision``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter

from cstool_api.deps import Lead, StateDep
from cstool_api.errors import ApiError
from cstool_api.routes.params import Cursor, Limit
from cstool_api.schemas import PreviewIn, RuleIn, RulePatch, page_out, rule_out
from lovemachine.categories import CATEGORIES
from lovemachine.features.text import listing_text
from lovemachine.review import NotFoundError
from lovemachine.rules import Rule, RuleSet

router = APIRouter(tags=["rules"])
SNIPPET = 40


def _check_regex(pattern: str, kind: str) -> None:
    if kind != "regex":
        return
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ApiError(
            422,
            "invalid_regex",
            f"invalid regex: {exc}",
            {"field": "pattern", "position": exc.pos, "pattern": pattern},
        ) from None


@router.get("/rules", summary="Every rule, enabled or not, in id order")
def list_rules(principal: Lead, state: StateDep, limit: Limit = 50, cursor: Cursor = None) -> dict[str, Any]:
    page = state.store.list_rules_page(limit=limit, cursor=cursor)
    return page_out([rule_out(r) for r in page.items], page.next_cursor)


@router.post("/rules", status_code=201, summary="Add a rule (owner: you); audited")
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


@router.patch("/rules/{rule_id}", summary="Change any field of a rule (disable with enabled=false); audited")
def update_rule(rule_id: int, body: RulePatch, principal: Lead, state: StateDep) -> dict[str, Any]:
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    current = state.store.get_stored_rule(rule_id)
    if current is None:
        raise NotFoundError(f"no rule #{rule_id}")
    _check_regex(changes.get("pattern", current.rule.pattern), changes.get("kind", current.rule.kind))
    try:
        stored = state.store.update_rule(rule_id, actor=principal.name, **changes)
    except ValueError as exc:
        raise ApiError(422, "validation", str(exc)) from None
    return rule_out(stored)


@router.post("/rules/preview", summary="How many recent listings a rule would hit, with examples")
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
    hits = scanned = 0
    examples: list[dict[str, Any]] = []
    for listing_id, title, description, brand in state.store.recent_listings(since=since, max_rows=max_rows):
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
                {"listing_id": listing_id, "title": title, "snippet": snippet, "matched": matches[0].matched}
            )
    return {
        "hits": hits,
        "scanned": scanned,
        "truncated": scanned >= max_rows,
        "days": body.days,
        "examples": examples,
    }
