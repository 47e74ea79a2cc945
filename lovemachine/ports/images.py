"""Images as a signal: the port the cascade uses to score a listing's images (adapters implement it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class ImageScore:
    score: float | None
    """Highest open_nsfw probability over the scored images; None if none could be scored."""
    n_scored: int
    errors: tuple[str, ...]
    """Human-readable, e.g. "image https://… not scored: timed out after 2.0 s"."""


class ImageScorer(Protocol):
    def score_listings(self, image_urls: Sequence[Sequence[str]]) -> list[ImageScore]:
        """One ImageScore per listing, in order; never raises for a bad image or URL."""
        ...
