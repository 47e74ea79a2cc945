"""Scoring: a batch of listings -> one explained Decision each.

Pure with respect to I/O: the model and the rule set are handed in, the caller stores and publishes.
A batch is scored by exactly one model version and one rule set, so every decision can be replayed.
A cascade model (``predict_detailed``) also reports what its deep tier and image check saw, or
why an image could not be used; those notes become reasons too.

**Abstention.** A model may hide a listing on its own only when it is sure *and* on familiar ground:
the calibrated score at or above the hide threshold, the listing no more novel than the model's
novelty threshold (nearest training listings, ``lovemachine.classifiers.novelty``), and evidence a
person can read (words, policy terms, a price against the brand's floor). Otherwise the listing is
reported, with "unfamiliar listing: ..." first among its reasons. A CS rule's hide always stands.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from lovemachine.features.text import listing_text
from lovemachine.listings import Listing
from lovemachine.policy import Action, Decision, decide
from lovemachine.registry import LoadedModel
from lovemachine.rules import RuleSet

UNFAMILIAR = "unfamiliar listing"


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
        rule_hides: list[bool] = []
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
            rule_hides.append(any(m.action == Action.HIDE.value for m in matches))
        evidence = self._evidence(listings, out)
        hides = [i for i, d in enumerate(out) if d.action is Action.HIDE and not rule_hides[i]]
        for i, why in zip(hides, self._abstentions(listings, out, evidence, hides), strict=True):
            if why is None:
                continue
            d = out[i]
            redo = decide(
                listing_id=d.listing_id,
                listing_version=d.listing_version,
                scores=d.scores,
                policy=self.model.policy,
                model_version=d.model_version,
                decided_at=now,
                abstain=why,
            )
            out[i] = redo
            if notes is not None and notes[i]:
                redo.reasons.extend(notes[i])
        for i, ev in evidence.items():
            if self.explain and out[i].action is not Action.ALLOW:
                out[i].reasons.extend(ev)
        return out

    def _evidence(self, listings: Sequence[Listing], decisions: list[Decision]) -> dict[int, list[str]]:
        """Readable evidence (words, policy terms, price) for each flagged listing, by index."""
        explain = getattr(self.model.model, "explain_batch", None)
        flagged = [i for i, d in enumerate(decisions) if d.action is not Action.ALLOW and d.category]
        needed = self.explain or any(decisions[i].action is Action.HIDE for i in flagged)
        if explain is None or not flagged or not needed:
            return {}
        evidence = explain([listings[i] for i in flagged], [decisions[i].category for i in flagged])
        return dict(zip(flagged, evidence, strict=True))

    def _abstentions(
        self,
        listings: Sequence[Listing],
        decisions: list[Decision],
        evidence: dict[int, list[str]],
        hides: list[int],
    ) -> list[str | None]:
        """Why each model hide must be a report instead (None: it may stand).

        A hide needs the listing to be familiar (novelty at or below the model's threshold) and
        evidence a person can read; rule hides are people's decisions and are never second-guessed.
        """
        if not hides:
            return []
        clf = self.model.model
        threshold = getattr(clf, "novelty_threshold", None)
        novelty = clf.novelty([listings[i] for i in hides]) if threshold is not None else None  # type: ignore[attr-defined]
        has_explainer = hasattr(clf, "explain_batch")
        out: list[str | None] = []
        for j, i in enumerate(hides):
            if novelty is not None and threshold is not None and novelty[j] > threshold:
                out.append(
                    f"{UNFAMILIAR}: unlike the listings the model learned from "
                    f"(novelty {novelty[j]:.3f} > {threshold:.3f})"
                )
            elif has_explainer and not evidence.get(i):
                out.append(f"{UNFAMILIAR}: no words, price or rule a person can check")
            else:
                out.append(None)
        return out
