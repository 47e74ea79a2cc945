"""Labelled datasets: reading JSONL with line-numbered errors, hashing, splitting."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lovemachine.categories import CATEGORIES
from lovemachine.errors import InvalidEventError
from lovemachine.listings import LabelledListing, parse_labelled


@dataclass(frozen=True)
class Dataset:
    rows: list[LabelledListing]
    sha256: str

    @property
    def y(self) -> np.ndarray:
        return np.array([r.label_vector() for r in self.rows], dtype=np.int8).reshape(-1, len(CATEGORIES))

    def subset(self, idx: Sequence[int] | np.ndarray) -> list[LabelledListing]:
        return [self.rows[i] for i in idx]


def load_jsonl(path: Path) -> Dataset:
    h = hashlib.sha256()
    rows: list[LabelledListing] = []
    with open(path, "rb") as f:
        for lineno, line in enumerate(f, 1):
            h.update(line)
            if not line.strip():
                continue
            try:
                rows.append(parse_labelled(line))
            except InvalidEventError as exc:
                raise InvalidEventError(f"{path}:{lineno}: {exc}") from None
    if not rows:
        raise InvalidEventError(f"{path}: no labelled listings found")
    return Dataset(rows=rows, sha256=h.hexdigest())


def split_indices(
    rows: Sequence[LabelledListing],
    *,
    by: str = "random",
    valid: float = 0.15,
    test: float = 0.15,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Train / validation (thresholds) / test (reported metrics) indices.

    ``by="time"`` trains on the oldest listings and evaluates on the newest (seed 003's time split).
    """
    n = len(rows)
    if by == "time":
        order = np.argsort(np.array([r.occurred_at.timestamp() for r in rows]), kind="stable")
    elif by == "random":
        order = np.random.default_rng(seed).permutation(n)
    else:
        raise ValueError(f"unknown split {by!r}; use 'random' or 'time'")
    n_test = round(n * test)
    n_valid = round(n * valid)
    n_train = n - n_valid - n_test
    if n_train <= 0:
        raise ValueError(f"dataset of {n} rows is too small to split")
    return order[:n_train], order[n_train : n_train + n_valid], order[n_train + n_valid :]
