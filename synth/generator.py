"""A seeded synthetic marketplace: labelled listing events for training, evaluation and load tests.

No labelled listing corpus exists offline, so models are trained and judged on this one. It aims to
be hard in the ways real data is: many templates and independently sampled phrase fragments in
Japanese and English, typos, full-width and half-width characters, emoji; every violation in several
disguises (recorded in ``tags``); and hard negatives that share words, brands or prices with the
violations. Everything is drawn from one ``random.Random(seed)``: the same arguments give the same
bytes. ``occurred_at`` grows with the row index (with an evening peak, Japan time), so a time split
of the file is a meaningful offline evaluation.
"""

from __future__ import annotations

import json
import math
import os
import random
import unicodedata
import uuid
import zlib
from bisect import bisect_right
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from pathlib import Path
from typing import Any

from lovemachine.categories import ADULT, CASH, CATEGORIES, COUNTERFEIT, KEYWORD_STUFFING
from synth import compose, trends
from synth.negatives import hard_negative
from synth.stuffing import stuff
from synth.violations_adult import add_adult, adult
from synth.violations_cash import add_cash, cash
from synth.violations_counterfeit import counterfeit
from synth.vocab import BRAND_BY_NAME, CONDITIONS_EN, CONDITIONS_JA, USD_JPY

DEFAULT_RATES: dict[str, float] = {COUNTERFEIT: 0.07, ADULT: 0.04, CASH: 0.05, KEYWORD_STUFFING: 0.05}
# share of clean listings that are hard negatives; override with rates["hard_negative"]
HARD_NEGATIVE_RATE = 0.15
DEFAULT_START = datetime(2026, 10, 1, tzinfo=UTC)
JA_SHARE = 0.7
USD_SHARE_EN = 0.12  # English listings priced in dollars; the rest are in yen like everything else
IMAGE_HOST = "https://img.lovemachine.invalid"

# relative listing activity by hour of day, Japan time (UTC+9): quiet nights, an evening peak
_JST_HOURLY = (
    0.6,
    0.4,
    0.25,
    0.15,
    0.1,
    0.1,
    0.2,
    0.4,
    0.6,
    0.7,
    0.8,
    0.9,
    1.0,
    1.0,
    0.9,
    0.9,
    1.0,
    1.1,
    1.3,
    1.5,
    1.8,
    2.0,
    1.8,
    1.2,
)


def generate(
    n: int,
    *,
    seed: int = 0,
    start: datetime | None = None,
    days: int = 30,
    rates: Mapping[str, float] | None = None,
    id_prefix: str = "L",
    image_host: str = IMAGE_HOST,
    trend: str | None = None,
    trend_share: float = 0.1,
) -> Iterator[dict[str, Any]]:
    """Yield ``n`` labelled listing events as JSON-ready dicts (see ``LabelledListing``).

    ``rates`` maps a category to the per-listing probability of that violation (missing categories
    keep ``DEFAULT_RATES``); the extra key ``hard_negative`` sets the share of clean listings that are
    hard negatives. Violations are drawn independently, so multi-label listings occur. Image URLs
    point at ``image_host`` (the demo serves synthetic photos from a local host).

    ``trend`` (one of ``synth.trends.TRENDS``, e.g. ``"giftcard_slang"``) shifts the
    stream: each listing is, with probability ``trend_share``, rewritten as a violation in the trend's
    new wording and tagged ``trend:<name>`` (``synth.trends``). Those draws come from a
    second random stream, so every other listing is exactly what ``trend=None`` gives.
    """
    if n < 0:
        raise ValueError("n must be >= 0")
    if days <= 0:
        raise ValueError("days must be > 0")
    probs, hard_rate = _rates(rates)
    shift: _Trend | None = None
    if trend is not None:
        if trend not in trends.TRENDS:
            raise ValueError(f"unknown trend {trend!r}; expected one of {', '.join(trends.TRENDS)}")
        if not (math.isfinite(trend_share) and 0.0 <= trend_share <= 1.0):
            raise ValueError(f"trend_share must be in [0, 1], got {trend_share!r}")
        shift = _Trend(trend, trend_share, random.Random(zlib.crc32(f"trend:{trend}:{seed}".encode())))
    if start is None:
        t0 = DEFAULT_START
    else:
        t0 = start.replace(tzinfo=UTC) if start.tzinfo is None else start.astimezone(UTC)
    return _rows(n, random.Random(seed), t0, days, probs, hard_rate, id_prefix, image_host.rstrip("/"), shift)


