"""Development check without touching set C: leave one writer of the training corpus out.

Set C is measure-only, so design choices (source weights, the novelty quantile) are compared here
instead: train on the generator plus the written corpus *without* one writer's rows, then judge the
decisions on that writer's rows — text by someone the model never read, as C is. Prints the same
table as ``eval/quality.py``.

    .venv/bin/python eval/dev_writers.py --writers T3 T4 --n 12000
    .venv/bin/python eval/dev_writers.py --written-weight 8 --novelty-quantile 0.95
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--writers", nargs="+", default=["T1", "T2", "T3", "T4"])
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--n", type=int, default=12_000)
    ap.add_argument("--written-weight", type=float, default=None)
    ap.add_argument("--novelty-quantile", type=float, default=None)
    ap.add_argument("--report-precision", type=float, default=None)
    ap.add_argument(
        "--feature-set",
        type=int,
        default=None,
        help="tabular feature set (1: before the bundle-lot features)",
    )
    ap.add_argument(
        "--corpora", type=int, default=None, help="use only the first N written corpora (trainers.sources)"
    )
    ap.add_argument("--folds-by-writer", action="store_true", help="text-head folds keep writers whole")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    sys.path.insert(0, str(HERE))
    sys.path.insert(0, str(HERE / "eval"))
    from quality import render

    runs = [_one(args, w) for w in args.writers]
    for r, w in zip(runs, args.writers, strict=True):
        r["seed"] = w
    ns = argparse.Namespace(set=Path("leave-one-writer-out"), recipe=_label(args))
    print(render(runs, ns))
    if args.json:
        args.json.write_text(json.dumps({"args": vars(args) | {"json": str(args.json)}, "runs": runs}))


def _label(args: argparse.Namespace) -> str:
    return (
        f"written weight {args.written_weight or 'default'}, novelty quantile "
        f"{args.novelty_quantile or 'default'}, report precision {args.report_precision or 'default'}, "
        f"feature set {args.feature_set or 'default'}, corpora {args.corpora or 'all'}, "
        f"folds by writer {args.folds_by_writer}"
    )


def _one(args: argparse.Namespace, writer: str) -> dict[str, Any]:
    from dataclasses import replace

    from lovemachine.features import tabular
    from lovemachine.listings.schema import parse_labelled
    from lovemachine.registry import LoadedModel
    from lovemachine.services.scoring import Scorer
    from synth import generate
    from trainers.dataset import Dataset
    from trainers.quality import decision_quality
    from trainers.sources import GENERATED, WRITTEN, WRITTEN_PATHS, load_written
    from trainers.train import TrainConfig, train

    if args.feature_set is not None:
        tabular.FEATURE_SET = args.feature_set
    t0 = time.perf_counter()
    parts = load_written(WRITTEN_PATHS[: args.corpora] if args.corpora else WRITTEN_PATHS)

    def keep(rows: list[Any]) -> list[Any]:
        return [r for r in rows if not r.listing.id.startswith(writer + "-")]

    every = load_written()  # the held-out writer may be in a corpus this variant does not train on
    held = [r for r in every.train + every.valid + every.regression if r.listing.id.startswith(writer + "-")]
    written = replace(parts, train=keep(parts.train), valid=keep(parts.valid), regression=[])
    data = Dataset([parse_labelled(d) for d in generate(args.n, seed=args.seed)], sha256="dev")
    config = TrainConfig(seed=args.seed)
    if args.novelty_quantile is not None:
        config = replace(config, novelty_quantile=args.novelty_quantile)
    if args.folds_by_writer:
        config = replace(config, folds_by_writer=True)
    if args.report_precision is not None:
        config = replace(config, report_precision=args.report_precision)
    weights = {GENERATED: 1.0, WRITTEN: args.written_weight} if args.written_weight else None
    say = lambda m: print(f"  {writer}: {m}", file=sys.stderr, flush=True)  # noqa: E731
    result = train(data, config, say, written=written, source_weights=weights)
    scorer = Scorer(model=LoadedModel(f"dev-{writer}", result.model, result.policy, {}))
    q = decision_quality(held, scorer.score([r.listing for r in held]))
    q["seconds"] = round(time.perf_counter() - t0, 1)
    say(f"done in {q['seconds']:.0f}s")
    return q


if __name__ == "__main__":
    main()
