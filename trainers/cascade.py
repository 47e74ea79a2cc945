"""Fitting the cascade on top of a trained fast tier: calibration, bands, deep tier, combiners.

Pure steps over held-out (validation) rows, in this order:

1. calibrate the fast tier (``cross_fit`` gives out-of-fold calibrated validation scores);
2. choose each category's uncertainty band, narrowed until at most ``max_deep_share`` of the
   validation rows are routed to the deep tier;
3. score the routed validation rows with the deep model (trained on the training rows, so these
   scores are honest) and, for the adult band, their images;
4. fit one logistic combiner per category on the routed rows, cross-fitted so the validation
   scores the thresholds are chosen on are out-of-fold.

The returned validation scores are what the production cascade would have produced for rows it
never trained on; thresholds are chosen on them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from lovemachine.categories import ADULT
from lovemachine.classifiers.calibration import ScoreCalibrator, cross_fit, logit
from lovemachine.classifiers.cascade import CascadeModel, TextScorer, combiner_features
from lovemachine.classifiers.fast import FastTierModel
from lovemachine.features.text import listing_text
from lovemachine.images import ImageScorer
from lovemachine.listings import Listing

Progress = Callable[[str], None]
MIN_COMBINER_CLASS = 8


@dataclass(frozen=True)
class CascadeFit:
    model: CascadeModel
    valid_scores: np.ndarray
    deep_share_valid: float
    image_share_valid: float


DEFAULT_MAX_DEEP_SHARE = 0.1
"""At most this share of (validation) listings reaches the deep tier, unless configured otherwise
(``TrainConfig.max_deep_share``). The throughput budget sets it: fast tier ~3,400/s and int8 deep
tier ~320 routed listings/s on 2 cores give 1 / (1/3400 + s/320) >= 1,500 listings/s for s <= 0.12
(docs/benchmarks.md)."""


def choose_bands(
    fast: np.ndarray,
    categories: Sequence[str],
    *,
    band: tuple[float, float],
    max_share: float,
) -> dict[str, tuple[float, float]]:
    """Widest band, from ``band`` shrunk towards 0.5 in logit space, that routes <= ``max_share``."""

    def at(t: float) -> tuple[float, float]:
        lo, hi = logit(np.array(band)) * (1 - t)
        return float(1 / (1 + np.exp(-lo))), float(1 / (1 + np.exp(-hi)))

    def share(lo: float, hi: float) -> float:
        routed = np.zeros(len(fast), dtype=bool)
        for k in range(len(categories)):
            routed |= (fast[:, k] >= lo) & (fast[:, k] <= hi)
        return float(routed.mean()) if len(fast) else 0.0

    if share(*band) <= max_share:
        return {c: band for c in categories}
    ok, bad = 1.0, 0.0  # shrink factors: 1 routes (almost) nothing, 0 routes too much
    for _ in range(40):
        mid = (ok + bad) / 2
        if share(*at(mid)) <= max_share:
            ok = mid
        else:
            bad = mid
    return {c: at(ok) for c in categories}


def _combiner(X: np.ndarray, y: np.ndarray) -> LogisticRegression | None:
    pos = int(y.sum())
    if min(pos, len(y) - pos) < MIN_COMBINER_CLASS:
        return None
    return LogisticRegression(C=1.0, max_iter=1000).fit(X, y)


def fit_cascade(
    fast: FastTierModel,
    valid: Sequence[Listing],
    y_valid: np.ndarray,
    *,
    deep: TextScorer | None,
    calibration: str = "isotonic",
    band: tuple[float, float] = (0.02, 0.98),
    max_deep_share: float = DEFAULT_MAX_DEEP_SHARE,
    image_band: tuple[float, float] | None = (0.02, 0.98),
    image_scorer: ImageScorer | None = None,
    seed: int = 0,
    progress: Progress | None = None,
    deep_categories: Sequence[str] | None = None,
) -> CascadeFit:
    """``deep_categories``: the categories whose uncertain band goes to the deep tier and whose score
    it may change (None: all); the others keep the fast tier's score."""
    say = progress or (lambda _m: None)
    cats = fast.categories
    say(f"calibrating the fast tier ({calibration}) on {len(valid):,} validation rows")
    raw = fast.predict_scores(valid)
    calibrator = ScoreCalibrator(method=calibration).fit(raw, y_valid)
    f_va = cross_fit(lambda: ScoreCalibrator(method=calibration), raw, y_valid, seed=seed)
    if deep is None:
        model = CascadeModel(fast=fast, calibrator=calibrator)
        return CascadeFit(model, f_va, 0.0, 0.0)

    deep_cats = [c for c in cats if deep_categories is None or c in deep_categories]
    cols = [cats.index(c) for c in deep_cats]
    bands = choose_bands(f_va[:, cols], deep_cats, band=band, max_share=max_deep_share)
    model = CascadeModel(fast=fast, calibrator=calibrator, deep=deep, bands=bands, image_band=image_band)
    routed = model.route(f_va)
    idx = np.nonzero(routed)[0]
    say(f"deep tier on {len(idx):,} routed validation rows ({routed.mean():.1%})")
    d_va = np.full(raw.shape, np.nan)
    image = np.full(len(valid), np.nan)
    if len(idx):
        texts = [listing_text(valid[i].title, valid[i].description, valid[i].brand) for i in idx.tolist()]
        d_va[idx] = deep.predict_scores(texts)
    img_idx = np.nonzero(model.wants_image(f_va, routed))[0]
    if image_scorer is not None and len(img_idx):
        say(f"scoring images of {len(img_idx):,} validation listings in the adult band")
        for i, r in zip(
            img_idx, image_scorer.score_listings([valid[i].image_urls for i in img_idx.tolist()]), strict=True
        ):
            if r.score is not None:
                image[i] = r.score

    scores = f_va.copy()
    combiners: dict[str, LogisticRegression | None] = {}
    for k, cat in enumerate(cats):
        if cat not in deep_cats:
            combiners[cat] = None
            continue
        X = combiner_features(f_va[idx, k], d_va[idx, k], image[idx] if cat == ADULT else None)
        yk = y_valid[idx, k].astype(int)
        combiners[cat] = _combiner(X, yk)
        if combiners[cat] is None:
            continue
        oof = np.empty(len(idx))
        n_splits = min(5, int(yk.sum()), int(len(yk) - yk.sum()))
        for tr, te in StratifiedKFold(n_splits, shuffle=True, random_state=seed).split(X, yk):
            c = _combiner(X[tr], yk[tr]) or LogisticRegression(max_iter=1000).fit(X[tr], yk[tr])
            oof[te] = c.predict_proba(X[te])[:, 1]
        scores[idx, k] = oof
    model.combiners = combiners
    return CascadeFit(model, scores, float(routed.mean()), float(len(img_idx) / max(len(valid), 1)))
