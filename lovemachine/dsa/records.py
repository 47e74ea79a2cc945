"""What the enforcement record stores, as the stores return it: statements and appeals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class TdbState(StrEnum):
    """Where a statement stands with the Transparency Database."""

    PENDING = "pending"
    SUBMITTED = "submitted"
    PRESENT = "present"
    """The database already held its puid (sent before, by this or another path)."""
    REJECTED = "rejected"
    """The database refused it (its validation errors are in ``tdb_error``): fix and resubmit."""
    FAILED = "failed"
    """A transient error outlived the retries; the next ``dsa submit`` tries again."""
    NOT_APPLICABLE = "not_applicable"
    """A reversal: the database records restrictions only."""


@dataclass(frozen=True)
class StoredStatement:
    id: int
    puid: str
    kind: str
    listing_id: str
    listing_version: int
    decision_id: int | None
    label_id: int | None
    appeal_id: int | None
    supersedes: str | None
    category: str
    automated_detection: bool
    automated_decision: str
    source: str
    language: str
    text: str
    record: dict[str, Any]
    tdb: dict[str, Any] | None
    created_at: datetime
    tdb_state: str
    tdb_attempts: int
    tdb_error: str | None
    tdb_submitted_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "puid": self.puid,
            "kind": self.kind,
            "listing_id": self.listing_id,
            "listing_version": self.listing_version,
            "supersedes": self.supersedes,
            "category": self.category,
            "automated_detection": self.automated_detection,
            "automated_decision": self.automated_decision,
            "source": self.source,
            "language": self.language,
            "text": self.text,
            "record": self.record,
            "created_at": self.created_at.isoformat(),
            "tdb_state": self.tdb_state,
            "tdb_error": self.tdb_error,
        }


@dataclass(frozen=True)
class SubmissionResult:
    """What one ``dsa submit`` did to one statement (the store records it)."""

    puid: str
    state: TdbState
    error: str | None = None
