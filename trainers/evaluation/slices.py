"""Where a model fails: slices by language and by tag, and the worst individual mistakes.

A mean over a category hides the disguise nobody catches (``cash:katakana``) and the innocent
listings that are always flagged (``hard_negative:card_case``); slices and examples show them.
For a category ``c`` the tag slices are the tags ``c:*`` (its disguises: recall matters) and the
tags of no category (hard negatives and hand-written cases: false positives matter).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np

from lovemachine.categories import CATEGORIES
from lovemachine.listings import LabelledListing
from trainers.evaluation.metrics import Cut, pr_auc

EXCERPT = 160


def language(locale: str) -> str:
    return locale.split("-")[0].split("_")[0].lower() or "unknown"


def slice_metrics(y: np.ndarray, s: np.ndarray, cut: Cut) -> dict[str, Any]:
    y = np.asarray(y).astype(bool)
    s = np.asarray(s, dtype=np.float64)
    pos, neg = int(y.sum()), int((~y).sum())
    rep, hide = s >= cut.report, s >= cut.hide
    return {
        "rows": len(y),
        "positives": pos,
        "recall_at_report": float((rep & y).sum() / pos) if pos else None,
        "recall_at_hide": float((hide & y).sum() / pos) if pos else None,
        "false_positives_at_report": int((rep & ~y).sum()),
        "false_positive_rate_at_report": float((rep & ~y).sum() / neg) if neg else None,
        "false_positives_at_hide": int((hide & ~y).sum()),
        "pr_auc": pr_auc(y, s) if 0 < pos < len(y) else None,
    }


def slice_indices(rows: Sequence[LabelledListing], category: str) -> dict[str, dict[str, list[int]]]:
    """{"language": {lang: idx}, "tags": {tag: idx}} for ``category`` (see module docstring)."""
    langs: dict[str, list[int]] = defaultdict(list)
    tags: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        langs[language(r.listing.locale)].append(i)
        for t in dict.fromkeys(r.tags):
            prefix = t.split(":", 1)[0]
            if prefix == category or prefix not in CATEGORIES:
                tags[t].append(i)
    return {"language": dict(sorted(langs.items())), "tags": dict(sorted(tags.items()))}


def slices(
    rows: Sequence[LabelledListing], y: np.ndarray, s: np.ndarray, cut: Cut, category: str
) -> dict[str, dict[str, dict[str, Any]]]:
    return {
        kind: {name: slice_metrics(y[idx], s[idx], cut) for name, idx in groups.items()}
        for kind, groups in slice_indices(rows, category).items()
    }


def action(score: float, cut: Cut) -> str:
    return "hide" if score >= cut.hide else ("report" if score >= cut.report else "allow")


def example(row: LabelledListing, score: float, cut: Cut) -> dict[str, Any]:
    x = row.listing
    desc = " ".join(x.description.split())
    return {
        "id": x.id,
        "score": round(float(score), 4),
        "action": action(score, cut),
        "title": x.title,
        "description": desc[:EXCERPT] + ("…" if len(desc) > EXCERPT else ""),
        "tags": list(row.tags),
        "locale": x.locale,
        "price": f"{x.price:,.0f} {x.currency}",
    }


def worst_examples(
    rows: Sequence[LabelledListing], y: np.ndarray, s: np.ndarray, cut: Cut, k: int
) -> dict[str, list[dict[str, Any]]]:
    """The ``k`` highest-scoring negatives and the ``k`` lowest-scoring positives (ties by id)."""
    y = np.asarray(y).astype(bool)
    ids = np.array([r.listing.id for r in rows])
    neg, pos = np.nonzero(~y)[0], np.nonzero(y)[0]
    fp = neg[np.lexsort((ids[neg], -s[neg]))][:k]
    fn = pos[np.lexsort((ids[pos], s[pos]))][:k]
    return {
        "false_positives": [example(rows[i], s[i], cut) for i in fp],
        "false_negatives": [example(rows[i], s[i], cut) for i in fn],
    }
