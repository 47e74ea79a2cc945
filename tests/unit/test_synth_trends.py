"""The trend shift in the synthetic stream (``generate(..., trend=...)``, ``synth.trends``):
new gift-card slang that neither the base generator nor the policy lexicon knows, tagged so its catch
rate can be measured, and the default output left exactly as it was."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from typing import Any

import pytest

from lovemachine.categories import CASH, CATEGORIES
from lovemachine.features.lexicon import TERMS, lexicon_counts
from lovemachine.features.text import normalise
from lovemachine.listings import parse_labelled
from synth import generate
from synth.trends import GIFTCARD_SLANG, SLANG_EN, SLANG_JA, TRENDS, is_trend, slang

Row = dict[str, Any]
TREND_TAG = f"trend:{GIFTCARD_SLANG}"


def _fold(text: str) -> str:
    """NFKC, lower case, hiragana as katakana: the spellings a term may take in a listing."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return "".join(chr(ord(c) + 0x60) if "\u3041" <= c <= "\u3096" else c for c in folded)


def _text(row: Row) -> str:
    return _fold(f"{row['listing']['title']}\n{row['listing']['description']}")


TERMS_FOLDED = sorted({_fold(t) for t in slang(GIFTCARD_SLANG)})


@pytest.fixture(scope="module")
def shifted() -> list[Row]:
    return list(generate(4_000, seed=5, trend=GIFTCARD_SLANG, trend_share=0.1))


def test_the_default_output_is_unchanged() -> None:
    """The bytes ``generate`` gives (last changed on purpose: hard negatives with the innocent senses of
    fake/copy/mirror/replica, worn genuine goods, stock-selling fakes, more adult wording). Update only
    when changing the generator on purpose: models, evaluations and tests are built on these rows."""
    h = hashlib.sha256()
    for row in generate(2_000, seed=3):
        h.update(json.dumps(row, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode() + b"\n")
    assert h.hexdigest() == "b045551231857f4958b72872ab225a5f634ca98fbba1ccd0a785a6d8646fb24d"
    assert list(generate(300, seed=9, trend=GIFTCARD_SLANG, trend_share=0.0)) == list(generate(300, seed=9))


def test_a_shifted_stream_is_the_usual_one_with_some_listings_rewritten(shifted: list[Row]) -> None:
    base = list(generate(4_000, seed=5))
    changed = [i for i, (a, b) in enumerate(zip(base, shifted, strict=True)) if a != b]
    assert changed == [i for i, r in enumerate(shifted) if is_trend(r["tags"])]
    assert 0.08 < len(changed) / len(shifted) < 0.12
    for i in changed:  # the event keeps its identity, time, seller and images
        a, b = base[i], shifted[i]
        assert (a["event_id"], a["type"], a["occurred_at"]) == (b["event_id"], b["type"], b["occurred_at"])
        for key in ("id", "version", "seller_id", "image_urls", "locale", "seller"):
            assert a["listing"][key] == b["listing"][key]
    assert list(generate(500, seed=5, trend=GIFTCARD_SLANG)) == list(
        generate(500, seed=5, trend=GIFTCARD_SLANG)
    )


def test_trend_listings_are_cash_violations_in_the_new_slang(shifted: list[Row]) -> None:
    trend = [r for r in shifted if is_trend(r["tags"])]
    assert trend
    used = set()
    for r in trend:
        parse_labelled(json.dumps(r))  # a valid labelled listing event
        assert r["labels"] == {c: int(c == CASH) for c in CATEGORIES}
        assert r["tags"] == [f"{CASH}:{GIFTCARD_SLANG}", TREND_TAG]
        assert r["listing"]["brand"] is None
        own = [_fold(t) for t in (SLANG_JA if r["listing"]["locale"].startswith("ja") else SLANG_EN)]
        if r["listing"]["locale"].startswith("ja"):
            assert any(t in _fold(r["listing"]["title"]) for t in own)
        else:  # an English title may carry a seller's typo; the first line still names it
            assert any(t in _text(r) for t in own)
        used.update(t for t in TERMS_FOLDED if t in _text(r))
    assert used == set(TERMS_FOLDED)  # every term occurs
    assert {r["listing"]["locale"][:2] for r in trend} == {"ja", "en"}


def test_the_new_slang_occurs_only_when_the_trend_is_on() -> None:
    for seed in (0, 1, 7):
        for row in generate(5_000, seed=seed):
            text = _text(row)
            assert not any(t in text for t in TERMS_FOLDED), (seed, row["listing"]["title"])
            assert not is_trend(row["tags"])


def test_the_policy_lexicon_does_not_know_the_new_slang() -> None:
    lexicon = {_fold(t) for terms in TERMS.values() for t in terms}
    cash = list(TERMS).index(CASH)
    for term in slang(GIFTCARD_SLANG):
        assert _fold(term) not in lexicon
        assert lexicon_counts(normalise(term))[cash] == 0, term
        assert sum(lexicon_counts(normalise(f"{term} 5000"))) == 0, term


def test_bad_trend_arguments_are_refused() -> None:
    assert TRENDS == (GIFTCARD_SLANG,)
    with pytest.raises(ValueError, match="unknown trend"):
        generate(10, trend="crypto")
    for share in (-0.1, 1.5, float("nan")):
        with pytest.raises(ValueError, match="trend_share"):
            generate(10, trend=GIFTCARD_SLANG, trend_share=share)
    with pytest.raises(ValueError, match="unknown trend"):
        slang("crypto")
