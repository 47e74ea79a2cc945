"""Fast-tier quality on the hand-written sets, over several generator seeds (mean ± sd of PR-AUC).

One training run says little on a few dozen positives per category: between generator seeds the
same code moves by several points. Compare code by this, not by one run::

    .venv/bin/python eval/seeds.py                         # this checkout, seeds 7 8 9
    git worktree add /tmp/before <commit>                  # an older commit, same sets
    .venv/bin/python eval/seeds.py --root /tmp/before --sets-from .

Each seed: 20,000 synthetic listings, the first 17,000 train, the rest choose calibration and
thresholds (``trainers.train.fit``); the hand-written sets are only scored.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main() -> None:
    here = Path(__file__).resolve().parent.parent
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", type=Path, default=here, help="checkout whose code trains (default: this one)")
    ap.add_argument("--sets-from", type=Path, default=here, help="checkout holding eval/data/")
    ap.add_argument("--seeds", type=int, nargs="+", default=[7, 8, 9])
    ap.add_argument("--n", type=int, default=20_000, help="synthetic listings per seed")
    ap.add_argument("--sets", nargs="+", default=["handwritten", "handwritten_b"])
    args = ap.parse_args()
    sys.path.insert(0, str(args.root.resolve()))

    import numpy as np
    from sklearn.metrics import average_precision_score

    from lovemachine.categories import CATEGORIES
    from lovemachine.listings.schema import parse_labelled
    from synth import generate
    from trainers.dataset import load_jsonl
    from trainers.train import TrainConfig, fit

    sets = {n: load_jsonl(args.sets_from / "eval" / "data" / f"{n}.jsonl").rows for n in args.sets}
    results: dict[str, list[list[float]]] = {n: [] for n in sets}
    n_train = int(args.n * 0.85)
    for seed in args.seeds:
        print(f"seed {seed}: generating and training on {n_train:,} listings", file=sys.stderr, flush=True)
        rows = [parse_labelled(d) for d in generate(args.n, seed=seed)]
        fitted = fit(rows[:n_train], rows[n_train:], TrainConfig(deep=False, seed=seed))
        for name, data in sets.items():
            y = np.array([r.label_vector() for r in data])
            s = fitted.model.predict_scores([r.listing for r in data])
            pr_auc = [float(average_precision_score(y[:, k], s[:, k])) for k in range(len(CATEGORIES))]
            results[name].append(pr_auc)
    print(f"PR-AUC, mean ± sd over seeds {' '.join(map(str, args.seeds))} (code: {args.root})")
    print("| set | " + " | ".join(CATEGORIES) + " |")
    print("|---|" + "---|" * len(CATEGORIES))
    for name, values in results.items():
        v = np.array(values)
        cells = " | ".join(f"{m:.3f} ± {sd:.3f}" for m, sd in zip(v.mean(0), v.std(0), strict=True))
        print(f"| {name} | {cells} |")


if __name__ == "__main__":
    main()
