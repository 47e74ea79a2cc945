"""Training sources beyond one generator, and how they are combined.

A model trained on the generator alone learns the generator's dialect (issue 11: PR-AUC .99 on its
own test split, hide precision .94 on listings written by other people). The default training data
is therefore two sources, each row carrying a per-source weight:

* ``generated`` — the synthetic generator (``synth``), any size, seeded;
* ``written`` — ``data/written/train_written.jsonl`` and ``train_written_2.jsonl``: 5,600 listings
  typed by eight persona writers who saw only the policy and the event schema (``docs/data.md``).

The written corpora are cut into three fixed parts by a hash of each listing's id (so a row never moves
between parts, whatever the seed or the file order):

* ``train`` (60%) — learned from;
* ``valid`` (25%) — calibration, thresholds and the novelty threshold are chosen on it, together with
  the generator's validation rows;
* ``regression`` (15%) — never learned from and never used to choose anything: the fixed regression
  set kept with every model (its clean rows are hard negatives: receipts, packaging, collectible
  notes, food samples...), on which a retrain must show it does not start flagging clean listings.

Set C (``eval/data/handwritten_c.jsonl``) is by other writers and is never part of any source here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lovemachine.listings import LabelledListing
from lovemachine.sampling import unit_hash

ROOT = Path(__file__).resolve().parent.parent
WRITTEN_DIR = ROOT / "data" / "written"
WRITTEN_PATH = WRITTEN_DIR / "train_written.jsonl"
WRITTEN_PATHS: tuple[Path, ...] = (WRITTEN_PATH, WRITTEN_DIR / "train_written_2.jsonl")
"""Every written training corpus, in a fixed order (``docs/data.md`` describes each)."""
GENERATED, WRITTEN = "generated", "written"
SOURCE_WEIGHTS: dict[str, float] = {GENERATED: 1.0, WRITTEN: 4.0}
"""Default per-source weights. The written corpus is ~10x smaller than the generated data and is the
only source that is not the generator's dialect, so each of its rows counts four times."""
TRAIN_SHARE, VALID_SHARE = 0.60, 0.25
_SALT = "written-corpus-parts-v1"


@dataclass(frozen=True)
class WrittenParts:
    train: list[LabelledListing]
    valid: list[LabelledListing]
    regression: list[LabelledListing]
    sha256: str = ""
    """The corpus file's sha256 (provenance; part of a trained model's data hash)."""

    @property
    def regression_negatives(self) -> list[LabelledListing]:
        """Clean rows of the regression part (most of them hard negatives)."""
        return [r for r in self.regression if not any(r.label_vector())]


def written_part(listing_id: str) -> str:
    """Which part (``train``/``valid``/``regression``) a written listing belongs to, forever."""
    u = unit_hash(_SALT, listing_id)
    if u < TRAIN_SHARE:
        return "train"
    return "valid" if u < TRAIN_SHARE + VALID_SHARE else "regression"


def split_written(rows: Sequence[LabelledListing], sha256: str = "") -> WrittenParts:
    parts: dict[str, list[LabelledListing]] = {"train": [], "valid": [], "regression": []}
    for r in rows:
        parts[written_part(r.listing.id)].append(r)
    return WrittenParts(**parts, sha256=sha256)


def load_written(paths: Path | Sequence[Path] = WRITTEN_PATHS) -> WrittenParts:
    """The written corpora, split into their fixed parts. Ids must be unique across files."""
    import hashlib

    from trainers.dataset import load_jsonl

    paths = [paths] if isinstance(paths, Path) else list(paths)
    rows: list[LabelledListing] = []
    shas: list[str] = []
    for path in paths:
        data = load_jsonl(path)
        rows += data.rows
        shas.append(data.sha256)
    ids = [r.listing.id for r in rows]
    if len(set(ids)) != len(ids):
        raise ValueError(f"duplicate listing ids across the written corpora {[str(p) for p in paths]}")
    sha = shas[0] if len(shas) == 1 else hashlib.sha256(" ".join(shas).encode()).hexdigest()
    return split_written(rows, sha)


def missing_written(paths: Sequence[Path] = WRITTEN_PATHS) -> list[Path]:
    """Written corpora that are not on disk (an installed package without the source checkout)."""
    return [p for p in paths if not p.exists()]


@dataclass(frozen=True)
class Sources:
    """Training and validation rows with the source of each row and its weight."""

    train: list[LabelledListing]
    train_weight: np.ndarray
    valid: list[LabelledListing]
    valid_source: list[str]
    regression: list[LabelledListing]


def combine(
    generated_train: Sequence[LabelledListing],
    generated_valid: Sequence[LabelledListing],
    written: WrittenParts | None,
    weights: dict[str, float] | None = None,
) -> Sources:
    """Generated and written rows as one weighted training set and one validation set."""
    w = {**SOURCE_WEIGHTS, **(weights or {})}
    wr_train = written.train if written else []
    wr_valid = written.valid if written else []
    train = [*generated_train, *wr_train]
    weight = np.r_[np.full(len(generated_train), w[GENERATED]), np.full(len(wr_train), w[WRITTEN])]
    valid = [*generated_valid, *wr_valid]
    source = [GENERATED] * len(generated_valid) + [WRITTEN] * len(wr_valid)
    return Sources(train, weight.astype(np.float64), valid, source, written.regression if written else [])
