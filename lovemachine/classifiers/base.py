"""The classifier interface every model family implements."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from lovemachine.listings import Listing


@runtime_checkable
class Classifier(Protocol):
    categories: tuple[str, ...]

    def predict_scores(self, listings: Sequence[Listing]) -> np.ndarray:
        """Scores in [0, 1], shape (len(listings), len(categories)), columns in ``categories`` order."""
        ...
