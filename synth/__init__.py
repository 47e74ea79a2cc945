"""Seeded, reproducible synthetic marketplace listings with ground-truth labels (see ``generator``)."""

from synth.generator import (
    DEFAULT_RATES,
    DEFAULT_START,
    HARD_NEGATIVE_RATE,
    generate,
    reference_price,
    write_jsonl,
)

__all__ = [
    "DEFAULT_RATES",
    "DEFAULT_START",
    "HARD_NEGATIVE_RATE",
    "generate",
    "reference_price",
    "write_jsonl",
]
