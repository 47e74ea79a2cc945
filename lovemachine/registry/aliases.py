"""The registry's aliases: the names a deploy moves, never a version.

``champion`` is the version whose decisions act; ``challenger`` is the candidate scored in shadow
(set by a retrain when it is eligible, moved to ``champion`` by a promotion). A ``StrEnum``: the
values are what the database, the API and the CLI carry, and each member compares equal to it.
"""

from __future__ import annotations

from enum import StrEnum


class Alias(StrEnum):
    CHAMPION = "champion"
    CHALLENGER = "challenger"


ALIASES: tuple[Alias, ...] = tuple(Alias)
