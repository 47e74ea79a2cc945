"""The fast tier: text heads (TF-IDF + logistic regression) stacked with LightGBM over tabular signals.

Every listing goes through this model, so prediction is vectorised: one shared TF-IDF transform, the
four logistic heads as a single sparse matrix product, and ``lightgbm.Booster.predict`` called
directly (the sklearn wrapper is ~15x slower on small batches). The stacker sees out-of-fold text
scores during training, so it learns how much to trust text against price and stuffing signals.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

import lightgbm as lgb
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from lovemachine.categories import CATEGORIES, COUNTERFEIT, KEYWORD_STUFFING
from lovemachine.classifiers.novelty import NoveltyModel
from lovemachine.features.brands import BrandLexicon
from lovemachine.features.lexicon import lexicon_matches
from lovemachine.features.tabular import PriceReference, TabularFeaturizer, known_brands
from lovemachine.features.text import _TOKEN, listing_text, readable_term, tokens
from lovemachine.listings import Listing

Progress = Callable[[str], None]


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -35, 35)))


class FastTierModel:
    """Per-category text heads + LightGBM stackers; scikit-learn conventions (params in ``__init__``,
    fitted attributes end in ``_``)."""

    def __init__(
        self,
        *,
        categories: Sequence[str] = CATEGORIES,
        C: float = 8.0,
        min_df: int = 2,
        max_features: int = 400_000,
        cv: int = 3,
        n_estimators: int = 250,
        learning_rate: float = 0.05,
        num_leaves: int = 31,
        random_state: int = 0,
    ) -> None:
        self.categories = tuple(categories)
        self.C = C
        self.min_df = min_df
        self.max_features = max_features
        self.cv = cv
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.random_state = random_state

    # ------------------------------------------------------------------ training
    def fit(
        self,
        listings: Sequence[Listing],
        y: np.ndarray,
        progress: Progress | None = None,
        *,
        sample_weight: np.ndarray | None = None,
        groups: Sequence[str | None] | None = None,
    ) -> FastTierModel:
        """``sample_weight``: per-row weight (per-source weights, ``trainers.sources``); default 1.

        ``groups``: who wrote each row (a writer or persona), ``None`` for rows of no known writer.
        The text heads' out-of-fold scores, which the stacker learns from, then keep each writer's
        rows in one fold: the stacker sees how far text scores hold on a writer the head never read
        (that is what new sellers are), not on more rows in a dialect it already knows."""
        say = progress or (lambda _msg: None)
        y = np.asarray(y, dtype=np.int8)
        if y.shape != (len(listings), len(self.categories)):
            raise ValueError(f"y must have shape ({len(listings)}, {len(self.categories)}), got {y.shape}")
        w = np.ones(len(listings)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        if w.shape != (len(listings),) or not np.all(np.isfinite(w)) or np.any(w < 0):
            raise ValueError(f"sample_weight must be {len(listings)} finite weights >= 0")
        texts = [listing_text(x.title, x.description, x.brand) for x in listings]
        self.lexicon_ = BrandLexicon(known_brands(listings))
        self.prices_ = PriceReference.fit(listings, clean=list(y.sum(axis=1) == 0), lexicon=self.lexicon_)
        self.tabular_ = TabularFeaturizer(self.lexicon_, self.prices_)
        say("vectorising text")
        self.vectorizer_ = TfidfVectorizer(
            analyzer=tokens,
            min_df=self.min_df,
            max_features=self.max_features,
            sublinear_tf=True,
            dtype=np.float32,
        )
        X = self.vectorizer_.fit_transform(texts)
        T = self.tabular_.transform(listings, texts)
        oof = np.zeros((len(listings), len(self.categories)), dtype=np.float32)
        coefs, intercepts = [], []
        fold_of = _writer_folds(groups, len(listings), self.cv, self.random_state) if groups else None
        for k, cat in enumerate(self.categories):
            say(f"text head: {cat}")
            oof[:, k], coef, intercept = self._text_head(X, y[:, k], w, fold_of)
            coefs.append(coef)
            intercepts.append(intercept)
        say("novelty: nearest training listings")
        self.novelty_ = NoveltyModel(random_state=self.random_state).fit(X)
        self.head_coef_ = np.asarray(coefs, dtype=np.float32).T  # (n_features, n_categories)
        self.head_intercept_ = np.asarray(intercepts, dtype=np.float32)
        Z = np.hstack([oof, T])
        self.boosters_: list[lgb.Booster] = []
        for k, cat in enumerate(self.categories):
            say(f"stacker: {cat}")
            params = self._stacker_params()
            data = lgb.Dataset(
                Z, label=y[:, k], weight=w, feature_name=self.feature_names_, free_raw_data=True
            )
            self.boosters_.append(lgb.train(params, data, num_boost_round=self.n_estimators))
        return self

    def _text_head(
        self, X: Any, yk: np.ndarray, w: np.ndarray, fold_of: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray, float]:
        """One category's TF-IDF logistic head: its out-of-fold scores (what the stacker learns from;
        folds by writer when ``fold_of`` is given), and its coefficients and intercept fitted on all
        rows. A category with no positives (or no negatives) gets a constant head."""
        oof = np.zeros(len(yk), dtype=np.float32)
        if 0 < yk.sum() < len(yk) and min(yk.sum(), len(yk) - yk.sum()) >= self.cv:
            if fold_of is not None:
                splits = [
                    (np.flatnonzero(fold_of != f), np.flatnonzero(fold_of == f)) for f in range(self.cv)
                ]
            else:
                folds = StratifiedKFold(self.cv, shuffle=True, random_state=self.random_state)
                splits = list(folds.split(X, yk))
            for tr, te in splits:
                if not 0 < yk[tr].sum() < len(tr):
                    oof[te] = yk[tr].mean() if len(tr) else 0.0
                    continue
                lr = self._logreg().fit(X[tr], yk[tr], sample_weight=w[tr])
                oof[te] = lr.predict_proba(X[te])[:, 1]
        head = self._logreg().fit(X, yk, sample_weight=w) if 0 < yk.sum() < len(yk) else None
        coef = head.coef_[0] if head is not None else np.zeros(X.shape[1])
        intercept = head.intercept_[0] if head is not None else (10.0 if yk.any() else -10.0)
        return oof, coef, intercept

    def _stacker_params(self) -> dict[str, Any]:
        return {
            "objective": "binary",
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "min_data_in_leaf": 20,
            "feature_fraction": 0.9,
            "bagging_fraction": 0.9,
            "bagging_freq": 1,
            "seed": self.random_state,
            "num_threads": 2,
            "verbose": -1,
        }

    def _logreg(self) -> LogisticRegression:
        return LogisticRegression(C=self.C, solver="liblinear", max_iter=200, random_state=self.random_state)

    @property
    def feature_names_(self) -> list[str]:
        return [f"text_{c}" for c in self.categories] + list(self.tabular_.names)

    # ------------------------------------------------------------------ inference
    def text_scores(self, texts: Sequence[str]) -> np.ndarray:
        X = self.vectorizer_.transform(texts)
        return _sigmoid(np.asarray(X @ self.head_coef_) + self.head_intercept_)

    def predict_scores(self, listings: Sequence[Listing]) -> np.ndarray:
        if not listings:
            return np.zeros((0, len(self.categories)), dtype=np.float64)
        texts = [listing_text(x.title, x.description, x.brand) for x in listings]
        X = self.vectorizer_.transform(texts).tocsr()
        T = self.tabular_.transform(listings, texts)
        self._batch().keep(listings, texts, X, T)
        text = _sigmoid(np.asarray(X @ self.head_coef_) + self.head_intercept_)
        Z = np.hstack([text, T])
        return np.column_stack([b.predict(Z) for b in self.boosters_])

    def _batch(self) -> _LastBatch:
        batch = self.__dict__.get("_last_batch")
        if batch is None:
            batch = self.__dict__.setdefault("_last_batch", _LastBatch())
        return batch

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.pop("_last_batch", None)  # per-thread scratch, never part of an artifact
        return state

    def _rows(
        self, listings: Sequence[Listing], *, tabular: bool
    ) -> tuple[list[str], Any, np.ndarray | None]:
        """Texts, TF-IDF rows and (if ``tabular``) tabular rows of ``listings``: taken from the batch
        ``predict_scores`` just computed on this thread when every listing is one of its objects (the
        scorer's novelty and explanations run on subsets of that batch), else computed."""
        hit = self._batch().take(listings, tabular=tabular)
        if hit is not None:
            return hit
        texts = [listing_text(x.title, x.description, x.brand) for x in listings]
        X = self.vectorizer_.transform(texts).tocsr()
        return texts, X, self.tabular_.transform(listings, texts) if tabular else None

    def novelty(self, listings: Sequence[Listing]) -> np.ndarray:
        """How unlike the training listings each listing is (``NoveltyModel``); NaN for a model
        trained before novelty existed."""
        if not hasattr(self, "novelty_"):
            return np.full(len(listings), np.nan)
        if not listings:
            return np.zeros(0)
        _, X, _ = self._rows(listings, tabular=False)
        return self.novelty_.score(X)

    def explain_features(self, listing: Listing) -> dict[str, float]:
        """The tabular signals for one listing, by name (used in reasons)."""
        text = listing_text(listing.title, listing.description, listing.brand)
        row = self.tabular_.transform([listing], [text])[0]
        return dict(zip(self.tabular_.names, (float(v) for v in row), strict=True))

    def explain(self, listing: Listing, category: str, top: int = 3) -> list[str]:
        """Human-readable evidence for one category: strongest text terms and tabular signals."""
        return self.explain_batch([listing], [category], top=top)[0]

    def explain_batch(
        self, listings: Sequence[Listing], categories: Sequence[str], top: int = 3
    ) -> list[list[str]]:
        """Evidence for many (listing, category) pairs with one vectoriser and one tabular pass."""
        if not listings:
            return []
        texts, X, T = self._rows(listings, tabular=True)
        assert T is not None
        if not hasattr(self, "terms_"):
            self.terms_ = self.vectorizer_.get_feature_names_out()
        idx = {name: i for i, name in enumerate(self.tabular_.names)}
        out: list[list[str]] = []
        for r, category in enumerate(categories):
            k = self.categories.index(category)
            lo, hi = X.indptr[r], X.indptr[r + 1]
            cols, vals = X.indices[lo:hi], X.data[lo:hi] * self.head_coef_[X.indices[lo:hi], k]
            evidence: list[str] = []
            if len(vals):
                whole = set(_TOKEN.findall(texts[r]))
                order = np.argsort(-vals)
                terms: list[str] = []
                for i in order:
                    if vals[i] <= 0.05 or len(terms) == top:
                        break
                    term = readable_term(str(self.terms_[cols[i]]), whole)
                    if term is not None and term not in terms:
                        terms.append(term)
                if terms:
                    evidence.append(f"{category}: words " + ", ".join(repr(t) for t in terms))
            policy_terms = [t for t in lexicon_matches(texts[r]).get(category, []) if len(t) >= 2]
            if policy_terms:
                evidence.append(f"{category}: policy terms " + ", ".join(repr(t) for t in policy_terms[:top]))
            row = T[r]
            if category == COUNTERFEIT:
                evidence.extend(_price_evidence(row, idx))
            if category == KEYWORD_STUFFING and row[idx["n_distinct_brands"]] >= 5:
                evidence.append(
                    f"{category}: text names {int(row[idx['n_distinct_brands']])} distinct brands"
                )
            if category == KEYWORD_STUFFING and row[idx["n_hashtags"]] >= 8:
                evidence.append(f"{category}: {int(row[idx['n_hashtags']])} hashtags")
            out.append(evidence)
        return out


def _price_evidence(row: np.ndarray, idx: dict[str, int]) -> list[str]:
    """A price far below the brand's usual price, or below the cheapest genuine item it names."""
    out = []
    if row[idx["has_brand_reference"]] and row[idx["brand_price_ratio"]] < -1.2:
        pct = 100 * float(np.exp(row[idx["brand_price_ratio"]]))
        out.append(f"{COUNTERFEIT}: price is {pct:.0f}% of the brand's usual price")
    floor = float(row[idx["luxury_floor_ratio"]])
    if np.isfinite(floor) and floor < -1.0:
        out.append(
            f"{COUNTERFEIT}: price is {100 * np.exp(floor):.0f}% of the cheapest genuine item it names"
        )
    return out


def _writer_folds(groups: Sequence[str | None], n: int, cv: int, seed: int) -> np.ndarray:
    """Fold of each row: a writer's rows share one fold (writers dealt round-robin in a seeded
    order, so folds get similar numbers of writers); rows of no known writer are spread at random."""
    if len(groups) != n:
        raise ValueError(f"groups must name {n} rows, got {len(groups)}")
    rng = np.random.default_rng(seed)
    fold = rng.integers(0, cv, size=n)
    writers = sorted({g for g in groups if g})
    order = rng.permutation(len(writers))
    where = {writers[j]: i % cv for i, j in enumerate(order)}
    for i, g in enumerate(groups):
        if g:
            fold[i] = where[g]
    return fold


class _LastBatch(threading.local):
    """The last batch ``predict_scores`` vectorised on this thread, so that the novelty score and the
    explanations of its flagged listings reuse its rows instead of tokenising them again (a third of
    the scoring time went to vectorising the same listings three times). Listings are matched by
    object identity; the batch's list is held, so no id is reused while it is kept."""

    def __init__(self) -> None:
        self.listings: Sequence[Listing] = ()
        self.row: dict[int, int] = {}
        self.texts: list[str] = []
        self.X: Any = None
        self.T: np.ndarray | None = None

    def keep(self, listings: Sequence[Listing], texts: list[str], X: Any, T: np.ndarray) -> None:
        self.listings, self.texts, self.X, self.T = listings, texts, X, T
        self.row = {id(x): i for i, x in enumerate(listings)}

    def take(
        self, listings: Sequence[Listing], *, tabular: bool
    ) -> tuple[list[str], Any, np.ndarray | None] | None:
        rows = [self.row.get(id(x)) for x in listings]
        if not rows or any(
            r is None or self.listings[r] is not x for r, x in zip(rows, listings, strict=True)
        ):
            return None
        idx = np.asarray(rows)
        T = self.T[idx] if tabular and self.T is not None else None
        return [self.texts[r] for r in idx], self.X[idx], T
