"""The cascade: every listing gets the fast tier; only the uncertain ones pay for the deep tier.

A listing is *routed* when, for some category, its calibrated fast-tier score falls inside that
category's uncertainty band ``[lo, hi]`` (chosen on validation data so that only a bounded share of
traffic is routed). For a routed listing the deep text model scores it, and for the adult category
the listing's images too (open_nsfw, fetched with bounds); a small per-category logistic
combiner, fitted on held-out routed rows, turns (fast logit, deep logit, image score) into a
calibrated probability. Listings outside every band keep their calibrated fast-tier score, so
throughput stays near the fast tier's.

The deep model and the image scorer are optional: without a deep model the cascade is just the
calibrated fast tier; without an image scorer (none attached at run time, or every fetch failed)
the adult combiner is told the image is missing and the reasons say so. The image scorer does
I/O, so it is attached by the process that runs the model and never pickled with it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from sklearn.linear_model import LogisticRegression

from lovemachine.categories import ADULT
from lovemachine.classifiers.calibration import ScoreCalibrator, logit
from lovemachine.classifiers.fast import FastTierModel
from lovemachine.features.text import listing_text
from lovemachine.images import ImageScore, ImageScorer
from lovemachine.listings import Listing


class TextScorer(Protocol):
    categories: tuple[str, ...]

    def predict_scores(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray: ...


@dataclass
class CascadeOutput:
    """Everything the cascade computed for a batch, for decisions and their reasons."""

    scores: np.ndarray
    fast: np.ndarray
    routed: np.ndarray
    deep: np.ndarray
    image: np.ndarray
    notes: list[list[str]] = field(default_factory=list)

    @property
    def deep_share(self) -> float:
        return float(self.routed.mean()) if len(self.routed) else 0.0


def combiner_features(fast_k: np.ndarray, deep_k: np.ndarray, image: np.ndarray | None) -> np.ndarray:
    """Combiner inputs for one category: fast and deep logits, plus (adult) the image score and
    whether it is missing."""
    cols = [logit(fast_k), logit(deep_k)]
    if image is not None:
        missing = np.isnan(image)
        cols += [np.where(missing, 0.0, image), missing.astype(np.float64)]
    return np.column_stack(cols)


class CascadeModel:
    """Calibrated fast tier + (optionally) deep tier and images on the uncertain band."""

    def __init__(
        self,
        *,
        fast: FastTierModel,
        calibrator: ScoreCalibrator,
        deep: TextScorer | None = None,
        bands: Mapping[str, tuple[float, float]] | None = None,
        combiners: Mapping[str, LogisticRegression | None] | None = None,
        image_band: tuple[float, float] | None = None,
    ) -> None:
        self.fast = fast
        self.categories: tuple[str, ...] = fast.categories
        self.calibrator = calibrator
        self.deep = deep
        self.bands = dict(bands or {})
        self.combiners = dict(combiners or {})
        self.image_band = image_band
        self.image_scorer: ImageScorer | None = None
        self.novelty_threshold: float | None = None
        """Novelty above which a listing is unfamiliar and is reported instead of hidden (chosen on
        validation, ``lovemachine.classifiers.novelty``); None: no novelty check."""

    # --------------------------------------------------------------- run-time wiring
    def attach_image_scorer(self, scorer: ImageScorer | None) -> None:
        """Let the adult combiner see images (the process that runs the model owns the scorer)."""
        self.image_scorer = scorer

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["image_scorer"] = None  # I/O: never pickled with the model
        return state

    # --------------------------------------------------------------- inference
    def fast_scores(self, listings: Sequence[Listing]) -> np.ndarray:
        return self.calibrator.transform(self.fast.predict_scores(listings))

    def route(self, fast: np.ndarray) -> np.ndarray:
        """Which rows the deep tier must see: any category's calibrated score inside its band."""
        routed = np.zeros(len(fast), dtype=bool)
        if self.deep is None:
            return routed
        for k, cat in enumerate(self.categories):
            band = self.bands.get(cat)
            if band is not None:
                routed |= (fast[:, k] >= band[0]) & (fast[:, k] <= band[1])
        return routed

    def wants_image(self, fast: np.ndarray, routed: np.ndarray) -> np.ndarray:
        if self.image_band is None or ADULT not in self.categories:
            return np.zeros(len(fast), dtype=bool)
        a = fast[:, self.categories.index(ADULT)]
        return routed & (a >= self.image_band[0]) & (a <= self.image_band[1])

    def predict_detailed(self, listings: Sequence[Listing]) -> CascadeOutput:
        n, k = len(listings), len(self.categories)
        fast = self.fast_scores(listings) if n else np.zeros((0, k))
        scores = fast.copy()
        routed = self.route(fast)
        deep = np.full((n, k), np.nan)
        image = np.full(n, np.nan)
        notes: list[list[str]] = [[] for _ in range(n)]
        idx = np.nonzero(routed)[0]
        if len(idx) and self.deep is not None:
            texts = [
                listing_text(listings[i].title, listings[i].description, listings[i].brand)
                for i in idx.tolist()
            ]
            deep[idx] = self.deep.predict_scores(texts)
            img_idx = np.nonzero(self.wants_image(fast, routed))[0]
            if len(img_idx):
                self._score_images(listings, img_idx, image, notes)
            for j, cat in enumerate(self.categories):
                comb = self.combiners.get(cat)
                if comb is None:
                    continue
                X = combiner_features(fast[idx, j], deep[idx, j], image[idx] if cat == ADULT else None)
                scores[idx, j] = comb.predict_proba(X)[:, 1]
            for i in idx:
                notes[i].append(
                    "deep tier: "
                    + ", ".join(f"{c} {deep[i, j]:.3f}" for j, c in enumerate(self.categories))
                    + " (fast tier uncertain)"
                )
        return CascadeOutput(scores=scores, fast=fast, routed=routed, deep=deep, image=image, notes=notes)

    def _score_images(
        self, listings: Sequence[Listing], img_idx: np.ndarray, image: np.ndarray, notes: list[list[str]]
    ) -> None:
        if self.image_scorer is None:
            for i in img_idx:
                if listings[i].image_urls:
                    notes[i].append("adult: images not scored (no image scorer in this process)")
            return
        results: list[ImageScore] = self.image_scorer.score_listings(
            [listings[i].image_urls for i in img_idx.tolist()]
        )
        for i, r in zip(img_idx, results, strict=True):
            if r.score is not None:
                image[i] = r.score
                notes[i].append(f"adult: image score {r.score:.3f} (open_nsfw, {r.n_scored} image(s))")
            elif listings[i].image_urls:
                why = "; ".join(r.errors[:2]) or "no image could be scored"
                notes[i].append(f"adult: scored without images ({why})")

    def predict_scores(self, listings: Sequence[Listing]) -> np.ndarray:
        return self.predict_detailed(listings).scores

    def novelty(self, listings: Sequence[Listing]) -> np.ndarray:
        return self.fast.novelty(listings)

    def __setstate__(self, state: dict[str, Any]) -> None:
        state.setdefault("novelty_threshold", None)  # artifacts saved before novelty existed
        self.__dict__.update(state)

    def explain_batch(
        self, listings: Sequence[Listing], categories: Sequence[str], top: int = 3
    ) -> list[list[str]]:
        return self.fast.explain_batch(listings, categories, top=top)
