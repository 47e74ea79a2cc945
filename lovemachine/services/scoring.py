"""Scoring: a batch of listings -> one explained Decision each.

Pure with respect to I/O: the model and the rule set are handed in, the caller stores and publishes.
A batch is scored by exactly one model version and one rule set, so every decision can be replayed.
A cascade model (``predict_detailed``) also reports what its deep tier and image check saw, or
why an image could not be used; those notes become reasons too.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from lovemachine.features.text import listing_text
from lovemachine.listings import Listing
from lovemachine.policy import Action, Decision, decide
from lovemachine.registry import LoadedModel
from lovemachine.rules import RuleSet


class Scorer:
    def __init__(self, *, model: LoadedModel, rules: RuleSet | None = None, explain: bool = True) -> None:
        self.model = model
        self.rules = rules or RuleSet()
        self.explain = explain

    @property
    def version(self) -> str:
        return self.model.version

    def with_rules(self, rules: RuleSet) -> Scorer:
        return Scorer(model=self.model, rules=rules, explain=self.explain)

    def score(self, listings: Sequence[Listing], *, now: datetime | None = None) -> list[Decision]:
        now = now or datetime.now(UTC)
        clf = self.model.model
        notes: list[list[str]] | None = None
        detailed = getattr(clf, "predict_detailed", None)
        if detailed is not None:
            result = detailed(listings)
            probs, notes = result.scores, result.notes
        else:
            probs = clf.predict_scores(listings)
        cats = clf.categories
        out: list[Decision] = []
        for i, (listing, row) in enumerate(zip(listings, probs, strict=True)):
            scores = {c: float(v) for c, v in zip(cats, row, strict=True)}
            matches = (
                self.rules.match(listing_text(listing.title, listing.description, listing.brand))
                if len(self.rules)
                else []
            )
            d = decide(
                listing_id=listing.id,
                listing_version=listing.version,
                scores=scores,
                policy=self.model.policy,
                model_version=self.model.version,
                rule_matches=matches,
                decided_at=now,
            )
            if notes is not None and notes[i]:
                d.reasons.extend(notes[i])
            out.append(d)
        if self.explain and hasattr(clf, "explain_batch"):
            flagged = [i for i, d in enumerate(out) if d.action is not Action.ALLOW and d.category]
            evidence = clf.explain_batch([listings[i] for i in flagged], [out[i].category for i in flagged])
            for i, ev in zip(flagged, evidence, strict=True):
                out[i].reasons.extend(ev)
        return out
