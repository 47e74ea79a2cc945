"""Violation categories.

Category identifiers are plain strings everywhere (scores, labels, API, database JSON columns), so
adding a category is a code change to this tuple and a retrain, never a schema migration.
"""

from typing import Final

COUNTERFEIT: Final = "counterfeit"
ADULT: Final = "adult"
CASH: Final = "cash"
KEYWORD_STUFFING: Final = "keyword_stuffing"

CATEGORIES: Final[tuple[str, ...]] = (COUNTERFEIT, ADULT, CASH, KEYWORD_STUFFING)

DESCRIPTIONS: Final[dict[str, str]] = {
    COUNTERFEIT: "counterfeit brand goods",
    ADULT: "adult content",
    CASH: "cash, gift cards, vouchers, prepaid balances",
    KEYWORD_STUFFING: "description padded with brand names and search terms",
}


def validate_category(name: str) -> str:
    """Return ``name`` if it is a known category, else raise ``ValueError`` listing the valid ones."""
    if name not in CATEGORIES:
        raise ValueError(f"unknown category {name!r}; expected one of {', '.join(CATEGORIES)}")
    return name
