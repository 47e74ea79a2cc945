"""The cascade: which listings reach the deep tier, what images add, and what the reasons say."""

import pickle
from collections.abc import Sequence

import numpy as np
import pytest

from lovemachine.categories import CATEGORIES
from lovemachine.classifiers.cascade import CascadeModel
from lovemachine.images import ImageScore
from lovemachine.registry import load_artifact, save_artifact
from trainers.cascade import choose_bands, fit_cascade


class KeywordDeep:
    """A stand-in deep tier (a real object at the TextScorer port): scores by keywords, counts calls."""

    categories = CATEGORIES

    def __init__(self) -> None:
        self.words = {"counterfeit": "コピー", "adult": "18", "cash": "ギフト", "keyword_stuffing": "#"}
        self.seen: list[str] = []

    def predict_scores(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        self.seen.extend(texts)
        return np.array([[0.9 if self.words[c] in t else 0.1 for c in CATEGORIES] for t in texts]).reshape(
            -1, len(CATEGORIES)
        )


class FailingImages:
    def __init__(self) -> None:
        self.calls = 0

    def score_listings(self, image_urls: Sequence[Sequence[str]]) -> list[ImageScore]:
        self.calls += 1
        return [ImageScore(None, 0, (f"image {u[0]} not scored: timed out after 2.0 s",)) for u in image_urls]


class FixedImages:
    def score_listings(self, image_urls: Sequence[Sequence[str]]) -> list[ImageScore]:
        return [ImageScore(0.97, 1, ()) for _ in image_urls]


class Identity:
    def transform(self, scores: np.ndarray) -> np.ndarray:
        return scores


@pytest.fixture
def cascade(trained, synthetic_rows):
    base = trained.model
    # Raw (uncalibrated) fast-tier scores are continuous; on synthetic data the isotonic calibrator
    # maps almost everything to exactly 0 or 1, which would leave no band to test. Bands come from the
    # observed distribution, so that some listings (not all) are uncertain however sharp the model.
    fast = base.fast.predict_scores([r.listing for r in synthetic_rows[:600]])
    bands = {}
    for k, c in enumerate(CATEGORIES):
        col = np.unique(fast[:, k])
        bands[c] = (float(col[len(col) // 2]), float(col[-2])) if len(col) > 2 else (0.05, 0.95)
    return CascadeModel(
        fast=base.fast,
        calibrator=Identity(),
        deep=KeywordDeep(),
        bands=bands,
        image_band=bands["adult"],
    )


def test_only_listings_in_a_band_reach_the_deep_tier(cascade, synthetic_rows):
    listings = [r.listing for r in synthetic_rows[:600]]
    out = cascade.predict_detailed(listings)
    in_band = np.zeros(len(listings), dtype=bool)
    for k, c in enumerate(CATEGORIES):
        lo, hi = cascade.bands[c]
        in_band |= (out.fast[:, k] >= lo) & (out.fast[:, k] <= hi)
    assert (out.routed == in_band).all()
    assert 0 < out.routed.sum() < len(listings)
    assert len(cascade.deep.seen) == out.routed.sum()
    assert np.isnan(out.deep[~out.routed]).all() and not np.isnan(out.deep[out.routed]).any()
    # without combiners the scores stay the calibrated fast-tier scores
    assert np.allclose(out.scores, out.fast)
    assert out.deep_share == pytest.approx(out.routed.mean())
    assert all(any(n.startswith("deep tier:") for n in out.notes[i]) for i in np.nonzero(out.routed)[0])


def test_no_deep_model_means_no_routing(trained, synthetic_rows):
    out = trained.model.predict_detailed([r.listing for r in synthetic_rows[:100]])
    assert not out.routed.any() and out.deep_share == 0.0


def test_failed_image_fetch_scores_without_the_image_and_says_so(cascade, synthetic_rows):
    listings = [r.listing for r in synthetic_rows[:600]]
    cascade.attach_image_scorer(FailingImages())
    out = cascade.predict_detailed(listings)
    wanted = cascade.wants_image(out.fast, out.routed)
    assert wanted.any(), "the fixture should route some adult-band listings"
    assert np.isnan(out.image).all()
    for i in np.nonzero(wanted)[0]:
        assert any("scored without images" in n and "timed out" in n for n in out.notes[i])


def test_no_image_scorer_is_a_reason_not_an_error(cascade, synthetic_rows):
    listings = [r.listing for r in synthetic_rows[:600]]
    out = cascade.predict_detailed(listings)
    wanted = np.nonzero(cascade.wants_image(out.fast, out.routed))[0]
    assert any("no image scorer" in n for i in wanted for n in out.notes[i])


def test_image_scorer_is_never_pickled(cascade):
    cascade.attach_image_scorer(FixedImages())
    clone = pickle.loads(pickle.dumps(cascade))
    assert clone.image_scorer is None and cascade.image_scorer is not None


def test_bands_narrow_until_the_deep_share_is_bounded():
    fast = np.random.default_rng(0).random((1000, 4))
    bands = choose_bands(fast, CATEGORIES, band=(0.02, 0.98), max_share=0.2)
    routed = np.zeros(1000, dtype=bool)
    for k, c in enumerate(CATEGORIES):
        routed |= (fast[:, k] >= bands[c][0]) & (fast[:, k] <= bands[c][1])
    assert routed.mean() <= 0.2
    assert all(lo < hi for lo, hi in bands.values())


def test_fit_cascade_learns_combiners_and_round_trips(trained, synthetic_rows, tmp_path):
    fast = trained.model.fast
    valid = synthetic_rows[:3000]
    y = np.array([r.label_vector() for r in valid])
    cf = fit_cascade(
        fast,
        [r.listing for r in valid],
        y,
        deep=KeywordDeep(),
        band=(0.001, 0.999),
        max_deep_share=0.3,
        image_scorer=FixedImages(),
    )
    assert 0 < cf.deep_share_valid <= 0.3
    assert cf.valid_scores.shape == y.shape and ((cf.valid_scores >= 0) & (cf.valid_scores <= 1)).all()
    assert any(c is not None for c in cf.model.combiners.values())
    uri, sha = save_artifact(cf.model, version="cascade-1", artifact_dir=tmp_path, metadata={})
    loaded = load_artifact(uri, expected_sha256=sha, version="cascade-1", policy=trained.policy).model
    listings = [r.listing for r in synthetic_rows[3000:3300]]
    assert np.array_equal(loaded.predict_scores(listings), cf.model.predict_scores(listings))


def test_a_category_left_out_of_the_deep_tier_keeps_the_fast_score(trained, synthetic_rows):
    fast = trained.model.fast
    valid = synthetic_rows[:3000]
    y = np.array([r.label_vector() for r in valid])
    kept = [c for c in fast.categories if c != "keyword_stuffing"]
    cf = fit_cascade(
        fast,
        [r.listing for r in valid],
        y,
        deep=KeywordDeep(),
        band=(0.001, 0.999),
        max_deep_share=0.3,
        deep_categories=kept,
    )
    model = cf.model
    assert set(model.bands) == set(kept) and model.combiners["keyword_stuffing"] is None
    listings = [r.listing for r in synthetic_rows[3000:3600]]
    out = model.predict_detailed(listings)
    k = fast.categories.index("keyword_stuffing")
    assert out.routed.any()  # other categories still route
    np.testing.assert_array_equal(out.scores[:, k], out.fast[:, k])
    # routing follows the bands of the kept categories only
    fast_all = model.fast_scores(listings)
    in_band = [
        (fast_all[:, j] >= lo) & (fast_all[:, j] <= hi)
        for j, (lo, hi) in ((fast.categories.index(c), model.bands[c]) for c in kept)
    ]
    np.testing.assert_array_equal(out.routed, np.logical_or.reduce(in_band))
