"""Plain records the SQL store returns besides the port types, and the row -> domain mappers.

Nothing that leaves the adapter is a SQLAlchemy object: rows become ``Decision``, ``Rule``,
``ModelVersionRecord``, ``Listing`` or the small frozen dataclasses below, right here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, cast

from lovemachine.listings import Listing
from lovemachine.policy import Action, Decision
from lovemachine.ports import AliasChange, ModelVersionRecord
from lovemachine.rules import Rule

ListingStatus = Literal["visible", "hidden"]


@dataclass(frozen=True)
class StoredListing:
    """The latest version of a listing we have seen, with its moderation status."""

    listing: Listing
    status: ListingStatus
    first_seen_at: datetime
    updated_at: datetime


Row = Mapping[Any, Any]


def decision_from_row(row: Row) -> Decision:
    return Decision(
        listing_id=row["listing_id"],
        listing_version=row["listing_version"],
        action=Action(row["action"]),
        scores={str(k): float(v) for k, v in row["scores"].items()},
        reasons=list(row["reasons"]),
        model_version=row["model_version"],
        decided_at=row["decided_at"],
        category=row["category"],
        rule_ids=[int(r) for r in row["rule_ids"]],
    )


def decision_to_row(d: Decision) -> dict[str, Any]:
    return {
        "listing_id": d.listing_id,
        "listing_version": d.listing_version,
        "model_version": d.model_version,
        "action": Action(d.action).value,
        "category": d.category,
        "scores": {k: float(v) for k, v in d.scores.items()},
        "reasons": list(d.reasons),
        "rule_ids": [int(r) for r in d.rule_ids],
        "decided_at": d.decided_at,
    }


LISTING_FIELDS = (
    "version",
    "seller_id",
    "title",
    "description",
    "price",
    "currency",
    "category",
    "brand",
    "condition",
    "image_urls",
    "locale",
)


def listing_to_row(listing: Listing) -> dict[str, Any]:
    row: dict[str, Any] = {"id": listing.id}
    for name in LISTING_FIELDS:
        row[name] = getattr(listing, name)
    row["image_urls"] = list(listing.image_urls)
    return row


def stored_listing_from_row(row: Row) -> StoredListing:
    listing = Listing.model_validate({"id": row["id"], **{name: row[name] for name in LISTING_FIELDS}})
    return StoredListing(
        listing=listing,
        status=cast(ListingStatus, row["status"]),
        first_seen_at=row["first_seen_at"],
        updated_at=row["updated_at"],
    )


def rule_from_row(row: Row) -> Rule:
    return Rule(
        id=row["id"],
        pattern=row["pattern"],
        kind=row["kind"],
        category=row["category"],
        action=row["action"],
        enabled=bool(row["enabled"]),
        note=row["note"],
        verify_pattern=False,  # a row saved before RE2 still loads; RuleSet skips it with an error
    )


def model_version_from_row(row: Row) -> ModelVersionRecord:
    return ModelVersionRecord(
        version=row["version"],
        name=row["name"],
        artifact_uri=row["artifact_uri"],
        artifact_sha256=row["artifact_sha256"],
        training_data_sha256=row["training_data_sha256"],
        metrics=dict(row["metrics"]),
        thresholds={c: {k: float(v) for k, v in t.items()} for c, t in row["thresholds"].items()},
        created_at=row["created_at"],
    )


def model_version_to_row(record: ModelVersionRecord) -> dict[str, Any]:
    return {
        "version": record.version,
        "name": record.name,
        "artifact_uri": record.artifact_uri,
        "artifact_sha256": record.artifact_sha256,
        "training_data_sha256": record.training_data_sha256,
        "metrics": dict(record.metrics),
        "thresholds": {c: dict(t) for c, t in record.thresholds.items()},
        "created_at": record.created_at,
    }


def alias_change_from_row(row: Row) -> AliasChange:
    return AliasChange(
        name=row["name"],
        alias=row["alias"],
        from_version=row["from_version"],
        to_version=row["to_version"],
        actor=row["actor"],
        reason=row["reason"],
        at=row["at"],
    )
