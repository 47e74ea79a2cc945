"""The synthetic marketplace: reproducible bytes, valid events, and the mix of disguises it promises."""

from __future__ import annotations

import json
import math
import re
import statistics
import unicodedata
from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from lovemachine.categories import CATEGORIES
from lovemachine.listings import parse_labelled
from synth import DEFAULT_RATES, DEFAULT_START, generate, reference_price, write_jsonl

N = 5_000
USD_JPY = 150.0
_KANA = re.compile(r"[\u3040-\u30ff]")

Row = dict[str, Any]


@pytest.fixture(scope="module")
def rows() -> list[Row]:
    return list(generate(N, seed=7))


def _tagged(rows: list[Row], prefix: str) -> list[Row]:
    return [r for r in rows if any(t.startswith(prefix) for t in r["tags"])]


def _yen(listing: dict[str, Any]) -> float:
    return float(listing["price"]) * (USD_JPY if listing["currency"] == "USD" else 1.0)


# --- reproducibility and file output -----------------------------------------------------------------


def test_same_seed_gives_same_bytes_and_another_seed_differs(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "c.jsonl"
    assert write_jsonl(a, 1_200, seed=11) == 1_200
    write_jsonl(b, 1_200, seed=11)
    write_jsonl(c, 1_200, seed=12)
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()
    text = a.read_text(encoding="utf-8")
    assert text.endswith("\n") and len(text.splitlines()) == 1_200
    assert _KANA.search(text), "Japanese must be written as characters (ensure_ascii=False), not escapes"
    assert not list(tmp_path.glob("*.tmp"))


def test_file_rows_equal_generated_rows(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "rows.jsonl"
    write_jsonl(path, 300, seed=5, days=3, id_prefix="Q")
    from_file = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert from_file == list(generate(300, seed=5, days=3, id_prefix="Q"))


def test_progress_is_reported_every_thousand_rows_and_at_the_end(tmp_path: Path) -> None:
    calls: list[int] = []
    write_jsonl(tmp_path / "p.jsonl", 2_500, seed=1, progress=calls.append)
    assert calls == [1_000, 2_000, 2_500]


# --- validity ----------------------------------------------------------------------------------------


def test_every_row_validates_against_the_contract(rows: list[Row]) -> None:
    for r in rows:
        parsed = parse_labelled(json.dumps(r, ensure_ascii=False))
        assert set(r["labels"]) == set(CATEGORIES)
        assert parsed.listing.title == r["listing"]["title"]  # nothing left for the validator to strip
        assert parsed.listing.description == r["listing"]["description"]
        assert parsed.occurred_at.tzinfo is not None
    ids = [r["listing"]["id"] for r in rows]
    assert ids[:2] == ["L00000000", "L00000001"] and len(set(ids)) == N
    assert len({r["event_id"] for r in rows}) == N


def test_versions_event_types_and_images(rows: list[Row]) -> None:
    for r in rows:
        listing = r["listing"]
        assert (r["type"] == "listing.created") == (listing["version"] == 1)
        assert 1 <= listing["version"] <= 3
        assert 1 <= len(listing["image_urls"]) <= 4
        assert listing["image_urls"][0] == f"https://img.lovemachine.invalid/{listing['id']}/1.jpg"
    updated = sum(r["type"] == "listing.updated" for r in rows) / N
    assert 0.05 < updated < 0.3
    assert len({r["listing"]["category"] for r in rows}) >= 12
    assert len({r["listing"]["condition"] for r in rows}) >= 8


def test_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="unknown rate"):
        generate(10, rates={"weapons": 0.1})
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        generate(10, rates={"cash": 1.5})
    with pytest.raises(ValueError):
        generate(-1)
    assert list(generate(0)) == []


# --- labels and disguises ----------------------------------------------------------------------------


def test_violation_rates_are_roughly_respected(rows: list[Row]) -> None:
    for cat, p in DEFAULT_RATES.items():
        observed = sum(r["labels"][cat] for r in rows) / N
        assert abs(observed - p) < 4 * math.sqrt(p * (1 - p) / N) + 0.002, (cat, observed, p)
    assert any(sum(r["labels"].values()) >= 2 for r in rows), "multi-label listings must occur"


def test_custom_rates_are_used() -> None:
    want = {"counterfeit": 0, "adult": 0, "cash": 1, "keyword_stuffing": 0}
    only_cash = list(generate(400, seed=3, rates=want))
    assert all(r["labels"] == want for r in only_cash)
    clean = list(generate(400, seed=3, rates=dict.fromkeys(CATEGORIES, 0.0) | {"hard_negative": 1.0}))
    assert all(any(t.startswith("hard_negative:") for t in r["tags"]) for r in clean)


def test_each_category_has_several_disguises_and_every_positive_names_one(rows: list[Row]) -> None:
    for cat in CATEGORIES:
        kinds = {t for r in rows for t in r["tags"] if t.startswith(f"{cat}:")}
        assert len(kinds) >= 3, (cat, kinds)
    for r in rows:
        for cat in CATEGORIES:
            tagged = any(t.startswith(f"{cat}:") for t in r["tags"])
            assert tagged == bool(r["labels"][cat]), (cat, r["tags"], r["labels"])


def test_hard_negatives_are_clean_and_varied(rows: list[Row]) -> None:
    hard = _tagged(rows, "hard_negative:")
    assert len(hard) > 0.06 * N
    assert all(sum(r["labels"].values()) == 0 for r in hard)
    kinds = {t.split(":", 1)[1] for r in hard for t in r["tags"]}
    assert {
        "genuine_luxury",
        "card_case",
        "cashflow_book",
        "gift_wrapping",
        "trading_cards",
        "lingerie_new",
        "brand_mention",
        "not_replica",
        "magazine",
        "coin_case",
    } <= kinds


def test_keyword_stuffing_lists_many_terms(rows: list[Row]) -> None:
    hashtagged = _tagged(rows, "keyword_stuffing:hashtags")
    assert hashtagged
    assert all(_hashtags(r) >= 8 for r in hashtagged)
    clean = [r for r in rows if not any(r["labels"].values())]
    assert max(_hashtags(r) for r in clean) < 8


def _hashtags(row: Row) -> int:
    return unicodedata.normalize("NFKC", row["listing"]["description"]).count("#")


def test_low_price_counterfeits_sell_far_below_the_genuine_price(rows: list[Row]) -> None:
    low = [r for r in _tagged(rows, "counterfeit:low_price_only") if not r["labels"]["cash"]]
    assert len(low) >= 20
    ratios = []
    for r in low:
        listing = r["listing"]
        assert listing["brand"], "the price-only disguise keeps the brand field"
        ref = reference_price(listing["brand"], f"{listing['title']} {listing['description']}")
        if ref is not None:
            ratios.append(_yen(listing) / ref)
    assert len(ratios) >= 0.7 * len(low)
    assert max(ratios) <= 0.15
    genuine = []
    for r in _tagged(rows, "hard_negative:genuine_luxury"):
        listing = r["listing"]
        ref = reference_price(listing["brand"], f"{listing['title']} {listing['description']}")
        if ref is not None:
            genuine.append(_yen(listing) / ref)
    assert genuine and statistics.median(genuine) > 0.6


# --- realism -----------------------------------------------------------------------------------------


def test_japanese_and_english_listings(rows: list[Row]) -> None:
    langs = Counter(r["listing"]["locale"][:2] for r in rows)
    assert 0.62 < langs["ja"] / N < 0.78 and langs["en"] / N > 0.2
    ja = [r["listing"] for r in rows if r["listing"]["locale"] == "ja-JP"]
    en = [r["listing"] for r in rows if r["listing"]["locale"].startswith("en")]
    assert sum(bool(_KANA.search(x["title"] + x["description"])) for x in ja) > 0.9 * len(ja)
    assert sum(not _KANA.search(x["description"]) for x in en) > 0.9 * len(en)
    assert all(x["currency"] == "JPY" for x in ja)
    assert 0.75 < sum(x["currency"] == "JPY" for x in en) / len(en) < 1.0


def test_text_is_diverse(rows: list[Row]) -> None:
    titles = [r["listing"]["title"] for r in rows[:2_000]]
    descriptions = [r["listing"]["description"] for r in rows[:2_000]]
    assert len(set(titles)) > 0.8 * len(titles)
    assert len(set(descriptions)) > 0.8 * len(descriptions)
    brands = {r["listing"]["brand"] for r in rows if r["listing"]["brand"]}
    assert len(brands) >= 40


def test_occurred_at_grows_with_the_index_over_the_requested_days(rows: list[Row]) -> None:
    assert all(r["occurred_at"].endswith("Z") for r in rows)
    ts = [datetime.fromisoformat(r["occurred_at"].replace("Z", "+00:00")) for r in rows]
    assert all(a <= b for a, b in pairwise(ts))
    assert DEFAULT_START <= ts[0] < DEFAULT_START + timedelta(hours=2)
    assert DEFAULT_START + timedelta(days=29) < ts[-1] < DEFAULT_START + timedelta(days=30)


def test_start_days_and_id_prefix() -> None:
    start = datetime(2025, 1, 1, 12, tzinfo=UTC)
    out = list(generate(50, seed=1, start=start, days=2, id_prefix="T"))
    assert [r["listing"]["id"] for r in out[:2]] == ["T00000000", "T00000001"]
    ts = [datetime.fromisoformat(r["occurred_at"].replace("Z", "+00:00")) for r in out]
    assert start <= ts[0] and ts[-1] < start + timedelta(days=2)


def test_some_sellers_violate_repeatedly(rows: list[Row]) -> None:
    bad = Counter(r["listing"]["seller_id"] for r in rows if any(r["labels"].values()))
    assert bad.most_common(1)[0][1] >= 5
    assert len({r["listing"]["seller_id"] for r in rows}) > N / 10
