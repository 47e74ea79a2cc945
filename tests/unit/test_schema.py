import json

import pytest

from lovemachine.errors import InvalidEventError, PermanentError
from lovemachine.listings import parse_event, parse_labelled


def event(**listing_overrides):
    listing = {
        "id": "L1",
        "version": 1,
        "seller_id": "S1",
        "title": "ルイヴィトン 財布",
        "description": "正規品です",
        "price": 25000,
        "currency": "jpy",
        "category": "fashion/wallets",
        "brand": "Louis Vuitton",
        "condition": "like new",
        "image_urls": ["https://img.example/1.jpg"],
        "locale": "ja-JP",
    }
    listing.update(listing_overrides)
    return {
        "event_id": "e1",
        "type": "listing.created",
        "occurred_at": "2026-11-01T10:00:00Z",
        "listing": listing,
    }


def test_valid_event_parses_and_normalises_currency():
    ev = parse_event(json.dumps(event()).encode())
    assert ev.listing.id == "L1"
    assert ev.listing.currency == "JPY"
    assert ev.occurred_at.tzinfo is not None


def test_unknown_extra_fields_are_ignored():
    payload = event(shipping="free")
    payload["trace_id"] = "abc"
    ev = parse_event(payload)
    assert not hasattr(ev, "trace_id")
    assert not hasattr(ev.listing, "shipping")


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        (b"\xff\xfe", "not UTF-8"),
        (b"{not json", "not JSON"),
        (b"[1, 2]", "must be a JSON object"),
        (json.dumps({**event(), "type": "listing.deleted"}).encode(), "type"),
        (json.dumps(event(price=-5)).encode(), "listing.price"),
        (json.dumps(event(price="cheap")).encode(), "listing.price"),
        (json.dumps({k: v for k, v in event().items() if k != "occurred_at"}).encode(), "occurred_at"),
        (json.dumps(event(id="")).encode(), "listing.id"),
    ],
)
def test_bad_input_gives_a_clear_permanent_error(payload, fragment):
    with pytest.raises(InvalidEventError) as info:
        parse_event(payload)
    assert isinstance(info.value, PermanentError)
    assert fragment in str(info.value)


def test_missing_required_listing_fields_are_all_named():
    payload = event()
    del payload["listing"]["title"]
    del payload["listing"]["seller_id"]
    with pytest.raises(InvalidEventError) as info:
        parse_event(payload)
    assert "listing.title" in str(info.value) and "listing.seller_id" in str(info.value)


def test_labelled_listing_rejects_unknown_category_and_bad_values():
    ok = parse_labelled({**event(), "labels": {"cash": 1}})
    assert ok.label_vector() == [0, 0, 1, 0]
    with pytest.raises(InvalidEventError, match="unknown category"):
        parse_labelled({**event(), "labels": {"weapons": 1}})
    with pytest.raises(InvalidEventError, match="0 or 1"):
        parse_labelled({**event(), "labels": {"cash": 3}})
