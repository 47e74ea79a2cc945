"""Request bodies (validated by pydantic: a bad one is a 422 in the one error format) and the
functions that turn store records into JSON. Responses are plain dicts built here, in one place,
so the wire format is easy to read against ``docs/cstool.md``."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from lovemachine.categories import CATEGORIES
from lovemachine.policy import Decision
from lovemachine.ports import StoredListingView
from lovemachine.review import (
    LABELS,
    ROLES,
    SCOPES,
    ApiToken,
    AuditEntry,
    LabelRecord,
    ReviewItem,
    SellerViolation,
    StaffMember,
    StoredRule,
    UserReport,
)

USERNAME = r"^[A-Za-z0-9_.@-]{1,64}$"
MIN_PASSWORD = 12


# Checked by the validators below (with their own messages); the enum tells the OpenAPI document.
CategoryName = Annotated[str, Field(json_schema_extra={"enum": list(CATEGORIES)})]
LabelName = Annotated[str, Field(json_schema_extra={"enum": list(LABELS)})]
ScopeName = Annotated[str, Field(json_schema_extra={"enum": list(SCOPES)})]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _check_category(value: str) -> str:
    if value not in CATEGORIES:
        raise ValueError(f"unknown category {value!r}; expected one of {', '.join(CATEGORIES)}")
    return value


def _check_pattern(pattern: str, kind: str) -> None:
    if kind == "regex":
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"invalid regex: {exc}") from None


# --------------------------------------------------------------------------- requests
class SessionIn(_Body):
    username: str = Field(min_length=1, max_length=128)
    password: str = Field(min_length=1, max_length=1024)


class LabelIn(_Body):
    label: LabelName = Field(description=f"one of {', '.join(LABELS)}")
    note: str = Field(default="", max_length=5000)
    idempotency_key: str | None = Field(
        default=None, min_length=1, max_length=128, description="or the Idempotency-Key header"
    )

    @field_validator("label")
    @classmethod
    def _known(cls, v: str) -> str:
        if v not in LABELS:
            raise ValueError(f"unknown label {v!r}; expected one of {', '.join(LABELS)}")
        return v


class RuleIn(_Body):
    pattern: str = Field(min_length=1, max_length=1000)
    kind: Literal["keyword", "regex"] = "keyword"
    category: CategoryName
    action: Literal["hide", "report"] = "report"
    enabled: bool = True
    note: str = Field(default="", max_length=5000)

    _category = field_validator("category")(_check_category)


class RulePatch(_Body):
    pattern: str | None = Field(default=None, min_length=1, max_length=1000)
    kind: Literal["keyword", "regex"] | None = None
    category: CategoryName | None = None
    action: Literal["hide", "report"] | None = None
    enabled: bool | None = None
    note: str | None = Field(default=None, max_length=5000)

    @field_validator("category")
    @classmethod
    def _cat(cls, v: str | None) -> str | None:
        return None if v is None else _check_category(v)


class PreviewIn(_Body):
    pattern: str = Field(min_length=1, max_length=1000)
    kind: Literal["keyword", "regex"] = "keyword"
    category: CategoryName | None = None
    days: int = Field(default=7, ge=1, le=90)
    limit: int = Field(default=5, ge=0, le=50)

    @field_validator("category")
    @classmethod
    def _cat(cls, v: str | None) -> str | None:
        return None if v is None else _check_category(v)


class StaffIn(_Body):
    username: str = Field(pattern=USERNAME)
    password: str = Field(min_length=MIN_PASSWORD, max_length=1024)
    role: Literal["agent", "lead", "admin"] = "agent"


class StaffPatch(_Body):
    role: Literal["agent", "lead", "admin"] | None = None
    active: bool | None = None
    password: str | None = Field(default=None, min_length=MIN_PASSWORD, max_length=1024)


class TokenIn(_Body):
    name: str = Field(min_length=1, max_length=128)
    scopes: list[ScopeName] = Field(min_length=1)

    @field_validator("scopes")
    @classmethod
    def _known(cls, v: list[str]) -> list[str]:
        unknown = sorted(set(v) - set(SCOPES))
        if unknown:
            raise ValueError(f"unknown scopes {unknown}; expected some of {', '.join(SCOPES)}")
        return sorted(set(v))


class ReportIn(_Body):
    listing_id: str = Field(min_length=1, max_length=128)
    reason: str = Field(default="", max_length=5000)
    reporter_id: str = Field(min_length=1, max_length=128)


class AliasIn(_Body):
    version: str = Field(min_length=1, max_length=128)
    reason: str = Field(min_length=1, max_length=2000)


assert set(ROLES) == {"agent", "lead", "admin"}  # the Literals above follow lovemachine.review.ROLES


# --------------------------------------------------------------------------- responses
def ts(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def item_summary(item: ReviewItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "queue": item.queue,
        "status": item.status,
        "priority": round(item.effective_priority or item.priority, 6),
        "base_priority": item.priority,
        "claimed_by": item.claimed_by,
        "claim_expires_at": ts(item.claim_expires_at),
        "auto_hidden": item.auto_hidden,
        "created_at": ts(item.created_at),
        "resolved_at": ts(item.resolved_at),
        "listing_id": item.listing_id,
        "listing_version": item.listing_version,
        "title": item.title,
        "category": item.category,
        "reporters": item.reporters,
    }


def listing_out(stored: StoredListingView) -> dict[str, Any]:
    data = stored.listing.model_dump(mode="json", exclude={"seller"})
    return {
        **data,
        "status": stored.status,
        "first_seen_at": ts(stored.first_seen_at),
        "updated_at": ts(stored.updated_at),
    }


def decision_out(
    decision: Decision, decision_id: int | None, thresholds: dict[str, Any] | None
) -> dict[str, Any]:
    return {
        "id": decision_id,
        "model_version": decision.model_version,
        "action": decision.action.value,
        "category": decision.category,
        "scores": dict(decision.scores),
        "reasons": list(decision.reasons),
        "rule_ids": list(decision.rule_ids),
        "thresholds": thresholds or {},
        "decided_at": ts(decision.decided_at),
    }


def rule_out(stored: StoredRule) -> dict[str, Any]:
    r = stored.rule
    return {
        "id": r.id,
        "pattern": r.pattern,
        "kind": r.kind,
        "category": r.category,
        "action": r.action,
        "enabled": r.enabled,
        "note": r.note,
        "owner": stored.owner,
        "created_at": ts(stored.created_at),
        "updated_at": ts(stored.updated_at),
    }


def label_out(label: LabelRecord) -> dict[str, Any]:
    return {
        "id": label.id,
        "label": label.label,
        "category": label.category,
        "violation": label.violation,
        "listing_id": label.listing_id,
        "listing_version": label.listing_version,
        "review_item_id": label.review_item_id,
        "reviewer": label.reviewer,
        "note": label.note,
        "source": label.source,
        "model_version": label.model_version,
        "thresholds": label.thresholds,
        "auto_hidden": label.auto_hidden,
        "created_at": ts(label.created_at),
    }


def report_out(report: UserReport) -> dict[str, Any]:
    return {
        "reporter_id": report.reporter_id,
        "reason": report.reason,
        "times": report.times,
        "created_at": ts(report.created_at),
        "last_reported_at": ts(report.last_reported_at),
    }


def violation_out(v: SellerViolation) -> dict[str, Any]:
    return {
        "listing_id": v.listing_id,
        "title": v.title,
        "category": v.category,
        "created_at": ts(v.created_at),
    }


def staff_out(member: StaffMember) -> dict[str, Any]:
    return {
        "username": member.username,
        "role": member.role,
        "active": member.active,
        "created_at": ts(member.created_at),
        "updated_at": ts(member.updated_at),
    }


def token_out(token: ApiToken) -> dict[str, Any]:
    return {
        "id": token.id,
        "name": token.name,
        "prefix": token.prefix,
        "scopes": list(token.scopes),
        "created_by": token.created_by,
        "created_at": ts(token.created_at),
        "last_used_at": ts(token.last_used_at),
        "revoked_at": ts(token.revoked_at),
    }


def audit_out(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": ts(entry.at),
        "actor": entry.actor,
        "action": entry.action,
        "entity_type": entry.entity_type,
        "entity_id": entry.entity_id,
        "detail": entry.detail,
    }


def page_out(items: list[dict[str, Any]], next_cursor: str | None) -> dict[str, Any]:
    return {"items": items, "next_cursor": next_cursor}
