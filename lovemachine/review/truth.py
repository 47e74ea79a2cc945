"""What the labels on one listing version say, once overturned labels are set aside.

Both retraining (the dataset snapshot) and the live precision/recall estimate read labels through
:func:`resolve`, so they agree on what is true. Per listing version:

1. A label **overturned** is set aside: one with ``superseded_by`` set, and one followed by a later
   label of the *same reviewer* on the same version (a correction).
2. The labels left **stand**. When they disagree (different reviewers, different labels, none
   overturned) the version is a **disagreement**: counted, listed for a lead to settle, and
   resolved for training by the **latest standing label** (the most recent look at the listing,
   and the one a lead's settling label becomes).

A label maps to the four categories as :func:`targets` says: a category label is that category 1 and
the others 0; ``other`` (a violation outside our categories) and ``no_violation`` are all 0. A
reviewer picks one label, so a listing that breaks two rules teaches only the one they chose; the
others are taken as absent, which is rare and errs on the side of fewer positives.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from lovemachine.categories import CATEGORIES
from lovemachine.review.records import LabelRecord


@dataclass(frozen=True)
class ResolvedLabel:
    listing_id: str
    listing_version: int
    label: str
    """The verdict that counts: a category, ``other`` or ``no_violation``."""
    chosen: LabelRecord
    standing: tuple[LabelRecord, ...]
    """Every label on this version not overturned, oldest first (``chosen`` is the last)."""
    overturned: int
    """Labels on this version set aside (superseded, or corrected by the same reviewer)."""

    @property
    def source(self) -> str:
        return self.chosen.source

    @property
    def created_at(self) -> datetime:
        return self.chosen.created_at

    @property
    def disagreement(self) -> bool:
        return len({lab.label for lab in self.standing}) > 1

    @property
    def verdicts(self) -> dict[str, str]:
        """Reviewer (or ``#<label id>`` without one) -> their standing label."""
        return {lab.reviewer or f"#{lab.id}": lab.label for lab in self.standing}


def targets(label: str) -> dict[str, int]:
    """Per-category 0/1 training targets of one label (see the module docstring)."""
    return {c: int(c == label) for c in CATEGORIES}


def resolve(labels: Iterable[LabelRecord]) -> list[ResolvedLabel]:
    """One :class:`ResolvedLabel` per listing version with a standing label, by (listing id, version)."""
    by_version: dict[tuple[str, int], list[LabelRecord]] = defaultdict(list)
    for lab in labels:
        by_version[(lab.listing_id, lab.listing_version)].append(lab)
    out = []
    for key in sorted(by_version):
        group = sorted(by_version[key], key=lambda lab: (lab.created_at, lab.id))
        latest_by_reviewer = {lab.reviewer or f"#{lab.id}": lab.id for lab in group}
        standing = tuple(
            lab
            for lab in group
            if lab.superseded_by is None and latest_by_reviewer[lab.reviewer or f"#{lab.id}"] == lab.id
        )
        if not standing:
            continue
        out.append(
            ResolvedLabel(
                listing_id=key[0],
                listing_version=key[1],
                label=standing[-1].label,
                chosen=standing[-1],
                standing=standing,
                overturned=len(group) - len(standing),
            )
        )
    return out
