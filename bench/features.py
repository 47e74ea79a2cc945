"""Feature benchmark: what the tabular feature sets cost per listing, measured in one run.

Feature set 2 (keyword stuffing against honest bundle lots: brand spans, gaps between them, bundle
words) runs on every listing in the fast tier. This times ``TabularFeaturizer.transform`` with set 1
(the baseline, what older artifacts compute) and set 2 on the same unseen listings, interleaved for
``--rounds`` rounds so machine noise hits both alike, and the fast tier's whole ``predict_scores``
once per round for scale.

    .venv/bin/python -m bench.features            # ~1 minute on 2 cores
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path
from statistics import median

from lovemachine.features.brands import BrandLexicon
from lovemachine.features.tabular import PriceReference, TabularFeaturizer
from lovemachine.features.text import listing_text
from lovemachine.listings import parse_labelled
from synth import generate


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=10_000, help="unseen listings per pass")
    ap.add_argument("--rounds", type=int, default=5, help="interleaved rounds")
    ap.add_argument("--out", type=Path, default=Path("var/bench/features.json"))
    args = ap.parse_args()

    rows = [parse_labelled(d) for d in generate(args.n, seed=123, id_prefix="B")]
    listings = [r.listing for r in rows]
    texts = [listing_text(x.title, x.description, x.brand) for x in listings]
    lexicon = BrandLexicon()
    prices = PriceReference.fit(listings, [not any(r.label_vector()) for r in rows], lexicon)
    featurizers = {}
    for fs in (1, 2):
        f = TabularFeaturizer(lexicon, prices)
        f.feature_set = fs
        featurizers[fs] = f
    featurizers[1].transform(listings[:100], texts[:100])  # warm the automata and regexes
    times: dict[int, list[float]] = {1: [], 2: []}
    for _ in range(args.rounds):
        for fs in (1, 2):
            t0 = time.perf_counter()
            featurizers[fs].transform(listings, texts)
            times[fs].append(time.perf_counter() - t0)
    result = {
        "machine": f"{platform.node()} ({os.cpu_count()} CPUs, {platform.processor() or platform.machine()})",
        "n": args.n,
        "rounds": args.rounds,
        "listings_per_s": {f"set {fs}": round(args.n / median(t)) for fs, t in times.items()},
        "us_per_listing": {f"set {fs}": round(1e6 * median(t) / args.n, 1) for fs, t in times.items()},
        "seconds": {f"set {fs}": [round(x, 3) for x in t] for fs, t in times.items()},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print("| tabular features | listings/s (median) | µs per listing |")
    print("|---|---:|---:|")
    for fs in (1, 2):
        rate, us = result["listings_per_s"][f"set {fs}"], result["us_per_listing"][f"set {fs}"]
        print(f"| set {fs} | {rate:,} | {us} |")
    print(f"\n{args.n:,} unseen listings, {args.rounds} interleaved rounds, {result['machine']}")


if __name__ == "__main__":
    main()
