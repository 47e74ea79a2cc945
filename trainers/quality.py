"""What a model's *decisions* do to listings written by other people: the numbers users care about.

PR-AUC says how well a model ranks; a seller cares whether their listing was hidden, CS whether a
violation reached them. So quality is measured on the decisions the production path makes
(``lovemachine.services.scoring.Scorer``: thresholds, abstention, evidence), per category:

* ``pr_auc`` — average precision of the category's score;
* ``hide_precision`` — of the listings hidden *for* this category, the share that violate it
  (undefined when nothing was hidden);
* ``wrongful_hides`` — those that do not (ids kept, so a person can look them up elsewhere);
* ``acted_recall`` — of the listings violating this category, the share hidden or reported (for any
  category: either way the listing leaves the feed or reaches a person);
* ``hide_recall`` — the share hidden.

And over all listings: ``clean_reported`` (share of clean listings reported), ``clean_hidden``
(share hidden) and ``abstained`` (hides turned into reports because the model could not be sure).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import average_precision_score

from lovemachine.categories import CATEGORIES
from lovemachine.listings import LabelledListing
from lovemachine.policy import Action, Decision

try:
    from lovemachine.services.scoring import UNFAMILIAR
except ImportError:  # an older checkout (eval/quality.py --root): it never abstains
    UNFAMILIAR = "unfamiliar listing"


def decision_quality(rows: Sequence[LabelledListing], decisions: Sequence[Decision]) -> dict[str, Any]:
    """Per-category and overall decision quality of ``decisions`` (one per row, same order)."""
    if len(rows) != len(decisions):
        raise ValueError(f"{len(rows)} rows but {len(decisions)} decisions")
    y = np.array([r.label_vector() for r in rows], dtype=np.int8).reshape(-1, len(CATEGORIES))
    action = np.array([d.action.value for d in decisions])
    driver = np.array([d.category or "" for d in decisions])
    scores = np.array([[d.scores.get(c, 0.0) for c in CATEGORIES] for d in decisions]).reshape(y.shape)
    ids = [r.listing.id for r in rows]
    acted = action != Action.ALLOW.value
    hidden = action == Action.HIDE.value
    out: dict[str, Any] = {"rows": len(rows), "categories": {}}
    for k, cat in enumerate(CATEGORIES):
        yk = y[:, k].astype(bool)
        hid_here = hidden & (driver == cat)
        wrong = np.nonzero(hid_here & ~yk)[0]
        out["categories"][cat] = {
            "support": int(yk.sum()),
            "pr_auc": float(average_precision_score(yk, scores[:, k])) if yk.any() else None,
            "hides": int(hid_here.sum()),
            "hide_precision": float((hid_here & yk).sum() / hid_here.sum()) if hid_here.any() else None,
            "wrongful_hides": [ids[i] for i in wrong],
            "acted_recall": float(acted[yk].mean()) if yk.any() else None,
            "hide_recall": float(hidden[yk].mean()) if yk.any() else None,
        }
    clean = y.sum(axis=1) == 0
    unfamiliar = np.array([any(r.startswith(UNFAMILIAR) for r in d.reasons) for d in decisions], dtype=bool)
    out["clean"] = int(clean.sum())
    out["clean_reported"] = float((action[clean] == Action.REPORT.value).mean()) if clean.any() else None
    out["clean_hidden"] = float(hidden[clean].mean()) if clean.any() else None
    out["innocent_hidden"] = [ids[i] for i in np.nonzero(hidden & clean)[0]]
    out["abstained"] = int((unfamiliar & (action == Action.REPORT.value)).sum())
    out["violations_acted"] = float(acted[~clean].mean()) if (~clean).any() else None
    return out
