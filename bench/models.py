"""Model benchmark: training time and scoring throughput of the fast tier and the full cascade.

Measured in one run, on the same machine, so the figures can be compared with each other:

* **baseline**: the RECIPES reference — character 2-4-gram TF-IDF (scikit-learn's own analyzer)
  with four logistic heads, scoring at batch 256;
* **fast tier**: the shipped model (shared tokens + Sudachi words, four text heads, LightGBM
  stackers over tabular features, calibration) at batch 256 — target >= 3,000 listings/s;
* **cascade**: the fast tier plus the deep tier on its uncertain band and open_nsfw on the adult
  band (images served by the local synthetic image host) — target >= 1,500 listings/s, with the
  share of listings that reached the deep tier;
* **training**: all four categories on N labelled listings (default 100,000; deep tier excluded,
  target < 10 minutes) and, separately, the deep tier on its capped training set.

Run with ``make bench-models`` (``python -m bench.models --help``). Prints Markdown and writes
``var/bench/models.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from lovemachine.categories import CATEGORIES
from lovemachine.features.text import listing_text
from lovemachine.listings import LabelledListing, Listing, parse_labelled
from synth import generate
from trainers.dataset import Dataset
from trainers.train import TrainConfig, train


def rows(n: int, seed: int, prefix: str, image_host: str | None = None) -> list[LabelledListing]:
    kw: dict[str, Any] = {"image_host": image_host} if image_host else {}
    return [parse_labelled(d) for d in generate(n, seed=seed, id_prefix=prefix, **kw)]


def throughput(score: Any, listings: list[Listing], batch: int = 256, repeats: int = 2) -> float:
    """Best of ``repeats`` passes, listings/s."""
    best = 0.0
    for _ in range(repeats):
        t0 = time.perf_counter()
        for i in range(0, len(listings), batch):
            score(listings[i : i + batch])
        best = max(best, len(listings) / (time.perf_counter() - t0))
    return best


def char_ngram_baseline(train_rows: list[LabelledListing]) -> Any:
    """The reference scorer: char 2-4-gram TF-IDF, four logistic heads; returns its score function."""
    texts = [listing_text(r.listing.title, r.listing.description, r.listing.brand) for r in train_rows]
    y = np.array([r.label_vector() for r in train_rows])
    vec = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 4), min_df=2, sublinear_tf=True, max_features=400_000
    )
    X = vec.fit_transform(texts)
    heads = [LogisticRegression(C=8.0, solver="liblinear").fit(X, y[:, k]) for k in range(len(CATEGORIES))]
    W = np.column_stack([h.coef_[0] for h in heads])
    b = np.array([h.intercept_[0] for h in heads])

    def score(batch: list[Listing]) -> np.ndarray:
        Xb = vec.transform([listing_text(x.title, x.description, x.brand) for x in batch])
        return 1 / (1 + np.exp(-(Xb @ W + b)))

    return score


def interleaved(scorers: dict[str, Any], listings: list[Listing], rounds: int) -> dict[str, float]:
    """Best listings/s of each scorer over ``rounds`` rounds, the scorers taking turns in each round,
    so that all of them meet the same load on a shared machine."""
    best = dict.fromkeys(scorers, 0.0)
    for r in range(rounds):
        for name, score in scorers.items():
            best[name] = max(best[name], throughput(score, listings, repeats=1))
        print(f"  round {r + 1}/{rounds}: " + ", ".join(f"{k} {v:,.0f}/s" for k, v in best.items()))
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train-n", type=int, default=100_000, help="labelled listings for the training run")
    ap.add_argument("--cascade-train-n", type=int, default=20_000, help="listings for the cascade model")
    ap.add_argument("--score-n", type=int, default=10_240, help="unseen listings scored per pass")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of interleaved throughput passes")
    ap.add_argument("--skip-big-train", action="store_true", help="skip the N-listing training run")
    ap.add_argument("--out", type=Path, default=Path("var/bench/models.json"))
    args = ap.parse_args()
    from lovemachine.adapters.images import NsfwImageScorer
    from lovemachine.adapters.images_fetch import ImageFetcher
    from synth.image_host import SyntheticImageHost
    from synth.images import image_kind

    results: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "date": time.strftime("%Y-%m-%d"),
        "command": "python -m bench.models "
        + " ".join(
            f"--{k.replace('_', '-')} {v}"
            for k, v in vars(args).items()
            if k not in ("out", "skip_big_train")
        ),
    }
    kinds: dict[str, str] = {}
    with SyntheticImageHost(kinds) as host:
        print(f"generating {args.cascade_train_n:,} + {args.score_n:,} listings (images on {host.base_url})")
        train_rows = rows(args.cascade_train_n, 1, "T", host.base_url)
        test_rows = rows(args.score_n, 2, "S", host.base_url)
        for r in train_rows + test_rows:
            kinds[r.listing.id] = image_kind(r.labels, r.listing.id)
        test = [r.listing for r in test_rows]

        print("baseline: char 2-4-gram TF-IDF + 4 logistic heads")
        baseline = char_ngram_baseline(train_rows)

        print("fast tier (no deep tier)")
        fast = train(Dataset(rows=train_rows, sha256="0" * 64), TrainConfig())
        results["fast_train_seconds"] = round(fast.train_seconds, 1)

        print("cascade (deep tier + images)")
        local = [host.base_url.removeprefix("http://")]  # the allow-list: fetched although local
        scorer = NsfwImageScorer(fetcher=ImageFetcher(allowed_hosts=local))
        t0 = time.perf_counter()
        cascade = train(
            Dataset(rows=train_rows, sha256="0" * 64), TrainConfig(deep=True), image_scorer=scorer
        )
        results["cascade_train_seconds"] = round(time.perf_counter() - t0, 1)
        model: Any = cascade.model
        model.attach_image_scorer(scorer)
        shares = [model.predict_detailed(test[i : i + 256]) for i in range(0, len(test), 256)]
        results["cascade_deep_share"] = round(float(np.mean(np.concatenate([s.routed for s in shares]))), 4)
        results["cascade_image_share"] = round(
            float(np.mean(np.concatenate([~np.isnan(s.image) for s in shares]))), 4
        )
        results["cascade_test_metrics"] = cascade.metrics["test"]
        deep = model.deep
        routed = np.concatenate([s.routed for s in shares])
        routed_texts = [
            listing_text(x.title, x.description, x.brand) for x, r in zip(test, routed, strict=True) if r
        ]

        print(f"scoring {len(test):,} unseen listings, batch 256, the scorers taking turns")
        speeds = interleaved(
            {"baseline": baseline, "fast": fast.model.predict_scores, "cascade": model.predict_scores},
            test,
            args.rounds,
        )
        results["baseline_char_ngram_per_s"] = round(speeds["baseline"])
        results["fast_tier_per_s"] = round(speeds["fast"])
        results["cascade_per_s"] = round(speeds["cascade"])
        if routed_texts:
            t0 = time.perf_counter()
            deep.predict_scores(routed_texts)
            results["deep_routed_per_s"] = round(len(routed_texts) / (time.perf_counter() - t0))

    if not args.skip_big_train:
        print(f"training all four categories on {args.train_n:,} listings (deep tier excluded)")
        big = rows(args.train_n, 3, "B")
        t0 = time.perf_counter()
        big_result = train(
            Dataset(rows=big, sha256="0" * 64), TrainConfig(), progress=lambda m: print("  ", m)
        )
        results["train_n"] = args.train_n
        results["train_seconds"] = round(time.perf_counter() - t0, 1)
        results["train_test_metrics"] = big_result.metrics["test"]

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    r, n_c = results, f"{args.cascade_train_n:,}"
    table = [
        ("baseline: char 2-4-gram TF-IDF + 4 heads, batch 256", f"{r['baseline_char_ngram_per_s']:,}/s", "—"),
        ("fast tier, batch 256", f"{r['fast_tier_per_s']:,} listings/s", "≥ 3,000"),
        ("cascade, batch 256", f"{r['cascade_per_s']:,} listings/s", "≥ 1,500"),
        ("share reaching the deep tier", f"{r['cascade_deep_share']:.1%}", "—"),
        ("deep tier alone, on the routed listings", f"{r.get('deep_routed_per_s', 0):,} listings/s", "—"),
        ("share whose images were scored", f"{r['cascade_image_share']:.1%}", "—"),
        (f"training, fast tier, {n_c} listings", f"{r['fast_train_seconds']} s", "—"),
        (f"training, cascade incl. deep tier, {n_c} listings", f"{r['cascade_train_seconds']} s", "—"),
    ]
    if "train_seconds" in r:
        table.append(
            (
                f"training, all four categories, {r['train_n']:,} listings",
                f"{r['train_seconds']} s",
                "< 600 s",
            )
        )
    print("\n| measurement | value | target |\n|---|---|---|")
    for row in table:
        print("| " + " | ".join(row) + " |")
    print(f"machine: {results['machine']}; written to {args.out}")


if __name__ == "__main__":
    main()
