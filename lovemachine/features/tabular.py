"""Tabular signals: price against the brand's and category's usual price, keyword-stuffing shape.

Counterfeits are cheap luxury goods: a Louis Vuitton bag at 5% of what Louis Vuitton bags usually
sell for is suspicious even when the text is clean. ``PriceReference`` learns the usual (median log)
price per brand and per marketplace category from *clean* training listings and is stored with the
model. Stuffing signals measure how much of a description is a bare list of brand names and tags.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from statistics import median

import numpy as np
import re2

from lovemachine.features.brands import LUXURY_FLOOR_JPY, BrandLexicon, product_floors
from lovemachine.features.lexicon import LEXICON_FEATURES, evasion_counts, lexicon_counts
from lovemachine.features.text import normalise
from lovemachine.listings import Listing

FEATURE_NAMES: tuple[str, ...] = (
    "log_price",
    "brand_price_ratio",
    "has_brand_reference",
    "brand_reference_log_price",
    "category_price_ratio",
    "n_brand_mentions",
    "n_distinct_brands",
    "brand_mention_share",
    "n_hashtags",
    "hashtag_share",
    "log_description_length",
    "log_n_terms",
    "unique_term_ratio",
    "list_share",
    "digit_share",
    "title_length",
    "seller_log_age_days",
    "seller_log_listings",
    "seller_log_ratings",
    "seller_rating",
    "seller_verified",
    "luxury_floor_ratio",
    "title_n_words",
    "title_list_run",
    "desc_list_run",
    "desc_list_run_share",
    *LEXICON_FEATURES,
)
# Added in feature set 2 (keyword stuffing against honest bundle lots). A model pickled with feature
# set 1 keeps computing FEATURE_NAMES only, so an older champion still loads and scores the same.
FEATURE_NAMES_V2: tuple[str, ...] = (
    "brand_adjacent_share",
    "n_other_brands",
    "bundle_markers",
    "brands_with_items_share",
)
FEATURE_SET = 2

# Approximate yen per unit, so a $60 "Rolex" is compared with yen prices. Rates drift; what matters
# is the order of magnitude (a counterfeit sells at 5-20% of the usual price, not 90%).
YEN_PER_UNIT: dict[str, float] = {
    "JPY": 1.0,
    "USD": 150.0,
    "EUR": 160.0,
    "GBP": 190.0,
    "CNY": 21.0,
    "KRW": 0.11,
    "TWD": 4.7,
    "HKD": 19.0,
    "AUD": 98.0,
    "CAD": 108.0,
}
_NAN = float("nan")


def log_price_jpy(listing: Listing) -> float:
    """log(1 + price in yen); unknown currencies are taken as yen."""
    return math.log1p(listing.price * YEN_PER_UNIT.get(listing.currency, 1.0))


def _log_or_nan(v: float | None) -> float:
    return math.log1p(v) if v is not None else _NAN


def seller_features(listing: Listing) -> tuple[float, float, float, float, float]:
    """Seller signals from the event; NaN where the marketplace did not send them (LightGBM learns
    what missing means)."""
    s = listing.seller
    if s is None:
        return (_NAN, _NAN, _NAN, _NAN, _NAN)
    return (
        _log_or_nan(s.account_age_days),
        _log_or_nan(s.listings_count),
        _log_or_nan(s.ratings_count),
        s.rating if s.rating is not None else _NAN,
        float(s.identity_verified) if s.identity_verified is not None else _NAN,
    )


_DIGIT = re.compile("[0-9]")
_SEGMENTS = re.compile(r"[\s,、，/|・;；]+")
# Words that prose has and keyword lists do not: English function words, Japanese sentence endings.
_PROSE_WORDS = frozenset(
    re.split(
        r"\s+",
        "a an the and or but of to in on at for with from by is are was were be been it its this that "
        "these those my your i you we they he she not no very so as if than then have has had will can "
        "just only also all any some one two",
    )
)
_PROSE_MARKS = re.compile(r"[。．.!?！？:：]$|です|ます|ました|ません|ください|でした|だった|ので|けど")


def list_run(text: str) -> tuple[int, int, int]:
    """The longest run of list-like words in ``text``, the words in all runs of 4+, and all words.

    A keyword list is a run of short words with no function words and no sentence endings: "ZARA GU
    無印 ユニクロ H&M ..." or "lululemon alo yoga aritzia gymshark ...". Prose breaks runs (English
    function words, Japanese です/ます, sentence punctuation); Japanese prose rarely has spaces at all,
    so it forms one long word, which breaks runs too. Names need not be known brands: an author list
    or a wall of game titles has the same shape.
    """
    words = [w for w in _SEGMENTS.split(text) if w]
    best = cur = in_runs = 0
    for w in words:
        bare = w.lstrip("#＃")
        listy = 0 < len(bare) <= 16 and bare not in _PROSE_WORDS and not _PROSE_MARKS.search(bare)
        if listy:
            cur += 1
        else:
            if cur >= 4:
                in_runs += cur
            best, cur = max(best, cur), 0
    if cur >= 4:
        in_runs += cur
    return max(best, cur), in_runs, len(words)


@dataclass
class PriceReference:
    """Median log-price per canonical brand and per marketplace category (clean listings only)."""

    brand_log_median: dict[str, float] = field(default_factory=dict)
    category_log_median: dict[str, float] = field(default_factory=dict)
    global_log_median: float = math.log1p(3000.0)
    min_count: int = 5

    @classmethod
    def fit(
        cls, listings: Sequence[Listing], clean: Sequence[bool], lexicon: BrandLexicon, min_count: int = 5
    ) -> PriceReference:
        by_brand: dict[str, list[float]] = defaultdict(list)
        by_cat: dict[str, list[float]] = defaultdict(list)
        all_prices: list[float] = []
        for listing, ok in zip(listings, clean, strict=True):
            if not ok:
                continue
            lp = log_price_jpy(listing)
            all_prices.append(lp)
            by_cat[listing.category].append(lp)
            brand = lexicon.canonical(listing.brand)
            if brand:
                by_brand[brand].append(lp)
        return cls(
            brand_log_median={b: median(v) for b, v in by_brand.items() if len(v) >= min_count},
            category_log_median={c: median(v) for c, v in by_cat.items() if len(v) >= min_count},
            global_log_median=median(all_prices) if all_prices else math.log1p(3000.0),
            min_count=min_count,
        )


class TabularFeaturizer:
    """Listing (+ its normalised text) -> fixed-width float vector named by ``FEATURE_NAMES``."""

    feature_set = 1
    """Which feature set this featurizer computes; instances made by this code compute the newest
    (``FEATURE_SET``), ones unpickled from an older artifact keep the class default 1."""

    def __init__(self, lexicon: BrandLexicon, prices: PriceReference) -> None:
        self.lexicon = lexicon
        self.prices = prices
        self.feature_set = FEATURE_SET

    @property
    def names(self) -> tuple[str, ...]:
        return FEATURE_NAMES + (FEATURE_NAMES_V2 if self.feature_set >= 2 else ())

    def brand_of(self, listing: Listing, mentions: list[str]) -> str | None:
        """The listing's brand field if known, else the first brand named in its title/text."""
        b = self.lexicon.canonical(listing.brand)
        if b and b in self.prices.brand_log_median:
            return b
        for m in mentions:
            if m in self.prices.brand_log_median:
                return m
        return b

    def transform(self, listings: Sequence[Listing], texts: Sequence[str] | None = None) -> np.ndarray:
        if texts is None:
            texts = [normalise(f"{x.title} {x.description}") for x in listings]
        v2 = self.feature_set >= 2
        out = np.zeros((len(listings), len(self.names)), dtype=np.float32)
        ref = self.prices
        for i, (listing, text) in enumerate(zip(listings, texts, strict=True)):
            lp = log_price_jpy(listing)
            desc = normalise(listing.description) if listing.description else ""
            desc_spans = self.lexicon.find_spans(desc) if desc else []
            desc_mentions = [c for _, _, c in desc_spans]
            title_norm = normalise(listing.title)
            title_spans = self.lexicon.find_spans(title_norm)
            title_mentions = [c for _, _, c in title_spans]
            mentions = title_mentions + desc_mentions
            brand = self.brand_of(listing, mentions)
            bref = ref.brand_log_median.get(brand) if brand else None
            cref = ref.category_log_median.get(listing.category, ref.global_log_median)
            segments = _SEGMENTS.split(desc) if desc else []
            segments = [s for s in segments if s]
            n_seg = max(len(segments), 1)
            n_hash = desc.count("#")
            short = sum(1 for s in segments if len(s) <= 12)
            t_run, _, t_words = list_run(title_norm)
            d_run, d_in_runs, d_words = list_run(desc) if desc else (0, 0, 0)
            extra = (
                _bundle_shape(
                    desc, desc_spans, title_norm, title_spans, self.lexicon.canonical(listing.brand)
                )
                if v2
                else ()
            )
            out[i] = (
                lp,
                (lp - bref) if bref is not None else 0.0,
                1.0 if bref is not None else 0.0,
                bref if bref is not None else 0.0,
                lp - cref,
                len(mentions),
                len(set(mentions)),
                len(desc_mentions) / n_seg,
                n_hash,
                n_hash / n_seg,
                math.log1p(len(desc)),
                math.log1p(len(segments)),
                len(set(segments)) / n_seg,
                short / n_seg if len(segments) >= 8 else 0.0,
                _DIGIT.subn("", text)[1] / max(len(text), 1),
                len(listing.title),
                *seller_features(listing),
                _luxury_floor_ratio(lp, brand, mentions, text),
                t_words,
                t_run,
                d_run,
                d_in_runs / max(d_words, 1),
                *lexicon_counts(text),
                *evasion_counts(f"{listing.title} {listing.description}"),
                *extra,
            )
        return out


