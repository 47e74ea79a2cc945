"""Trend shifts: violations in wording the base generator never uses, for the demo of the loop.

Real marketplaces drift: a new slang for gift-card codes appears, sellers adopt it within days, and a
model trained on last month's listings has never seen it. :func:`shift` turns one generated listing
into such a violation, in place of what the generator drew for it (the id, time, seller, images and
locale stay), so a stream ``generate(..., trend=NAME, trend_share=p)`` is the usual marketplace with
a share ``p`` of listings in the new wording. Every trend listing is tagged ``trend:<name>`` (and
``cash:<name>``), so the catch rate on the new slang can be measured.

``giftcard_slang``: gift-card codes sold for cash under a few invented names (デジコ, ギフコ,
g-code, ecode drop, digi credz), the slang always in the title and the first line, as a new slang
spreads: sellers copy each other's wording. None of the names is in the policy lexicon
(``lovemachine.features.lexicon.TERMS``) or in the base generator's listings (tests check both),
and the surrounding text avoids the base generator's cash wording (ギフト券, 円分, gift card,
voucher ...), as sellers do once the old words get caught.
"""

from __future__ import annotations

import random
from typing import Any, Final

from lovemachine.categories import CASH, CATEGORIES
from synth import compose, phrases
from synth.vocab import FACE_VALUES, USD_JPY

TREND_TAG: Final = "trend:"

GIFTCARD_SLANG = "giftcard_slang"

SLANG_JA: Final[tuple[str, ...]] = ("デジコ", "でじこ", "ギフコ", "デジコード")
SLANG_EN: Final[tuple[str, ...]] = ("g-code", "ecode drop", "digi credz")

_TITLES_JA = (
    "{s} {a}",
    "【即日】{s} {a}",
    "{s} {a} すぐ使えます",
    "{s}　{a} 1点のみ",
    "{s} {a} お急ぎの方",
    "{s}（{a}）",
)
_OPENERS_JA = ("{s}{a}になります。", "{s}の{a}です。", "{s}{a}、お譲りします。", "{s}です（{a}）。")
_LINES_JA = (
    "お取引後すぐに英数字をお伝えします。",
    "発送物はありません（データのみ）。",
    "有効期限はまだ先です。",
    "即対応します。",
    "気になる方はコメントください。",
    "使う予定がなくなったので。",
)
_TITLES_EN = ("{s} {u} usd", "{s} ({u} bucks)", "fresh {s} {u}", "{s} x1 - {u}", "{s} {u} US region")
_OPENERS_EN = ("{s} worth {u} bucks.", "One {s}, {u} usd.", "Selling my {s} ({u}).")
_LINES_EN = (
    "Yours right after purchase.",
    "Nothing shipped, digits only.",
    "Unused, works in the US region.",
    "Quick deal, comment first.",
    "Bought too many {s}s.",
)
_CATEGORIES = ("other", "hobby", "games", "books", "electronics", "other")

TRENDS: Final[tuple[str, ...]] = (GIFTCARD_SLANG,)


def slang(name: str) -> tuple[str, ...]:
    """Every new term of trend ``name`` (both languages)."""
    _check(name)
    return SLANG_JA + SLANG_EN


def is_trend(tags: list[str] | tuple[str, ...]) -> bool:
    return any(t.startswith(TREND_TAG) for t in tags)


def _check(name: str) -> None:
    if name not in TRENDS:
        raise ValueError(f"unknown trend {name!r}; expected one of {', '.join(TRENDS)}")


def shift(rng: random.Random, row: dict[str, Any], name: str) -> dict[str, Any]:
    """``row`` (a generated listing event) rewritten as a violation of trend ``name``; a new dict."""
    _check(name)
    listing = dict(row["listing"])
    lang = "ja" if str(listing.get("locale", "ja")).startswith("ja") else "en"
    v = rng.choice(FACE_VALUES)
    yen = v * rng.uniform(0.82, 0.97)
    if lang == "ja":
        s = rng.choice(SLANG_JA)
        a = rng.choice((f"{v:,}", f"{v}", f"{v // 1000}k" if v >= 1000 else f"{v}", compose_yen(v)))
        title = rng.choice(_TITLES_JA).format(s=s, a=a)
        lines = [
            rng.choice(_OPENERS_JA).format(s=s, a=a),
            *(x.format(s=s, a=a) for x in rng.sample(_LINES_JA, rng.randint(1, 3))),
        ]
    else:
        s = rng.choice(SLANG_EN)
        u = max(5, v // 150 // 5 * 5)
        yen = u * USD_JPY * rng.uniform(0.82, 0.97)
        title = rng.choice(_TITLES_EN).format(s=s, u=u)
        lines = [
            rng.choice(_OPENERS_EN).format(s=s, u=u),
            *(x.format(s=s, u=u) for x in rng.sample(_LINES_EN, rng.randint(1, 3))),
        ]
    table = phrases.JA if lang == "ja" else phrases.EN
    if rng.random() < 0.5:
        lines.insert(0, rng.choice(table["greeting"]))
    d = compose.Draft(lang, title, lines, yen, rng.choice(_CATEGORIES), None, None, 0)
    compose.noisy(rng, d)
    price_yen = compose.round_yen(rng, d.price)
    if listing.get("currency") == "USD":
        listing["price"] = compose.to_usd(rng, price_yen, USD_JPY)
    else:
        listing["price"], listing["currency"] = price_yen, "JPY"
    listing.update(
        title=d.title.strip()[:1000],
        description=compose.join_parts(rng, d).strip()[:20_000],
        category=d.category,
        brand=None,
    )
    return {
        **row,
        "listing": listing,
        "labels": {c: int(c == CASH) for c in CATEGORIES},
        "tags": [f"{CASH}:{name}", f"{TREND_TAG}{name}"],
    }


def compose_yen(v: int) -> str:
    """A face value the way these sellers write it: 5千, 1万 (never 円分, which the old wording used)."""
    return f"{v // 10_000}万" if v % 10_000 == 0 else (f"{v // 1000}千" if v % 1000 == 0 else f"{v}")
