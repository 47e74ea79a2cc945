"""In-memory implementations of the registry and deploy ports, for fast tests and embedded tools.

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
from lovemachine.policy import Decision
from lovemachine.ports.registry import ANY_VERSION, AliasChange, ModelVersionRecord
from lovemachine.registry.comparison import LabelledPair, PairCount, ShadowSample

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
