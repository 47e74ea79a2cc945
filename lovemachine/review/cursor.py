"""Opaque pagination cursors: the keyset of the last row of a page, as URL-safe base64 JSON.

Clients must treat a cursor as an opaque string; only the store that made it reads it back. A
cursor that does not decode (or has the wrong shape) raises :class:`InvalidCursorError`.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from typing import Any

from lovemachine.errors import (  # re-exported: callers import them from here too
    InvalidCursorError as InvalidCursorError,
)


def encode_cursor(values: Sequence[Any]) -> str:
    raw = json.dumps(list(values), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, types: Sequence[type]) -> list[Any]:
    """Decode ``cursor`` into values of ``types`` (ints may stand for floats)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidCursorError("invalid cursor: pass back the next_cursor of the previous page") from None
    if not isinstance(values, list) or len(values) != len(types):
        raise InvalidCursorError("invalid cursor: pass back the next_cursor of the previous page")
    out: list[Any] = []
    for value, kind in zip(values, types, strict=True):
        # what the database cannot hold (an int beyond 64 bits, a NUL in text) was never made here
        if (isinstance(value, int) and not -(2**63) <= value < 2**63) or (
            isinstance(value, str) and "\x00" in value
        ):
            raise InvalidCursorError("invalid cursor: pass back the next_cursor of the previous page")
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            raise InvalidCursorError("invalid cursor: pass back the next_cursor of the previous page")
        out.append(value)
    return out
