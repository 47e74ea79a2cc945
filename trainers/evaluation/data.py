"""Evaluation data: the labelled rows, their split, and the extra test sets.

The time split is strict: every validation row is newer than every training row and every test row
newer than every validation row (rows sharing a timestamp stay on one side of a cut), which is what
"train on the past, evaluate on the future" (seed 003) needs to mean. Synthetic data is hashed
exactly as ``lovemachine generate`` would write it, so a model trained on that file is recognised
as having seen these rows.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lovemachine.categories import CATEGORIES
from lovemachine.errors import InvalidEventError
from lovemachine.listings import LabelledListing, parse_labelled
from trainers.dataset import load_jsonl, split_indices
from trainers.evaluation.config import DataConfig, EvaluationError, SplitConfig

Progress = Callable[[str], None]


@dataclass(frozen=True)
class LabelledSet:
    """Rows with their label matrix (n, len(CATEGORIES)) and where they came from."""

    name: str
    rows: list[LabelledListing]
    source: str

    @property
    def y(self) -> np.ndarray:
        return labels(self.rows)


@dataclass(frozen=True)
class Split:
    kind: str
    train: list[LabelledListing]
    valid: list[LabelledListing]
    test: list[LabelledListing]


def labels(rows: Sequence[LabelledListing]) -> np.ndarray:
    return np.array([r.label_vector() for r in rows], dtype=np.int8).reshape(-1, len(CATEGORIES))


def load_rows(cfg: DataConfig, progress: Progress | None = None) -> tuple[list[LabelledListing], str, str]:
    """(rows, sha256 of the JSONL bytes, description) of the main labelled data."""
    say = progress or (lambda _m: None)
    if cfg.synthetic is not None:
        from synth import generate

        s = cfg.synthetic
        say(f"generating {s.n:,} synthetic labelled listings (seed {s.seed})")
        h = hashlib.sha256()
        rows = []
        for d in generate(s.n, seed=s.seed, days=s.days):
            h.update((json.dumps(d, ensure_ascii=False, separators=(",", ":")) + "\n").encode())
            rows.append(parse_labelled(d))
        return rows, h.hexdigest(), f"synthetic (n={s.n:,}, seed={s.seed}, days={s.days})"
    if cfg.path is None:
        raise EvaluationError(
            f"data.snapshot {cfg.snapshot!r}: its rows come from the caller (trainers.evaluation."
            "evaluate_split), not from a config file; give 'path' or 'synthetic'"
        )
    say(f"reading {cfg.path}")
    ds = _read(cfg.path)
    return ds[0], ds[1], str(cfg.path)


def _read(path: Path) -> tuple[list[LabelledListing], str]:
    if not path.exists():
        raise EvaluationError(f"labelled data {path} does not exist")
    try:
        ds = load_jsonl(path)
    except InvalidEventError as exc:
        raise EvaluationError(str(exc)) from None
    return ds.rows, ds.sha256


def split_rows(rows: Sequence[LabelledListing], cfg: SplitConfig) -> Split:
    if cfg.kind == "random":
        tr, va, te = split_indices(
            rows, by="random", valid=cfg.valid_fraction, test=cfg.test_fraction, seed=cfg.seed
        )
    else:
        tr, va, te = time_split_indices(rows, valid=cfg.valid_fraction, test=cfg.test_fraction)
    if min(len(tr), len(va), len(te)) == 0:
        raise EvaluationError(f"{len(rows)} rows are too few to split into train / validation / test")
    return Split(
        kind=cfg.kind,
        train=[rows[i] for i in tr],
        valid=[rows[i] for i in va],
        test=[rows[i] for i in te],
    )


def time_split_indices(
    rows: Sequence[LabelledListing], *, valid: float, test: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Oldest rows train, the next validate, the newest test; no timestamp straddles a cut."""
    ts = np.array([r.occurred_at.timestamp() for r in rows])
    n = len(ts)
    order = np.sort(ts)
    n_test, n_valid = round(n * test), round(n * valid)
    n_train = n - n_valid - n_test
    if n_train <= 0 or n_test <= 0 or n_valid <= 0:
        return np.array([], int), np.array([], int), np.array([], int)
    valid_from, test_from = order[n_train], order[n_train + n_valid]
    idx = np.arange(n)
    return idx[ts < valid_from], idx[(ts >= valid_from) & (ts < test_from)], idx[ts >= test_from]


def load_test_sets(cfg: DataConfig) -> tuple[list[LabelledSet], list[str]]:
    """The extra test sets that exist, and a note for each optional one that does not."""
    sets, notes = [], []
    for t in cfg.test_data:
        if not t.path.exists():
            if t.required:
                raise EvaluationError(f"test set {t.name!r}: {t.path} does not exist (required: true)")
            notes.append(
                f"test set '{t.name}' skipped: {t.path} does not exist yet "
                "(optional; add the file to evaluate on it)"
            )
            continue
        rows, _ = _read(t.path)
        sets.append(LabelledSet(name=t.name, rows=rows, source=str(t.path)))
    return sets, notes


def time_range(rows: Sequence[LabelledListing]) -> tuple[str, str]:
    ts = [r.occurred_at for r in rows]
    return min(ts).isoformat(), max(ts).isoformat()
