"""`make quality`: the default training recipe, judged on listings written by other people.

For each of three seeds this trains the model exactly as ``lovemachine train`` does by default
(``trainers.train.train``: the generator's rows plus the independently written corpus,
``trainers.sources``), scores the measure-only set C through the production decision path
(``Scorer``: thresholds, abstention, evidence; no CS rules) and prints, per category, mean ± sd over
the seeds: PR-AUC, hide precision, wrongful hides, recall of hide+report; then the clean listings
reported and hidden. Wrongful hides are listed by listing id only.

Set C is measure-only: this script prints aggregates and ids, never a row's text, and nothing in
the project is chosen by looking at its output row by row (``eval/data/README.md``).

    .venv/bin/python eval/quality.py                       # seeds 7 8 9, set C
    .venv/bin/python eval/quality.py --recipe generator    # the old default: the generator alone
    .venv/bin/python eval/quality.py --json var/quality.json
    git worktree add /tmp/before <commit> && cp trainers/quality.py /tmp/before/trainers/
    .venv/bin/python eval/quality.py --root /tmp/before --recipe generator   # the live model's code
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent.parent
TARGETS = {"hide_precision": 0.99, "acted_recall": 0.85, "pr_auc": 0.95, "clean_reported": 0.03}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", type=Path, default=HERE / "eval" / "data" / "handwritten_c.jsonl")
    ap.add_argument("--seeds", type=int, nargs="+", default=[7, 8, 9])
    ap.add_argument(
        "--n", type=int, default=30_000, help="synthetic listings per seed (as `lovemachine train`)"
    )
    ap.add_argument(
        "--recipe",
        choices=("default", "generator"),
        default="default",
        help="default: generator + written corpus; generator: the generator alone (the old default)",
    )
    ap.add_argument("--json", type=Path, help="also write every seed's numbers here")
    ap.add_argument(
        "--root",
        type=Path,
        default=HERE,
        help="checkout whose code trains and decides (an older commit's worktree: the live model's code; "
        "copy trainers/quality.py into it first)",
    )
    args = ap.parse_args()
    sys.path.insert(0, str(args.root.resolve()))
    runs = [_one_seed(args, seed) for seed in args.seeds]
    print(render(runs, args))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"recipe": args.recipe, "seeds": args.seeds, "runs": runs}, indent=1))


def _one_seed(args: argparse.Namespace, seed: int) -> dict[str, Any]:
    from lovemachine.listings.schema import parse_labelled
    from lovemachine.registry import LoadedModel
    from lovemachine.services.scoring import Scorer
    from synth import generate
    from trainers.dataset import Dataset, load_jsonl
    from trainers.quality import decision_quality
    from trainers.train import TrainConfig, train

    if args.recipe == "default":
        from trainers.sources import load_written

    t0 = time.perf_counter()
    say = lambda m: print(f"  seed {seed}: {m}", file=sys.stderr, flush=True)  # noqa: E731
    say(f"generating {args.n:,} synthetic listings")
    data = Dataset([parse_labelled(d) for d in generate(args.n, seed=seed)], sha256=f"synthetic-{seed}")
    if args.recipe == "default":
        result = train(data, TrainConfig(seed=seed), say, written=load_written())
    else:
        result = train(data, TrainConfig(seed=seed), say)
    rows = load_jsonl(args.set).rows
    scorer = Scorer(model=LoadedModel(f"quality-seed{seed}", result.model, result.policy, {}))
    q = decision_quality(rows, scorer.score([r.listing for r in rows]))
    q["seed"] = seed
    q["seconds"] = round(time.perf_counter() - t0, 1)
    say(f"done in {q['seconds']:.0f}s")
    return q


def _cell(values: list[float | None], fmt: str = ".3f") -> str:
    import numpy as np

    v = np.array([x for x in values if x is not None], dtype=float)
    if not len(v):
        return "–"
    return f"{v.mean():{fmt}} ± {v.std():{fmt}}" + (
        f" ({len(v)}/{len(values)})" if len(v) < len(values) else ""
    )


def render(runs: list[dict[str, Any]], args: argparse.Namespace) -> str:
    from lovemachine.categories import CATEGORIES

    seeds = " ".join(str(r["seed"]) for r in runs)
    lines = [
        f"Set C ({args.set.name}, {runs[0]['rows']} listings, {runs[0]['clean']} clean), recipe "
        f"'{args.recipe}', mean ± sd over seeds {seeds}",
        "",
        "| category | support | PR-AUC | hide precision | hides | wrongful hides | acted on (hide+report) "
        "| hidden |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for cat in CATEGORIES:
        m = [r["categories"][cat] for r in runs]
        lines.append(
            f"| {cat} | {m[0]['support']} | {_cell([x['pr_auc'] for x in m])} "
            f"| {_cell([x['hide_precision'] for x in m])} | {_cell([x['hides'] for x in m], '.1f')} "
            f"| {_cell([len(x['wrongful_hides']) for x in m], '.1f')} "
            f"| {_cell([x['acted_recall'] for x in m])} | {_cell([x['hide_recall'] for x in m])} |"
        )
    lines += [
        "",
        f"violations acted on: {_cell([r['violations_acted'] for r in runs])}; clean listings reported: "
        f"{_cell([r['clean_reported'] for r in runs])}; clean listings hidden: "
        f"{_cell([r['clean_hidden'] for r in runs])}; hides turned into reports (unfamiliar): "
        f"{_cell([r['abstained'] for r in runs], '.1f')}",
        "",
        "wrongful hides by seed (listing ids only):",
    ]
    for r in runs:
        wrong = {
            c: r["categories"][c]["wrongful_hides"]
            for c in CATEGORIES
            if r["categories"][c]["wrongful_hides"]
        }
        lines.append(
            f"  seed {r['seed']}: " + ("; ".join(f"{c}: {', '.join(v)}" for c, v in wrong.items()) or "none")
        )
    lines += [
        "",
        "targets (issue 11): "
        + ", ".join(f"{k} {'≤' if k == 'clean_reported' else '≥'} {v}" for k, v in TARGETS.items()),
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
