"""Abstention: a model hides only what is certain, familiar and explainable; otherwise it reports."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from lovemachine.categories import CATEGORIES, COUNTERFEIT
from lovemachine.classifiers.novelty import NoveltyModel, novelty_threshold
from lovemachine.features.text import listing_text, readable_term, tokens
from lovemachine.listings import LabelledListing, Listing
from lovemachine.policy import Action, Policy
from lovemachine.registry import LoadedModel
from lovemachine.rules import RuleSet
from lovemachine.services.scoring import UNFAMILIAR, Scorer
from trainers.train import TrainResult

ALWAYS_HIDE = Policy.uniform(report=0.0, hide=0.0)


def _listing(listing_id: str, title: str, description: str) -> Listing:
    return Listing.model_validate(
        {
            "id": listing_id,
            "version": 1,
            "seller_id": "s1",
            "title": title,
            "description": description,
            "price": 3000,
            "currency": "JPY",
            "category": "fashion/women",
        }
    )


# An ordinary listing in a language and wording no training listing has: Finnish.
FOREIGN = _listing(
    "ood-1",
    "Villasukat käsin neulotut",
    "Isoäidin neulomat lämpimät villasukat, koko 38–40. Käytetty pari kertaa, ei reikiä. "
    "Postitus torstaisin kirjekuoressa.",
)


def _scorer(trained: TrainResult, policy: Policy = ALWAYS_HIDE, rules: RuleSet | None = None) -> Scorer:
    return Scorer(model=LoadedModel("m1", trained.model, policy, {}), rules=rules)


def test_trained_model_carries_a_novelty_threshold_from_validation(trained: TrainResult) -> None:
    threshold = getattr(trained.model, "novelty_threshold", None)
    assert threshold is not None and 0.0 < threshold < 1.0


def test_unfamiliar_listing_with_a_hide_score_is_reported_not_hidden(
    trained: TrainResult, synthetic_rows: list[LabelledListing]
) -> None:
    familiar = next(r.listing for r in synthetic_rows if r.labels.get(COUNTERFEIT))
    novelty = trained.model.novelty([familiar, FOREIGN])  # type: ignore[attr-defined]
    threshold = trained.model.novelty_threshold  # type: ignore[attr-defined]
    assert novelty[1] > threshold >= novelty[0]

    # every score is at or above hide (threshold 0): only novelty and evidence can stop a hide
    hidden, foreign = _scorer(trained).score([familiar, FOREIGN])
    assert hidden.action is Action.HIDE
    assert foreign.action is Action.REPORT
    assert foreign.reasons[0].startswith(f"{UNFAMILIAR}: unlike the listings the model learned from")
    assert any("reported, not hidden" in r for r in foreign.reasons)


def test_hide_without_readable_evidence_is_reported(trained: TrainResult) -> None:
    class NoEvidence:
        """The trained model, but with nothing a person could read as evidence."""

        def __init__(self, inner: object) -> None:
            self.inner = inner
            self.categories = CATEGORIES
            self.novelty_threshold = None

        def predict_scores(self, listings: Sequence[Listing]) -> np.ndarray:
            return self.inner.predict_scores(listings)  # type: ignore[attr-defined,no-any-return]

        def explain_batch(self, listings: Sequence[Listing], categories: Sequence[str]) -> list[list[str]]:
            return [[] for _ in listings]

    scorer = Scorer(model=LoadedModel("m1", NoEvidence(trained.model), ALWAYS_HIDE, {}))  # type: ignore[arg-type]
    (d,) = scorer.score([FOREIGN])
    assert d.action is Action.REPORT
    assert d.reasons[0] == f"{UNFAMILIAR}: no words, price or rule a person can check"


def test_a_cs_rule_hide_is_never_second_guessed(trained: TrainResult) -> None:
    from lovemachine.rules import Rule

    rule = Rule(id=1, pattern="villasukat", kind="keyword", category=COUNTERFEIT, action="hide")
    (d,) = _scorer(trained, rules=RuleSet([rule])).score([FOREIGN])
    assert d.action is Action.HIDE
    assert not any(r.startswith(UNFAMILIAR) for r in d.reasons)


def test_old_artifacts_without_novelty_still_decide(trained: TrainResult) -> None:
    import copy

    model = copy.copy(trained.model)
    model.novelty_threshold = None  # type: ignore[attr-defined]
    scorer = Scorer(model=LoadedModel("m1", model, ALWAYS_HIDE, {}))  # type: ignore[arg-type]
    (d,) = scorer.score([FOREIGN])
    assert d.action in (Action.HIDE, Action.REPORT)


def test_evidence_is_words_never_character_fragments(trained: TrainResult) -> None:
    ja = _listing(
        "ja-1",
        "ブランドバッグ スーパーコピー N品",
        "海外製造品のためお安くお譲りします。もおけでの文字化けはありません。",
    )
    (d,) = _scorer(trained).score([ja])
    evidence = [r for r in d.reasons if ": words " in r or ": policy terms " in r]
    assert evidence, d.reasons
    quoted = [q for r in evidence for q in r.split("'")[1::2]]
    text = listing_text(ja.title, ja.description)
    for q in quoted:
        assert len(q) >= 2 and (q in text or q.replace(" ", "") in text.replace(" ", "")), q
    assert "もお" not in quoted and "けで" not in quoted


@pytest.mark.parametrize(
    ("feature", "expected"),
    [
        ("c:vui", None),
        ("w:ギフト券", "ギフト券"),
        ("gift_card", "gift card"),
        ("ギフト_券", "ギフト券"),
        ("もお", None),  # a bigram cut from a longer run
        ("偽物", "偽物"),  # a whole run in this text
        ("g", None),
    ],
)
def test_readable_term(feature: str, expected: str | None) -> None:
    whole = set(tokens("偽物 です ギフト 券"))
    assert readable_term(feature, whole) == expected


def test_novelty_grows_with_distance_from_training_rows() -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(200)]
    train = [" ".join(rng.choice(words[:100], 12)) for _ in range(300)]
    vec = TfidfVectorizer().fit([*train, " ".join(words)])
    model = NoveltyModel(n_components=32, k=5).fit(vec.transform(train))
    seen = model.score(vec.transform(train[:20]))
    unseen = model.score(vec.transform([" ".join(rng.choice(words[100:], 12)) for _ in range(20)]))
    assert unseen.min() > seen.max()
    assert novelty_threshold(seen, 0.98) <= seen.max()
    with pytest.raises(ValueError):
        novelty_threshold(seen, 0.2)


def test_novelty_and_evidence_reuse_the_scored_batch_and_agree_with_a_fresh_pass(
    trained: TrainResult, synthetic_rows: list[LabelledListing]
) -> None:
    """The fast tier keeps the rows of the batch it just scored (per thread) for the novelty score and
    the explanations of its subsets; the results are exactly those of vectorising again."""
    import pickle

    fast = trained.model.fast
    batch = [r.listing for r in synthetic_rows[:300]]
    fast.predict_scores(batch)
    subset = batch[::7]
    cats = [CATEGORIES[i % len(CATEGORIES)] for i in range(len(subset))]
    cached_novelty, cached_evidence = fast.novelty(subset), fast.explain_batch(subset, cats)
    copies = [x.model_copy() for x in subset]  # other objects: computed afresh
    assert fast._batch().take(copies, tabular=True) is None
    np.testing.assert_array_equal(cached_novelty, fast.novelty(copies))
    assert cached_evidence == fast.explain_batch(copies, cats)
    # a listing outside the batch makes the whole call compute afresh, and nothing leaks into artifacts
    assert fast._batch().take([*subset, copies[0]], tabular=False) is None
    assert "_last_batch" not in pickle.loads(pickle.dumps(fast)).__dict__
