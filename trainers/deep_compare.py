"""Which deep-tier backbone: train each on the same synthetic rows, score the same held-out rows.

Run ``python -m trainers.deep_compare --train-n 8000 --test-n 2000``. Training and held-out rows
come from different generator seeds. Reported per backbone: PR-AUC per category on Japanese
(locale ``ja-JP``) and English held-out rows, training time, and inference listings/s at batch 64
(float32 and dynamic int8). The fast tier's text heads, fitted on the same rows, are a reference
line. Results go to ``<out>.json`` and ``<out>.md``; ``docs/deep_tier.md`` records a run.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import average_precision_score

from lovemachine.categories import CATEGORIES
from lovemachine.classifiers.fast import FastTierModel
from lovemachine.features.text import listing_text
from lovemachine.listings import LabelledListing, parse_labelled
from synth import generate


@dataclass(frozen=True)
class Rows:
    listings: list[LabelledListing]
    texts: list[str]
    y: np.ndarray
    ja: np.ndarray


def load_rows(n: int, seed: int) -> Rows:
    rows = [parse_labelled(json.dumps(d)) for d in generate(n, seed=seed)]
    return Rows(
        listings=rows,
        texts=[listing_text(r.listing.title, r.listing.description, r.listing.brand) for r in rows],
        y=np.array([r.label_vector() for r in rows], dtype=np.int8).reshape(-1, len(CATEGORIES)),
        ja=np.array([r.listing.locale == "ja-JP" for r in rows], dtype=bool),
    )


def pr_auc_by_language(y: np.ndarray, scores: np.ndarray, ja: np.ndarray) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for lang, mask in (("ja", ja), ("en", ~ja)):
        out[lang] = {
            c: round(float(average_precision_score(y[mask, k], scores[mask, k])), 4)
            if y[mask, k].any()
            else None
            for k, c in enumerate(CATEGORIES)
        }
        out[lang]["support"] = {c: int(y[mask, k].sum()) for k, c in enumerate(CATEGORIES)}
        out[lang]["rows"] = int(mask.sum())
    return out


def _rate(fn: Any, texts: Sequence[str]) -> tuple[np.ndarray, float]:
    t0 = time.perf_counter()
    scores = fn(texts)
    return scores, len(texts) / (time.perf_counter() - t0)


def run_backbone(backbone: str, train: Rows, test: Rows, *, epochs: int, max_length: int) -> dict[str, Any]:
    from lovemachine.adapters.torch_text import DeepTextClassifier

    def say(msg: str) -> None:
        if "step" not in msg or msg.split("step ")[1].split("/")[0] == msg.split("/")[-1].split(" ")[0]:
            print(f"  {msg}", flush=True)  # the last step of each epoch

    model = DeepTextClassifier(backbone=backbone, epochs=epochs, max_length=max_length, quantize=False)
    model.fit(train.texts, train.y, progress=say)
    scores, rate = _rate(lambda t: model.predict_scores(t, batch_size=64), test.texts)
    model.quantize = True
    model.predict_scores(test.texts[:64])  # quantise outside the timed call
    q_scores, q_rate = _rate(lambda t: model.predict_scores(t, batch_size=64), test.texts)
    return {
        "model": backbone,
        "epochs": epochs,
        "max_length": max_length,
        "train_seconds": round(model.train_seconds_, 1),
        "train_rows_per_s": round(len(train.texts) * epochs / model.train_seconds_, 1),
        "loss_curve": [round(v, 4) for v in model.loss_curve_],
        "infer_per_s_b64": round(rate, 1),
        "infer_per_s_b64_int8": round(q_rate, 1),
        "pr_auc": pr_auc_by_language(test.y, scores, test.ja),
        "pr_auc_int8": pr_auc_by_language(test.y, q_scores, test.ja),
    }


def run_fast_text_heads(train: Rows, test: Rows) -> dict[str, Any]:
    t0 = time.perf_counter()
    fast = FastTierModel().fit([r.listing for r in train.listings], train.y)
    secs = time.perf_counter() - t0
    scores, rate = _rate(fast.text_scores, test.texts)
    return {
        "model": "fast tier text heads (reference)",
        "train_seconds": round(secs, 1),
        "infer_per_s_b64": round(rate, 1),
        "pr_auc": pr_auc_by_language(test.y, scores, test.ja),
    }


def markdown(results: Sequence[dict[str, Any]]) -> str:
    head = "| model | lang | " + " | ".join(CATEGORIES) + " | train s | listings/s b64 (int8) |"
    lines = [head, "|" + "---|" * (len(CATEGORIES) + 4)]
    for r in results:
        for lang in ("ja", "en"):
            aucs = " | ".join(
                "—" if r["pr_auc"][lang][c] is None else f"{r['pr_auc'][lang][c]:.3f}" for c in CATEGORIES
            )
            speed = f"{r['infer_per_s_b64']:,.0f}"
            if "infer_per_s_b64_int8" in r:
                speed += f" ({r['infer_per_s_b64_int8']:,.0f})"
            lines.append(f"| {r['model']} | {lang} | {aucs} | {r['train_seconds']:,.0f} | {speed} |")
    sup = results[0]["pr_auc"] if results else None
    if sup:
        lines.append("")
        for lang in ("ja", "en"):
            s = sup[lang]["support"]
            lines.append(
                f"- held-out {lang}: {sup[lang]['rows']} rows; positives "
                + ", ".join(f"{c} {s[c]}" for c in CATEGORIES)
            )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--train-n", type=int, default=8000)
    p.add_argument("--test-n", type=int, default=2000)
    p.add_argument("--train-seed", type=int, default=1)
    p.add_argument("--test-seed", type=int, default=2)
    p.add_argument("--backbones", default="scratch,minilm")
    p.add_argument("--scratch-epochs", type=int, default=4)
    p.add_argument("--minilm-epochs", type=int, default=3)
    p.add_argument("--max-length", type=int, default=128)
    p.add_argument("--no-fast", action="store_true", help="skip the fast-tier reference line")
    p.add_argument("--out", type=Path, default=Path("var/deep_compare"))
    a = p.parse_args(argv)

    train, test = load_rows(a.train_n, a.train_seed), load_rows(a.test_n, a.test_seed)
    print(f"{a.train_n:,} training rows (seed {a.train_seed}), {a.test_n:,} held out (seed {a.test_seed})")
    results: list[dict[str, Any]] = []
    if not a.no_fast:
        print("fast tier text heads", flush=True)
        results.append(run_fast_text_heads(train, test))
    epochs = {"scratch": a.scratch_epochs, "minilm": a.minilm_epochs}
    for backbone in a.backbones.split(","):
        print(f"deep tier: {backbone}", flush=True)
        results.append(run_backbone(backbone, train, test, epochs=epochs[backbone], max_length=a.max_length))
    report = {
        "command": "python -m trainers.deep_compare " + " ".join(argv if argv is not None else []),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.node()} {platform.machine()}, Python {platform.python_version()}",
        "train": {"n": a.train_n, "seed": a.train_seed},
        "test": {"n": a.test_n, "seed": a.test_seed},
        "results": results,
    }
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.with_suffix(".json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    table = markdown(results)
    a.out.with_suffix(".md").write_text(table)
    print(table)
    return report


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
