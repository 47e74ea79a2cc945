"""The record types of the synthetic marketplace's catalogue: a product (:class:`Item`) and a brand.

The tables themselves live in ``vocab_brands_fashion``, ``vocab_brands_everyday`` and ``vocab``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Item:
    category: str  # marketplace category, e.g. "fashion/bags"
    ja: str
    en: str
    median: float  # JPY


@dataclass(frozen=True, slots=True)
class Brand:
    name: str  # canonical spelling, as sellers pick it in the brand field
    ja: str  # katakana (or kanji) spelling
    alts: tuple[str, ...]  # other spellings sellers type: romaji, abbreviations, typos
    tier: str  # luxury | street | premium | mass
    weight: float  # popularity among ordinary listings
    items: tuple[Item, ...]

    @property
    def fake_weight(self) -> float:
        return {"luxury": 3.0, "street": 2.0, "premium": 0.6, "mass": 0.05}[self.tier]


def make_brand(name: str, ja: str, alts: tuple[str, ...], tier: str, weight: float, *items: Item) -> Brand:
    return Brand(name, ja, alts, tier, weight, items)
