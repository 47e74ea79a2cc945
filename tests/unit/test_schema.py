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


# --------------------------------------------------------------------------- hostile payloads (issue 10)
def test_deeply_nested_json_is_an_invalid_event_not_a_crash():
    payload = b'{"event_id": "e1", "extra": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    with pytest.raises(InvalidEventError, match="nested too deeply"):
        parse_event(payload)
    nested_listing = json.dumps(event()).replace(
        '"seller_id"', '"x": ' + "[" * 50_000 + "]" * 50_000 + ', "seller_id"'
    )
    with pytest.raises(InvalidEventError, match="nested too deeply"):
        parse_event(nested_listing.encode())


def test_an_integer_too_long_to_parse_is_an_invalid_event():
    payload = json.dumps(event()).replace('"version": 1', '"version": ' + "9" * 5000).encode()
    with pytest.raises(InvalidEventError, match="not JSON"):
        parse_event(payload)


def test_a_version_beyond_the_database_integer_is_refused():
    with pytest.raises(InvalidEventError, match=r"listing\.version"):
        parse_event(json.dumps(event(version=2**31)).encode())
    assert parse_event(json.dumps(event(version=2**31 - 1)).encode()).listing.version == 2**31 - 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": "ok\x00title"}, "listing.title"),
        ({"description": "a\u0000b"}, "listing.description"),
        ({"id": "L\x001"}, "listing.id"),
        ({"brand": "\x00"}, "listing.brand"),
        ({"image_urls": ["https://img.example/1.jpg", "https://x/\x00.jpg"]}, "listing.image_urls.1"),
        (
            {"seller": {"rating": 4.0, "nickname": "ignored\x00extra"}, "seller_id": "S\x00"},
            "listing.seller_id",
        ),
    ],
)
def test_nul_characters_are_refused_in_every_string_field(overrides, field):
    for payload in (json.dumps(event(**overrides)).encode(), event(**overrides)):
        with pytest.raises(InvalidEventError) as info:
            parse_event(payload)
        assert field in str(info.value) and "NUL" in str(info.value)


def test_nul_in_event_level_and_labelled_fields_is_refused():
    with pytest.raises(InvalidEventError, match=r"event_id: .*NUL"):
        parse_event({**event(), "event_id": "e\x001"})
    with pytest.raises(InvalidEventError, match=r"tags\.0: .*NUL"):
        parse_labelled({**event(), "tags": ["cash:\x00"]})


def test_nul_in_an_ignored_extra_field_is_harmless():
    payload = event(note="free\x00text")
    payload["trace"] = "\x00"
    assert parse_event(json.dumps(payload).encode()).listing.id == "L1"


def test_an_oversized_payload_is_refused_before_it_is_parsed(monkeypatch):
    from lovemachine.listings import schema

    def never(*_a, **_k):
        raise AssertionError("an oversized payload must not reach the JSON parser")

    big = json.dumps(event(description="x" * 10)).encode() + b" " * schema.MAX_EVENT_BYTES
    monkeypatch.setattr(schema.json, "loads", never)
    for payload in (big, big.decode()):
        with pytest.raises(InvalidEventError) as info:
            parse_event(payload)
        assert str(info.value) == f"payload too large ({len(big):,} bytes, limit {schema.MAX_EVENT_BYTES:,})"


def test_a_payload_at_the_size_limit_is_parsed():
    from lovemachine.listings import schema

    body = json.dumps(event()).encode()
    padded = body[:-1] + b" " * (schema.MAX_EVENT_BYTES - len(body)) + b"}"
    assert len(padded) == schema.MAX_EVENT_BYTES
    assert parse_event(padded).listing.id == "L1"
    assert schema.MAX_EVENT_BYTES == 1024 * 1024
