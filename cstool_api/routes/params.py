"""Query parameters shared by every list endpoint: ``limit`` and an opaque ``cursor``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

Limit = Annotated[int, Query(ge=1, le=200, description="items per page")]
Cursor = Annotated[
    str | None, Query(max_length=512, description="the next_cursor of the previous page; omit for the first")
]
