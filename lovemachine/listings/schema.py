"""Listing events and moderation actions, exactly as they travel on Pub/Sub.

``docs/events.md`` documents this contract for the marketplace team; these models enforce it.
Unknown extra fields are ignored (producers may add fields without breaking us); a missing or
malformed required field raises :class:`~lovemachine.errors.InvalidEventError`, a permanent error
whose message names every offending field.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

from lovemachine.categories import CATEGORIES
from lovemachine.errors import InvalidEventError

EVENT_TYPES = ("listing.created", "listing.updated")
_M = TypeVar("_M", bound=BaseModel)
MAX_TEXT = 20_000
MAX_EVENT_BYTES = 1024 * 1024
"""A serialized event larger than this is invalid, refused before it is parsed (Pub/Sub allows 10 MB;
a listing within every field limit is far below it), so the cost of one message is bounded."""
MAX_INT32 = 2**31 - 1
"""Integers stored in ``INTEGER`` columns (the listing version) must fit them."""


def _no_nul(value: str) -> str:
    # PostgreSQL cannot store NUL in text (nor ``\u0000`` in JSON): refuse it up front, as a bad event
    if "\x00" in value:
        raise ValueError("must not contain NUL characters (\\u0000)")
    return value


Text = Annotated[str, AfterValidator(_no_nul)]
"""A string field of the contract: any text but NUL."""


class _Contract(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, str_strip_whitespace=True)


class SellerSignals(_Contract):
    """What the marketplace knows about the seller when the event is published (all optional).

    Scammers and counterfeiters often sell from new, unrated accounts; the stacker uses these as
    tabular features. Missing values are missing (NaN), never zero.
    """

    account_age_days: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    listings_count: int | None = Field(default=None, ge=0)
    ratings_count: int | None = Field(default=None, ge=0)
    rating: float | None = Field(default=None, ge=0, le=5, allow_inf_nan=False)
    identity_verified: bool | None = None


class Listing(_Contract):
    id: Text = Field(min_length=1, max_length=128)
    version: int = Field(ge=0, le=MAX_INT32)
    seller_id: Text = Field(min_length=1, max_length=128)
    title: Text = Field(max_length=1_000)
    description: Text = Field(default="", max_length=MAX_TEXT)
    price: float = Field(ge=0, allow_inf_nan=False)
    currency: Text = Field(min_length=3, max_length=3)
    category: Text = Field(min_length=1, max_length=128)
    brand: Text | None = Field(default=None, max_length=256)
    condition: Text | None = Field(default=None, max_length=64)
    image_urls: list[Text] = Field(default_factory=list, max_length=50)
    locale: Text = Field(default="ja-JP", max_length=35)
    seller: SellerSignals | None = None

    @field_validator("currency")
    @classmethod
    def _upper_currency(cls, v: str) -> str:
        return v.upper()


class ListingEvent(_Contract):
    event_id: Text = Field(min_length=1, max_length=256)
    type: Literal["listing.created", "listing.updated"]
    occurred_at: datetime
    listing: Listing


class LabelledListing(ListingEvent):
    """A listing event with ground truth: the training and evaluation file format (JSONL).

    ``labels`` maps category -> 0/1; categories that are absent count as 0. ``tags`` are free-form
    (the generator records the disguise used, e.g. ``cash:katakana``) and are used for slicing
    evaluation reports.
    """

    labels: dict[str, int] = Field(default_factory=dict)
    tags: list[Text] = Field(default_factory=list)

    @field_validator("labels")
    @classmethod
    def _known_categories(cls, v: dict[str, int]) -> dict[str, int]:
        for name, value in v.items():
            if name not in CATEGORIES:
                raise ValueError(f"unknown category {name!r}")
            if value not in (0, 1):
                raise ValueError(f"label for {name!r} must be 0 or 1")
        return v

    def label_vector(self) -> list[int]:
        return [int(self.labels.get(c, 0)) for c in CATEGORIES]


class ModerationAction(_Contract):
    """One message on ``moderation-actions`` per hide, report or restore."""

    listing_id: str
    listing_version: int
    action: Literal["hide", "report", "restore"]
    scores: dict[str, float]
    reasons: list[str]
    model_version: str
    decided_at: datetime
    statement_puid: str | None = None
    """The statement of reasons of a hide or a restore (``GET /api/v1/statements/{puid}`` in the CS
    tool gives its text in the seller's language); None for a report, which restricts nothing."""


def _describe(err: ValidationError) -> str:
    parts = []
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"]) or "(message)"
        parts.append(f"{loc}: {e['msg']}")
    return "; ".join(parts)


def parse_event(data: bytes | str | dict[str, Any]) -> ListingEvent:
    """Parse one message payload into a :class:`ListingEvent` or raise ``InvalidEventError``."""
    return _parse(ListingEvent, data)


def parse_labelled(data: bytes | str | dict[str, Any]) -> LabelledListing:
    return _parse(LabelledListing, data)


def _parse(model: type[_M], data: bytes | str | dict[str, Any]) -> _M:
    try:
        if isinstance(data, dict):
            return model.model_validate(data)
        # the size cap comes first: nothing below runs on more than MAX_EVENT_BYTES
        size = len(data) if isinstance(data, bytes) else len(data.encode("utf-8", "surrogatepass"))
        if size > MAX_EVENT_BYTES:
            raise InvalidEventError(f"payload too large ({size:,} bytes, limit {MAX_EVENT_BYTES:,})")
        if isinstance(data, bytes):
            try:
                data = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InvalidEventError(f"payload is not UTF-8: {exc}") from None
        try:
            obj = json.loads(data)
        except json.JSONDecodeError as exc:
            raise InvalidEventError(f"payload is not JSON: {exc.msg} at char {exc.pos}") from None
        except RecursionError:
            raise InvalidEventError("payload is not JSON we accept: nested too deeply") from None
        except ValueError as exc:  # e.g. an integer literal of more than 4,300 digits
            raise InvalidEventError(f"payload is not JSON we accept: {str(exc)[:200]}") from None
        if not isinstance(obj, dict):
            raise InvalidEventError(f"payload must be a JSON object, got {type(obj).__name__}")
        return model.model_validate(obj)
    except ValidationError as exc:
        raise InvalidEventError(f"invalid listing event: {_describe(exc)}") from None
    except RecursionError:  # a structure too deep for validation (dict input)
        raise InvalidEventError("invalid listing event: nested too deeply") from None