# Between two brand names of a wall there is only punctuation, hashes and spaces ("chanel / dior
# #gucci"); in a bundle lot there are the items ("chanel lipstick, dior palette").
_GAP_ONLY_SEPARATORS = re.compile(r"[\s,、，/|・;；#＃&+＋\-_.。:：()（）\[\]【】「」]*")
_WORD_CHAR = re.compile(r"\w")
_NEXT_WORD = re.compile(r"\s?[^\s,、，/|・;；#＃]")
# Words that say "this is a lot of several things": まとめ売り, セット, 点, lot, bundle, set of, x3
# RE2 (linear time, ~4x faster here than ``re``: this runs on every listing); its ``\b`` is ASCII-only,
# so "9×" right after katakana counts as a quantity.
_BUNDLE = re2.compile(
    r"まとめ|セット|詰め合わせ|福袋|\d+\s*(?:点|個|本|枚|冊|着|足|箱)|(?:全|計)\s*\d+|\bbundle\b|\blot\b|"
    r"\bset of\b|\b\d+\s*(?:pcs|pieces|items)\b|[x×]\s*\d\b|\b\d\s*[x×]"
)


def _bundle_shape(
    desc: str,
    desc_spans: list[tuple[int, int, str]],
    title: str,
    title_spans: list[tuple[int, int, str]],
    own_brand: str | None,
) -> tuple[float, float, float, float]:
    """Keyword-stuffing shape against an honest bundle lot (feature set 2).

    * ``brand_adjacent_share``: of consecutive brand mentions (title and description separately),
      the share with nothing but separators between them — a brand wall is ~1, a lot that names
      each item ~0;
    * ``n_other_brands``: distinct brands named that are not the listing's own brand field;
    * ``bundle_markers``: words that announce a lot (まとめ売り, 3点, set of, bundle, x2);
    * ``brands_with_items_share``: of brand mentions, the share followed by a non-brand word
      before the next separator run ("dior palette") rather than by another brand.
    """
    pairs = adjacent = followed = 0
    for text, spans in ((title, title_spans), (desc, desc_spans)):
        for (_, end, _), (start, _, _) in pairwise(spans):
            pairs += 1
            gap = text[end + 1 : start]
            if _GAP_ONLY_SEPARATORS.fullmatch(gap):
                adjacent += 1
            elif _WORD_CHAR.search(gap):
                followed += 1
        if spans:
            tail = text[spans[-1][1] + 1 : spans[-1][1] + 12]
            followed += 1 if _NEXT_WORD.match(tail) else 0
    n_mentions = len(desc_spans) + len(title_spans)
    brands = {c for _, _, c in desc_spans} | {c for _, _, c in title_spans}
    return (
        adjacent / pairs if pairs else 0.0,
        float(len(brands - {own_brand})) if own_brand else float(len(brands)),
        float(len(_BUNDLE.findall(f"{title} {desc}"))),
        followed / n_mentions if n_mentions else 0.0,
    )


def _luxury_floor_ratio(log_price: float, brand: str | None, mentions: list[str], text: str = "") -> float:
    """log(price / the floor) of the brand, the priciest luxury brand named, or the priciest model named
    (``PRODUCT_FLOOR_JPY``: a Birkin, a Submariner, AirPods Pro); NaN if none."""
    floors = [LUXURY_FLOOR_JPY[b] for b in ([brand] if brand else []) + mentions if b in LUXURY_FLOOR_JPY]
    floors += product_floors(text)
    if not floors:
        return _NAN
    return log_price - math.log1p(max(floors))


def known_brands(listings: Iterable[Listing]) -> list[str]:
    """Brand names from the ``brand`` field of training listings (added to the lexicon)."""
    return sorted({x.brand for x in listings if x.brand})