def write_jsonl(
    path: str | Path, n: int, *, seed: int = 0, progress: Callable[[int], None] | None = None, **kw: Any
) -> int:
    """Write ``generate(n, seed=seed, **kw)`` as JSON Lines (UTF-8, one object per line); return ``n``.

    ``progress(k)`` is called every 1,000 rows and at the end with the number of rows written. The
    file appears atomically: rows go to a temporary file that replaces ``path`` when complete.
    """
    rows = generate(n, seed=seed, **kw)  # validates the arguments before any file is touched
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    k = 0
    try:
        with tmp.open("w", encoding="utf-8", newline="\n") as f:
            for k, row in enumerate(rows, 1):
                f.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")))
                f.write("\n")
                if progress is not None and k % 1000 == 0:
                    progress(k)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if progress is not None and k % 1000:
        progress(k)
    return n


def reference_price(brand: str | None, text: str) -> float | None:
    """The catalogue median price (JPY) of the ``brand`` product named in ``text``, if any.

    Evaluation reports and tests use it to check price disguises ("a Birkin at 4% of its price").
    """
    b = BRAND_BY_NAME.get(brand or "")
    if b is None:
        return None
    norm = _norm(text)
    best: tuple[int, float] | None = None
    for item in b.items:
        for name in (item.ja, item.en):
            key = _norm(name)
            if key in norm and (best is None or len(key) > best[0]):
                best = (len(key), item.median)
    return best[1] if best else None


