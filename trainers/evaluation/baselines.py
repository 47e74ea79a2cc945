"""The keyword-rule baseline: what CS search conditions catch before any model (seed 004).

A rule file lists, per category, literal ``keywords`` and ``regex`` patterns. They become the
production :class:`~lovemachine.rules.Rule` objects and are matched by the production
:class:`~lovemachine.rules.RuleSet` on the same normalised text the worker uses, so the baseline is
what the CS rules would really have caught. The score of a category is 1 if any of its rules
matches, else 0.

It is used as CS uses its search conditions: every match goes to review (``report``), nothing is
hidden automatically. No threshold is tuned for it, so its precision, recall and review volume
at that operating point are what the rules deliver today, capacity or not.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import yaml

from lovemachine.categories import CATEGORIES
from lovemachine.features.text import listing_text
from lovemachine.listings import Listing
from lovemachine.rules import Rule, RuleSet
from trainers.evaluation.config import EvaluationError
from trainers.evaluation.metrics import Cut

_KINDS = {"keywords": "keyword", "regex": "regex"}


def load_rules(path: Path) -> list[Rule]:
    """Rules from a YAML file ``{category: {keywords: [...], regex: [...]}}``, ids in file order."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise EvaluationError(f"keyword rules {path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise EvaluationError(f"keyword rules {path} are not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise EvaluationError(f"keyword rules {path}: expected a mapping of category -> rules")
    rules: list[Rule] = []
    for category, block in raw.items():
        if category not in CATEGORIES:
            raise EvaluationError(f"keyword rules {path}: unknown category {category!r}")
        if not isinstance(block, dict) or set(block) - set(_KINDS):
            raise EvaluationError(f"keyword rules {path}: {category}: use the keys 'keywords' and 'regex'")
        for key, kind in _KINDS.items():
            for pattern in block.get(key) or []:
                try:
                    rules.append(Rule(len(rules) + 1, str(pattern), kind, category, "report", note=key))  # type: ignore[arg-type]
                except ValueError as exc:
                    raise EvaluationError(f"keyword rules {path}: {category}.{key}: {exc}") from None
    if not rules:
        raise EvaluationError(f"keyword rules {path}: no rules")
    return rules


class KeywordRulesModel:
    """A Classifier whose scores are 1.0 where any rule of the category matches, else 0.0."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.categories = CATEGORIES
        self.rules = RuleSet(rules)
        self.rule_counts = {c: sum(r.category == c for r in rules) for c in CATEGORIES}

    def predict_scores(self, listings: Sequence[Listing]) -> np.ndarray:
        out = np.zeros((len(listings), len(CATEGORIES)))
        col = {c: k for k, c in enumerate(CATEGORIES)}
        for i, x in enumerate(listings):
            for m in self.rules.match(listing_text(x.title, x.description, x.brand)):
                out[i, col[m.category]] = 1.0
        return out


RULE_CUT = Cut(report=1.0, hide=math.inf)
"""CS search conditions surface listings for review: every match is reported, none is hidden."""
