"""Parameters shared by the routes: ``limit`` and an opaque ``cursor`` of every list endpoint, and
``Id`` for every integer id in a path.

Ids are 64-bit signed integers in the database: a larger number in a path is a 422 here, not an
overflow deep in the store (a 500 that also dropped the kept-alive connection).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

INT64_MAX = 2**63 - 1

Limit = Annotated[int, Query(ge=1, le=200, description="items per page")]
Cursor = Annotated[
    str | None, Query(max_length=512, description="the next_cursor of the previous page; omit for the first")
]
Id = Annotated[int, Path(ge=1, le=INT64_MAX, description="a positive 64-bit id", examples=[1])]