def _norm(s: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", s).lower().split())


def _rates(rates: Mapping[str, float] | None) -> tuple[dict[str, float], float]:
    probs = dict(DEFAULT_RATES)
    hard = HARD_NEGATIVE_RATE
    for key, value in (rates or {}).items():
        v = float(value)
        if not (math.isfinite(v) and 0.0 <= v <= 1.0):
            raise ValueError(f"rate for {key!r} must be in [0, 1], got {value!r}")
        if key == "hard_negative":
            hard = v
        elif key in CATEGORIES:
            probs[key] = v
        else:
            raise ValueError(f"unknown rate {key!r}; expected one of {', '.join(CATEGORIES)}, hard_negative")
    return probs, hard


class _Clock:
    """Maps row index -> timestamp: non-decreasing, spread over ``days`` with a daily rhythm."""

    def __init__(self, start: datetime, days: int, n: int) -> None:
        self.start = start
        self.n = max(n, 1)
        weights = []
        for h in range(days * 24):
            t = start + timedelta(hours=h, minutes=540)  # JST
            weights.append(_JST_HOURLY[t.hour] * (1.25 if t.weekday() >= 5 else 1.0))
        self.weights = weights
        self.cum = list(accumulate(weights))
        self.total = self.cum[-1]

    def at(self, index: int, r: float) -> str:
        u = (index + r) / self.n * self.total
        h = min(bisect_right(self.cum, u), len(self.cum) - 1)
        before = self.cum[h - 1] if h else 0.0
        frac = min(max((u - before) / self.weights[h], 0.0), 0.999999)
        t = self.start + timedelta(seconds=int((h + frac) * 3600))
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")


class _Sellers:
    """A seller pool with a long tail of activity and a few repeat violators."""

    def __init__(self, rng: random.Random, n: int) -> None:
        size = max(20, n // 5)
        self.ids = [f"u{x}" for x in rng.sample(range(10_000_000, 100_000_000), size)]
        k = max(3, size // 100)
        self.regular = self.ids[:-k]
        self.violators = self.ids[-k:]
        self._violator_set = frozenset(self.violators)

    def profile(self, seller_id: str, listing_index: int) -> dict[str, Any] | None:
        """What the marketplace knows of the seller (deterministic per seller; ~8% of events omit it).

        Repeat violators run young, thinly rated accounts; ordinary sellers span every age. The
        signal is deliberately weak: most violations come from ordinary accounts, and plenty of
        honest sellers are new.
        """
        r = random.Random(zlib.crc32(f"{seller_id}:{listing_index}".encode()))
        if r.random() < 0.08:
            return None
        p = random.Random(zlib.crc32(seller_id.encode()))
        if seller_id in self._violator_set:
            age = p.lognormvariate(math.log(20), 1.0)
            listings = int(p.lognormvariate(math.log(6), 1.0))
            rated = int(listings * p.uniform(0.1, 0.6))
            rating = round(p.uniform(3.2, 5.0), 2) if rated else None
            verified = p.random() < 0.15
        else:
            age = p.lognormvariate(math.log(400), 1.2)
            listings = int(p.lognormvariate(math.log(25), 1.3))
            rated = int(listings * p.uniform(0.5, 1.0))
            rating = round(min(5.0, p.gauss(4.8, 0.25)), 2) if rated else None
            verified = p.random() < 0.55
        # the account keeps ageing while the stream runs
        return {
            "account_age_days": round(age + listing_index / 5000, 1),
            "listings_count": listings,
            "ratings_count": rated,
            "rating": rating,
            "identity_verified": verified,
        }

    def pick(self, rng: random.Random, violating: bool) -> str:
        if violating and rng.random() < 0.35:
            return rng.choice(self.violators)
        return self.regular[int(len(self.regular) * rng.random() ** 1.7)]


@dataclass(frozen=True)
class _Trend:
    name: str
    share: float
    rng: random.Random


def _rows(
    n: int,
    rng: random.Random,
    start: datetime,
    days: int,
    probs: dict[str, float],
    hard_rate: float,
    id_prefix: str,
    image_host: str,
    shift: _Trend | None = None,
) -> Iterator[dict[str, Any]]:
    clock = _Clock(start, days, n)
    sellers = _Sellers(rng, n)
    for index in range(n):
        row = _row(rng, index, clock, sellers, probs, hard_rate, id_prefix, image_host)
        if shift is not None and shift.rng.random() < shift.share:
            row = trends.shift(shift.rng, row, shift.name)
        yield row


def _row(
    rng: random.Random,
    index: int,
    clock: _Clock,
    sellers: _Sellers,
    probs: dict[str, float],
    hard_rate: float,
    id_prefix: str,
    image_host: str = IMAGE_HOST,
) -> dict[str, Any]:
    ja = rng.random() < JA_SHARE
    lang = "ja" if ja else "en"
    labels = {c: int(rng.random() < probs[c]) for c in CATEGORIES}
    fake, adu, csh, stf = labels[COUNTERFEIT], labels[ADULT], labels[CASH], labels[KEYWORD_STUFFING]
    if fake:
        d = counterfeit(rng, lang)
        if csh:
            add_cash(rng, d)
        if adu:
            add_adult(rng, d)
    elif adu and csh:
        if rng.random() < 0.5:
            d = adult(rng, lang)
            add_cash(rng, d)
        else:
            d = cash(rng, lang)
            add_adult(rng, d)
    elif adu:
        d = adult(rng, lang)
    elif csh:
        d = cash(rng, lang)
    elif not stf and rng.random() < hard_rate:
        d = hard_negative(rng, lang)
    else:
        d = compose.base(rng, lang, compose.pick_brand(rng) if rng.random() < 0.6 else None)
    if stf:
        stuff(rng, d)
    compose.noisy(rng, d)

    listing_id = f"{id_prefix}{index:08d}"
    yen = compose.round_yen(rng, d.price)
    if not ja and rng.random() < USD_SHARE_EN:
        price: float = compose.to_usd(rng, yen, USD_JPY)
        currency = "USD"
    else:
        price, currency = yen, "JPY"
    r = rng.random()
    version = 1 if r < 0.85 else (2 if r < 0.95 else 3)
    condition = None if rng.random() < 0.03 else (CONDITIONS_JA if ja else CONDITIONS_EN)[d.cond]
    n_images = rng.choices((1, 2, 3, 4), cum_weights=(0.25, 0.5, 0.75, 1.0))[0]
    seller = sellers.pick(rng, bool(fake or adu or csh or stf))
    occurred_at = clock.at(index, rng.random())
    event_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    return {
        "event_id": event_id,
        "type": "listing.created" if version == 1 else "listing.updated",
        "occurred_at": occurred_at,
        "listing": {
            "id": listing_id,
            "version": version,
            "seller_id": seller,
            "title": d.title.strip()[:1000],
            "description": compose.join_parts(rng, d).strip()[:20_000],
            "price": price,
            "currency": currency,
            "category": d.category,
            "brand": d.brand_field,
            "condition": condition,
            "image_urls": [f"{image_host}/{listing_id}/{k}.jpg" for k in range(1, n_images + 1)],
            "locale": "ja-JP" if ja else ("en-US" if rng.random() < 0.8 else "en-GB"),
            "seller": sellers.profile(seller, index),
        },
        "labels": labels,
        "tags": d.tags,
    }
