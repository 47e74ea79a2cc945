"""Deterministic draws: a uniform number in [0, 1) fixed by what it is about, not by a random state.

``unit_hash("salt", listing_id, version)`` is the same on every machine, process and replay, so a
sample drawn with it (the audit sample, the retrain's validation rows) does not depend on the order
rows arrive in, and the same row always lands on the same side.
"""

from __future__ import annotations

import hashlib


def unit_hash(*parts: object) -> float:
    """sha256 of the parts (as text, NUL-separated), its first 8 bytes mapped to [0, 1)."""
    digest = hashlib.sha256("\x00".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64
