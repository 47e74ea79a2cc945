"""The fixed regression set kept with every model artifact (issue 11).

A retrain learns mostly from what CS labelled, and CS labels what the model flagged and what
customers reported: nearly all positives. Held-out labels of the same kind cannot show a model that
starts flagging clean listings. The regression set can: listings by independent writers, clean hard
negatives (receipts, packaging, collectible notes...) and violations, that no model trains on.

Each artifact carries its regression set as ``<artifact>/regression.jsonl`` (canonical JSONL, one
labelled listing a line), recorded in ``metadata.json`` and in the registry record's metrics under
``regression_set`` with its SHA-256 and counts. ``lovemachine train`` writes the default one
(``trainers.sources.load_written().regression``); a retrain reads the live model's set (falling back
to the default for a model saved without one), evaluates on it, never trains on it, and writes the
same rows into the new artifact, so the set stays fixed from model to model.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lovemachine.categories import CATEGORIES
from lovemachine.errors import ArtifactIntegrityError
from lovemachine.listings import LabelledListing, parse_labelled
from lovemachine.ports import ModelVersionRecord
from trainers.evaluation.clean import REGRESSION_TAG

if TYPE_CHECKING:
    from trainers.sources import WrittenParts

REGRESSION_FILE = "regression.jsonl"
META_KEY = "regression_set"
DEFAULT_SOURCE = "default: the regression part of the written corpora in data/written/ (trainers.sources)"


@dataclass(frozen=True)
class RegressionSet:
    rows: list[LabelledListing]
    source: str
    """Where the rows came from: the default, or the artifact they were carried from."""

    @property
    def payload(self) -> bytes:
        return "".join(canonical(r) + "\n" for r in self.rows).encode()

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.payload).hexdigest()

    @property
    def clean(self) -> list[LabelledListing]:
        return [r for r in self.rows if not any(r.label_vector())]

    @property
    def listing_ids(self) -> frozenset[str]:
        return frozenset(r.listing.id for r in self.rows)

    def metadata(self) -> dict[str, Any]:
        """What ``metadata.json`` and the registry record say about the set (checksum, counts)."""
        positives = {c: sum(r.label_vector()[k] for r in self.rows) for k, c in enumerate(CATEGORIES)}
        return {
            "file": REGRESSION_FILE,
            "sha256": self.sha256,
            "rows": len(self.rows),
            "clean_rows": len(self.clean),
            "positives": positives,
            "source": self.source,
        }

    def tagged(self) -> list[LabelledListing]:
        """The rows tagged ``set:regression``, as they join a retrain's test rows."""
        return [r.model_copy(update={"tags": [*r.tags, REGRESSION_TAG]}) for r in self.rows]

    def files(self) -> dict[str, bytes]:
        """The data files ``save_artifact(files=...)`` writes beside the model."""
        return {REGRESSION_FILE: self.payload}


def canonical(row: LabelledListing) -> str:
    return json.dumps(row.model_dump(mode="json"), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def default_regression_set() -> RegressionSet:
    from trainers.sources import load_written

    return RegressionSet(rows=list(load_written().regression), source=DEFAULT_SOURCE)


def regression_set_for(written: WrittenParts | None) -> RegressionSet:
    """The set ``lovemachine train`` keeps with a new model: the regression part of the written corpus
    it was given (never trained on), else the default one."""
    if written is None:
        return default_regression_set()
    return RegressionSet(rows=list(written.regression), source=DEFAULT_SOURCE)


def read_regression_set(
    artifact_uri: str | Path, *, version: str, expected: Mapping[str, Any] | None
) -> RegressionSet | None:
    """The set saved with an artifact, checked against ``expected`` (its ``regression_set`` record);
    None when the artifact was saved without one. A missing or altered file is an error: falling back
    to another set would silently change what "no regression" means."""
    path = Path(artifact_uri) / REGRESSION_FILE
    if expected is None:
        if path.exists():
            raise ArtifactIntegrityError(f"{path} of {version} has no recorded checksum; refusing it")
        return None
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ArtifactIntegrityError(f"cannot read the regression set {path} of {version}: {exc}") from None
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected.get("sha256"):
        raise ArtifactIntegrityError(
            f"regression set {path} of {version} fails its checksum "
            f"(expected {str(expected.get('sha256'))[:12]}…, got {actual[:12]}…)"
        )
    rows = [parse_labelled(json.loads(line)) for line in data.decode().splitlines() if line.strip()]
    return RegressionSet(rows=rows, source=f"carried from {version}")


def regression_set_of(record: ModelVersionRecord | None) -> RegressionSet:
    """The regression set of a registered model (the live one), or the default when it has none.

    The expected checksum comes from the registry record's metrics when they have it (the database
    is what is trusted), else from the artifact's ``metadata.json`` (detects corruption only).
    """
    if record is None:
        return default_regression_set()
    expected = _expected(record)
    found = read_regression_set(record.artifact_uri, version=record.version, expected=expected)
    return found if found is not None else default_regression_set()


def _expected(record: ModelVersionRecord) -> Mapping[str, Any] | None:
    meta = record.metrics.get(META_KEY)
    if isinstance(meta, Mapping):
        return meta
    try:
        on_disk = json.loads((Path(record.artifact_uri) / "metadata.json").read_text())
    except (OSError, ValueError):
        return None
    found = on_disk.get(META_KEY) if isinstance(on_disk, dict) else None
    return found if isinstance(found, Mapping) else None


def without(rows: Sequence[LabelledListing], ids: frozenset[str]) -> list[LabelledListing]:
    """``rows`` less the listings in ``ids`` (what keeps the regression set out of training)."""
    return [r for r in rows if r.listing.id not in ids]
