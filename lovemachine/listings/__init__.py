"""The listing contract: the Pub/Sub payloads, validated by the same pydantic models everywhere."""

from lovemachine.listings.schema import (
    EVENT_TYPES,
    LabelledListing,
    Listing,
    ListingEvent,
    ModerationAction,
    SellerSignals,
    parse_event,
    parse_labelled,
)

__all__ = [
    "EVENT_TYPES",
    "LabelledListing",
    "Listing",
    "ListingEvent",
    "ModerationAction",
    "SellerSignals",
    "parse_event",
    "parse_labelled",
]
