"""How unfamiliar a listing is to the model: distance to its nearest training listings.

A classifier's score says nothing about whether the listing resembles anything it learned from;
on text unlike its training data a model is often *most* confident (issue 11: a yukata hidden as
adult at .99 on two character bigrams). So before a hide the system asks a second, independent
question: are there training listings like this one? The answer is a k-nearest-neighbour distance in
a low-rank view of the fast tier's TF-IDF space (truncated SVD; the dot product of projections of
unit-length rows, which approximates their cosine): ``1 - mean similarity of the k nearest training
listings``, 0 for a listing just like many seen, towards 1 for one unlike any.

The threshold above which a listing counts as unfamiliar is chosen on validation listings (which
the model did not learn from, written by the same sources), as a high quantile of their novelty:
by construction few in-distribution listings exceed it, and listings from elsewhere exceed it more
often. Only listings about to be hidden are scored, so its cost does not touch the hot path.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.decomposition import TruncatedSVD
from sklearn.preprocessing import normalize


class NoveltyModel:
    """kNN cosine distance in an SVD projection of sparse text features (scikit-learn conventions)."""

    def __init__(
        self, *, n_components: int = 128, k: int = 5, max_rows: int = 20_000, random_state: int = 0
    ) -> None:
        self.n_components = n_components
        self.k = k
        self.max_rows = max_rows
        self.random_state = random_state

    def fit(self, X: Any) -> NoveltyModel:
        """``X``: the training rows' sparse TF-IDF matrix (a sample of ``max_rows`` is kept)."""
        n = X.shape[0]
        if n <= self.k:
            raise ValueError(f"need more than k={self.k} training rows, got {n}")
        rng = np.random.default_rng(self.random_state)
        idx = np.sort(rng.choice(n, self.max_rows, replace=False)) if n > self.max_rows else np.arange(n)
        dims = max(1, min(self.n_components, X.shape[1] - 1, len(idx) - 1))
        self.svd_ = TruncatedSVD(dims, random_state=self.random_state).fit(X[idx])
        self.train_ = self._embed(X[idx])
        return self

    def _embed(self, X: Any) -> np.ndarray:
        # Rows of X are unit-length TF-IDF vectors; their projections are *not* re-normalised, so
        # the dot product approximates the full cosine. A listing unlike the training data keeps
        # little of its length in the training data's subspace, and so stays far from everything;
        # re-normalising would blow its small residue up into a confident direction.
        return np.asarray(self.svd_.transform(normalize(X)), dtype=np.float32)

    def score(self, X: Any, *, batch: int = 512) -> np.ndarray:
        """Novelty in [0, 2] per row (1 - mean cosine similarity of the k nearest training rows)."""
        out = np.empty(X.shape[0], dtype=np.float64)
        k = min(self.k, len(self.train_))
        for lo in range(0, X.shape[0], batch):
            sims = self._embed(X[lo : lo + batch]) @ self.train_.T
            top = np.partition(sims, -k, axis=1)[:, -k:]
            out[lo : lo + batch] = 1.0 - top.mean(axis=1)
        return out


def novelty_threshold(valid_novelty: np.ndarray, quantile: float = 0.98) -> float:
    """The novelty above which a listing is unfamiliar: the ``quantile`` of validation listings'."""
    if not (0.5 <= quantile <= 1.0):
        raise ValueError(f"quantile must lie in [0.5, 1], got {quantile}")
    v = np.asarray(valid_novelty, dtype=np.float64)
    return float(np.quantile(v, quantile)) if len(v) else float("inf")
