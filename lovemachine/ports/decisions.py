"""Decisions: what the worker writes (decisions, shadow decisions) and reads (CS rules)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from lovemachine.listings import Listing
from lovemachine.policy import Decision
from lovemachine.rules import Rule


@dataclass(frozen=True)
class RecordedDecision:
    decision: Decision
    created: bool
    """False when this (listing id, version, model version) was already decided: redelivery."""
    action_published: bool
    """Whether its moderation action was already published (outbox flag)."""


class DecisionStore(Protocol):
    def record_decisions(self, items: Sequence[tuple[Listing, Decision]]) -> list[RecordedDecision]:
        """In ONE transaction: upsert each listing, insert its decision unless (listing id, listing
        version, model version) exists, open a review item for each new ``report``/``hide``, and
        write an audit entry. Returns, in input order, what is stored (the existing decision on
        redelivery). Commits before returning; raises on failure with nothing written."""

    def mark_actions_published(self, keys: Sequence[tuple[str, int, str]]) -> None:
        """Set the outbox flag for (listing id, listing version, model version) keys."""

    def unpublished_actions(
        self, *, decided_before: datetime, decided_after: datetime | None = None, limit: int = 500
    ) -> list[Decision]:
        """Committed ``hide``/``report`` decisions whose outbox flag is not set, decided in
        [``decided_after``, ``decided_before``), oldest first, at most ``limit`` (the outbox sweeper).

        Every method here raises ``lovemachine.errors.DatabaseUnavailableError`` (transient: an
        outage) or ``DataRejectedError`` (permanent: the row is refused), not a driver's exception."""


class RuleStore(Protocol):
    def list_rules(self, *, enabled_only: bool = True) -> list[Rule]: ...
    def rules_revision(self) -> str:
        """A cheap token that changes whenever any rule changes (for hot reload)."""


class ShadowDecisionStore(Protocol):
    def record_shadow_decisions(self, decisions: Sequence[Decision]) -> int:
        """Store a challenger's decisions (never acted on), ignoring (listing id, listing version,
        model version) keys already stored; returns how many were new. One transaction."""
