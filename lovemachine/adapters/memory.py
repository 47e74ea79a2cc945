"""In-memory implementations of the ports, for fast tests and embedded tools.

``MemoryDeployStore`` implements ``ModelRegistry``, ``ShadowDecisionStore`` and ``DeployStore``
(``lovemachine.ports``) with plain Python structures behind one lock: the same contract tests that
run against SQLite and PostgreSQL (``tests/contract/test_deploy_store.py``) run against it, so the
promotion gates, rollback and the shadow comparison can be tested in milliseconds without a database.
It keeps what a deploy reads — versions, aliases and their history, the acting and the shadow
decisions, CS labels — and nothing else (no review queues, no audit log): the SQL store remains the
product's store.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from lovemachine.errors import AliasConflictError
from lovemachine.listings import Listing
from lovemachine.policy import Action, Decision
from lovemachine.ports.decisions import RecordedDecision
from lovemachine.ports.registry import ANY_VERSION, AliasChange, ModelVersionRecord
from lovemachine.registry.comparison import LabelledPair, PairCount, ShadowSample
from lovemachine.review.audit import AuditSample
from lovemachine.review.effects import AuditEntryPlan, ReviewItemPlan, plan_decision_effects
from lovemachine.rules import Rule

_Key = tuple[str, int, str]  # listing id, listing version, model version


@dataclass(frozen=True)
class MemoryLabel:
    """A CS label as a deploy reads it: which listing version, when, and what CS found."""

    listing_id: str
    listing_version: int
    category: str | None
    violation: bool
    created_at: datetime
    source: str = "cs"


class MemoryDeployStore:
    """Versions, aliases (compare-and-set, with history), acting and shadow decisions, CS labels."""

    def __init__(self, model_name: str = "lovemachine") -> None:
        self.model_name = model_name
        self._lock = threading.Lock()
        self._versions: dict[str, ModelVersionRecord] = {}
        self._aliases: dict[tuple[str, str], str] = {}
        self._history: list[AliasChange] = []
        self._decisions: dict[_Key, Decision] = {}
        self._shadow: dict[_Key, Decision] = {}
        self._labels: list[MemoryLabel] = []

    # ------------------------------------------------------------------ ModelRegistry
    def register_model_version(self, record: ModelVersionRecord) -> None:
        with self._lock:
            stored = self._versions.get(record.version)
            if stored is None:
                self._versions[record.version] = record
            elif _identity(stored) != _identity(record):
                raise ValueError(f"model version {record.version!r} is already registered differently")

    def get_model_version(self, version: str) -> ModelVersionRecord | None:
        return self._versions.get(version)

    def list_model_versions(self, name: str | None = None) -> list[ModelVersionRecord]:
        mine = [v for v in self._versions.values() if v.name == (name or self.model_name)]
        return sorted(mine, key=lambda v: (v.created_at, v.version))

    def set_alias(
        self, alias: str, version: str, *, actor: str, reason: str, expected: str | None = ANY_VERSION
    ) -> AliasChange:
        with self._lock:
            record = self._versions.get(version)
            if record is None:
                raise LookupError(f"unknown model version {version!r}")
            current = self._aliases.get((record.name, alias))
            if expected != ANY_VERSION and current != expected:
                raise AliasConflictError(
                    f"{alias} of {record.name} points at {current or 'nothing'}, not "
                    f"{expected or 'nothing'} (someone moved it meanwhile); nothing was changed"
                )
            self._aliases[(record.name, alias)] = version
            change = AliasChange(
                name=record.name,
                alias=alias,
                from_version=current,
                to_version=version,
                actor=actor,
                reason=reason,
                at=datetime.now(UTC),
            )
            self._history.append(change)
            return change

    def get_alias(self, alias: str, *, name: str | None = None) -> ModelVersionRecord | None:
        version = self._aliases.get((name or self.model_name, alias))
        return self._versions.get(version) if version is not None else None

    def alias_history(self, alias: str, *, name: str | None = None) -> list[AliasChange]:
        return [h for h in self._history if h.alias == alias and h.name == (name or self.model_name)]

    # ------------------------------------------------------------------ decisions
    def record_acting_decisions(self, decisions: Sequence[Decision]) -> int:
        """The champion's (acting) decisions; one per listing version, the first one stored wins,
        whatever model scores it later (as the SQL store's unique key does). Returns how many were new."""
        with self._lock:
            new = 0
            for d in decisions:
                if not any(k[:2] == (d.listing_id, d.listing_version) for k in self._decisions):
                    self._decisions[(d.listing_id, d.listing_version, d.model_version)] = d
                    new += 1
            return new

    def record_shadow_decisions(self, decisions: Sequence[Decision]) -> int:
        with self._lock:
            new = 0
            for d in decisions:
                key = (d.listing_id, d.listing_version, d.model_version)
                if key not in self._shadow:
                    self._shadow[key] = d
                    new += 1
            return new

    def count_shadow_decisions(self, model_version: str | None = None) -> int:
        return sum(model_version is None or k[2] == model_version for k in self._shadow)

    def add_label(self, label: MemoryLabel) -> None:
        with self._lock:
            self._labels.append(label)

    # ------------------------------------------------------------------ DeployStore
    def shadow_sample(self, *, champion: str, challenger: str) -> ShadowSample:
        """What ``challenger`` decided in shadow on the listing versions ``champion`` decided."""
        acting = {(k[0], k[1]): d for k, d in self._decisions.items() if k[2] == champion}
        both = [
            (acting[(k[0], k[1])], s)
            for k, s in self._shadow.items()
            if k[2] == challenger and (k[0], k[1]) in acting
        ]
        counts = Counter((d.action.value, d.category, s.action.value, s.category) for d, s in both)
        pairs = [PairCount(*key, n) for key, n in counts.items()]
        if not both:
            return ShadowSample(champion=champion, challenger=challenger, pairs=pairs)
        first_at = min(s.decided_at for _, s in both)
        last_at = max(s.decided_at for _, s in both)
        traffic = sum(first_at <= d.decided_at <= last_at for d in self._decisions.values())
        found: dict[tuple[str, int], tuple[tuple[str, str | None, str, str | None], set[str]]] = {}
        pair_of = {(d.listing_id, d.listing_version): (d, s) for d, s in both}
        for label in self._labels:
            key = (label.listing_id, label.listing_version)
            if key not in pair_of or label.source == "synthetic" or label.created_at < first_at:
                continue
            d, s = pair_of[key]
            _, violations = found.setdefault(
                key, ((d.action.value, d.category, s.action.value, s.category), set())
            )
            if label.violation and label.category is not None:
                violations.add(label.category)
        return ShadowSample(
            champion=champion,
            challenger=challenger,
            pairs=pairs,
            labelled=[LabelledPair(*found[k][0], violations=frozenset(found[k][1])) for k in sorted(found)],
            first_at=first_at,
            last_at=last_at,
            traffic=traffic,
        )


def _identity(r: ModelVersionRecord) -> tuple[str, str, str, str]:
    return (r.name, r.artifact_uri, r.artifact_sha256, r.training_data_sha256)


class MemoryStore(MemoryDeployStore):
    """``MemoryDeployStore`` plus the worker's ports: ``DecisionStore`` (listings, decisions, the
    decision plan's review items and audit entries, the outbox flag) and ``RuleStore``. The same
    decision-port contract tests run on it and on SQL (``tests/contract/test_decision_port.py``), so
    the handler can be unit-tested without a database."""

    def __init__(self, model_name: str = "lovemachine", audit_sample: AuditSample | None = None) -> None:
        super().__init__(model_name)
        self.audit_sample = audit_sample or AuditSample()
        self._listings: dict[str, tuple[Listing, str]] = {}
        self._ids: dict[_Key, int] = {}
        self._published: set[_Key] = set()
        self._review_items: dict[tuple[str, int, str], ReviewItemPlan] = {}
        self.audit_entries: list[AuditEntryPlan] = []
        self._rules: dict[int, Rule] = {}
        self._rules_changes = 0

    # ------------------------------------------------------------------ DecisionStore
    def record_decisions(self, items: Sequence[tuple[Listing, Decision]]) -> list[RecordedDecision]:
        for listing, decision in items:
            if (listing.id, listing.version) != (decision.listing_id, decision.listing_version):
                raise ValueError(
                    f"decision for {decision.listing_id}@{decision.listing_version} paired with "
                    f"listing {listing.id}@{listing.version}"
                )
        with self._lock:
            for listing, _ in items:
                stored = self._listings.get(listing.id)
                if stored is None or listing.version > stored[0].version:
                    self._listings[listing.id] = (listing, stored[1] if stored else "visible")
            acting = {k[:2]: k for k in self._decisions}
            created: dict[_Key, int] = {}
            for _, d in items:
                key = (d.listing_id, d.listing_version, d.model_version)
                if key[:2] in acting or key in created:
                    continue
                created[key] = len(self._ids) + 1
                self._ids[key] = created[key]
                self._decisions[key] = d
                acting[key[:2]] = key
            new = [(created[k], self._decisions[k]) for k in sorted(created)]
            plan = plan_decision_effects(new, self.audit_sample)
            for listing_id, version in plan.hide:
                listing, _ = self._listings[listing_id]
                if listing.version == version:  # only the version that was judged
                    self._listings[listing_id] = (listing, "hidden")
            for item in plan.review_items:
                self._review_items.setdefault((item.listing_id, item.listing_version, item.queue), item)
            self.audit_entries.extend(plan.audit_entries)
            out: list[RecordedDecision] = []
            seen: set[_Key] = set()
            for _, d in items:
                key = (d.listing_id, d.listing_version, d.model_version)
                if key in created:
                    out.append(RecordedDecision(d, created=key not in seen, action_published=False))
                else:
                    stored_key = acting[key[:2]]
                    out.append(
                        RecordedDecision(
                            self._decisions[stored_key],
                            created=False,
                            action_published=stored_key in self._published,
                        )
                    )
                seen.add(key)
            return out

    def mark_actions_published(self, keys: Sequence[tuple[str, int, str]]) -> None:
        with self._lock:
            self._published.update(k for k in keys if k in self._decisions)

    def unpublished_actions(
        self, *, decided_before: datetime, decided_after: datetime | None = None, limit: int = 500
    ) -> list[Decision]:
        pending = [
            (d.decided_at, self._ids.get(k, 0), d)
            for k, d in self._decisions.items()
            if d.action is not Action.ALLOW
            and k not in self._published
            and d.decided_at < decided_before
            and (decided_after is None or d.decided_at >= decided_after)
        ]
        return [d for _, _, d in sorted(pending, key=lambda t: (t[0], t[1]))[:limit]]

    def listing_status(self, listing_id: str) -> str | None:
        stored = self._listings.get(listing_id)
        return stored[1] if stored else None

    def stored_listing(self, listing_id: str) -> Listing | None:
        stored = self._listings.get(listing_id)
        return stored[0] if stored else None

    def count_review_items(self, queue: str | None = None) -> int:
        return sum(queue is None or k[2] == queue for k in self._review_items)

    def count_decisions(self) -> int:
        return len(self._decisions)

    def decisions_for(self, listing_id: str) -> list[Decision]:
        mine = [
            (k[1], d.decided_at, self._ids.get(k, 0), d)
            for k, d in self._decisions.items()
            if k[0] == listing_id
        ]
        return [d for *_, d in sorted(mine, key=lambda t: t[:3])]

    # ------------------------------------------------------------------ RuleStore
    def add_rule(self, rule: Rule) -> None:
        with self._lock:
            self._rules[rule.id] = rule
            self._rules_changes += 1

    def list_rules(self, *, enabled_only: bool = True) -> list[Rule]:
        return [self._rules[i] for i in sorted(self._rules) if self._rules[i].enabled or not enabled_only]

    def rules_revision(self) -> str:
        return f"{len(self._rules)}:{self._rules_changes}"
