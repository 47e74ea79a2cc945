"""Keyword / regex rules that CS staff add and delete without a deploy.

Rules match against the *normalised* title and description (NFKC, width-folded, lower-cased), so a
rule for ``amazonギフト`` also catches ``ＡＭＡＺＯＮギフト``. A RuleSet is immutable: the worker swaps a
whole new set in when the database changes, so a batch is always judged by one consistent set.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from lovemachine.categories import CATEGORIES
from lovemachine.features.text import normalise


@dataclass(frozen=True)
class Rule:
    id: int
    pattern: str
    kind: Literal["keyword", "regex"]
    category: str
    action: Literal["hide", "report"]
    enabled: bool = True
    note: str = ""

    def __post_init__(self) -> None:
        if self.category not in CATEGORIES:
            raise ValueError(f"rule #{self.id}: unknown category {self.category!r}")
        if self.kind not in ("keyword", "regex"):
            raise ValueError(f"rule #{self.id}: kind must be 'keyword' or 'regex'")
        if self.action not in ("hide", "report"):
            raise ValueError(f"rule #{self.id}: action must be 'hide' or 'report'")
        if not self.pattern.strip():
            raise ValueError(f"rule #{self.id}: empty pattern")
        if self.kind == "regex":
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValueError(f"rule #{self.id}: invalid regex: {exc}") from None


@dataclass(frozen=True)
class RuleMatch:
    rule_id: int
    category: str
    action: str
    matched: str


class RuleSet:
    def __init__(self, rules: Iterable[Rule] = ()) -> None:
        self.rules = tuple(r for r in rules if r.enabled)
        self._compiled = [
            (
                r,
                re.compile(
                    re.escape(normalise(r.pattern)) if r.kind == "keyword" else r.pattern, re.IGNORECASE
                ),
            )
            for r in self.rules
        ]

    def __len__(self) -> int:
        return len(self.rules)

    def match(self, normalised_text: str) -> list[RuleMatch]:
        out = []
        for rule, rx in self._compiled:
            m = rx.search(normalised_text)
            if m:
                out.append(RuleMatch(rule.id, rule.category, rule.action, m.group(0)[:80]))
        return out
