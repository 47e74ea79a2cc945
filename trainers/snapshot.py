"""Dataset snapshots: the labels CS produced, with the earlier training data, as one training set.

``build_snapshot`` is pure: labelled listing versions from the store (``labels_for_training``) plus
the base data (the labelled JSONL the first model learned from) in, training rows and their
provenance out. Labels are resolved by ``lovemachine.review.truth`` (an overturned label gives way;
disagreements are counted, listed, and settled by the latest standing label). A label row's time is
the time of its label, so "hold the newest labels out" means the labels CS gave last. A listing in
both the base data and the labels keeps only its label row (the human verdict is newer).

The content hash covers the base data's hash and every label row in a canonical serialisation
(sorted keys, compact separators, rows in (listing id, version) order): the same labels and base
data give the same hash on any machine, and changing one label changes it.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from lovemachine.categories import CATEGORIES
from lovemachine.listings import LabelledListing
from lovemachine.retraining import LabelledVersion
from lovemachine.review.policy import LABELS
from lovemachine.review.truth import ResolvedLabel, resolve, targets
from trainers.dataset import Dataset

FORMAT = "lovemachine-snapshot-v1"
MAX_LISTED_DISAGREEMENTS = 200
RULE = (
    "an overturned label (superseded, or corrected by the same reviewer) gives way; reviewers who "
    "disagree are counted and listed, and the latest standing label is trained on; a category label is "
    "that category 1 and the others 0, 'other' and 'no_violation' are all 0"
)


@dataclass(frozen=True)
class Snapshot:
    base_rows: list[LabelledListing]
    """The base data, less listings that also have a label row."""
    label_rows: list[LabelledListing]
    """One row per labelled listing version, oldest label first (``occurred_at`` = label time)."""
    sha256: str
    provenance: dict[str, Any]
    base_sha256: str | None
    base_source: str | None

    @property
    def rows(self) -> list[LabelledListing]:
        return [*self.base_rows, *self.label_rows]

    @property
    def labels_from(self) -> datetime | None:
        return self.label_rows[0].occurred_at if self.label_rows else None

    @property
    def labels_to(self) -> datetime | None:
        return self.label_rows[-1].occurred_at if self.label_rows else None

    def write_label_rows(self, path: Path) -> None:
        """The label rows as labelled JSONL (what ``lovemachine train --data`` reads), for audits."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            for row in self.label_rows:
                f.write(canonical(row) + "\n")
        tmp.replace(path)


def canonical(row: LabelledListing) -> str:
    return json.dumps(row.model_dump(mode="json"), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def label_row(resolved: ResolvedLabel, labelled: LabelledVersion) -> LabelledListing:
    assert labelled.listing is not None
    tags = [f"source:{resolved.source}", f"label:{resolved.label}"]
    if resolved.disagreement:
        tags.append("disagreement")
    return LabelledListing(
        event_id=f"label:{resolved.listing_id}@{resolved.listing_version}",
        type="listing.created" if resolved.listing_version <= 1 else "listing.updated",
        occurred_at=resolved.created_at,
        listing=labelled.listing,
        labels=targets(resolved.label),
        tags=tags,
    )


def build_snapshot(
    labelled: Sequence[LabelledVersion], *, base: Dataset | None = None, base_source: str | None = None
) -> Snapshot:
    """Training rows and provenance from the store's labels and the base data (see the module doc)."""
    by_label_id = {lv.label.id: lv for lv in labelled}
    resolved = resolve(lv.label for lv in labelled)
    label_rows: list[LabelledListing] = []
    stale = 0
    disagreements: list[dict[str, Any]] = []
    by_source: dict[str, Counter[str]] = {}
    for r in resolved:
        if r.disagreement:
            disagreements.append(
                {
                    "listing_id": r.listing_id,
                    "listing_version": r.listing_version,
                    "verdicts": r.verdicts,
                    "trained_as": r.label,
                }
            )
        lv = by_label_id[r.chosen.id]
        if lv.listing is None:
            stale += 1
            continue
        label_rows.append(label_row(r, lv))
        by_source.setdefault(r.source, Counter())[r.label] += 1
    labelled_ids = {row.listing.id for row in label_rows}
    base_rows = [row for row in (base.rows if base else []) if row.listing.id not in labelled_ids]
    h = hashlib.sha256(f"{FORMAT}\nbase:{base.sha256 if base else '-'}\n".encode())
    for row in label_rows:  # resolve() orders them by (listing id, version)
        h.update((canonical(row) + "\n").encode())
    label_rows.sort(key=lambda row: (row.occurred_at, row.event_id))
    provenance = {
        "format": FORMAT,
        "rule": RULE,
        "rows": len(base_rows) + len(label_rows),
        "label_rows": len(label_rows),
        "by_source": {
            **{src: {lab: counts[lab] for lab in LABELS} for src, counts in sorted(by_source.items())},
            "base": _base_counts(base_rows),
        },
        "by_category": _category_counts([*base_rows, *label_rows]),
        "labels": {
            "read": len(labelled),
            "listing_versions": len(resolved),
            "overturned": sum(r.overturned for r in resolved),
            "disagreements": len(disagreements),
            "stale_versions": stale,
        },
        "disagreements": disagreements[:MAX_LISTED_DISAGREEMENTS],
        "labels_time_range": _range(label_rows),
        "base": {
            "source": base_source,
            "sha256": base.sha256 if base else None,
            "rows": len(base.rows) if base else 0,
            "replaced_by_labels": (len(base.rows) - len(base_rows)) if base else 0,
            "time_range": _range(base_rows),
        },
    }
    return Snapshot(
        base_rows=base_rows,
        label_rows=label_rows,
        sha256=h.hexdigest(),
        provenance=provenance,
        base_sha256=base.sha256 if base else None,
        base_source=base_source,
    )


def _base_counts(rows: Sequence[LabelledListing]) -> dict[str, int]:
    out = {c: 0 for c in CATEGORIES}
    clean = 0
    for row in rows:
        vec = row.label_vector()
        for c, v in zip(CATEGORIES, vec, strict=True):
            out[c] += v
        clean += not any(vec)
    return {**out, "no_violation": clean}


def _category_counts(rows: Sequence[LabelledListing]) -> dict[str, dict[str, int]]:
    pos = _base_counts(rows)
    return {c: {"positive": pos[c], "negative": len(rows) - pos[c]} for c in CATEGORIES}


def _range(rows: Sequence[LabelledListing]) -> dict[str, str | None]:
    if not rows:
        return {"from": None, "to": None}
    times = [r.occurred_at for r in rows]
    return {"from": min(times).isoformat(), "to": max(times).isoformat()}
