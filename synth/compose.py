"""Composing one ordinary listing from independently sampled fragments, plus the seller's noise.

A :class:`Draft` is the mutable listing under construction; violation builders in ``disguises.py``
start from :func:`base` and change it. Every random choice goes through the ``random.Random`` passed
in, so a seed fixes the output.
"""

from __future__ import annotations

import math
import random
import unicodedata
from itertools import accumulate

from synth import phrases
from synth.vocab import BRANDS, COLORS_EN, COLORS_JA, DETAILS, GENERIC
from synth.vocab_types import Brand, Item

_BRAND_CUM = list(accumulate(b.weight for b in BRANDS))
_FAKE_CUM = list(accumulate(b.fake_weight for b in BRANDS))
_TABLES = {"ja": phrases.JA, "en": phrases.EN}
_NOBRAND = {lang: tuple(t for t in table["intro"] if "{b}" not in t) for lang, table in _TABLES.items()}
_NEW_STATE = {
    "ja": (
        "新品未使用です。",
        "未開封です。",
        "タグ付きの新品です。",
        "購入後、開封のみです。",
        "新品・未使用品です。",
    ),
    "en": ("Brand new, never used.", "Unopened.", "New with tags.", "Brand new in box."),
}
COND_PRICE = (1.25, 1.1, 1.0, 0.8, 0.6, 0.4)
_WEAR = ("fashion/womens", "fashion/mens", "fashion/shoes", "sports", "outdoor")
_KIND = dict.fromkeys(_WEAR, "wear") | dict.fromkeys(("fashion/bags", "fashion/wallets"), "bag")
_MIDDLE = (
    ("acquired", 0.4),
    ("usage", 0.5),
    ("measure", 0.25),
    ("included", 0.35),
    ("shipping", 0.65),
    ("home", 0.35),
    ("reason", 0.22),
    ("caution", 0.3),
)
_STATE_JA = ("新品・未使用", "未使用に近い", "目立った傷なし", "やや傷あり", "傷あり", "ジャンク")


class Draft:
    """A listing under construction (prices in yen; currency conversion happens at the end)."""

    __slots__ = (
        "brand",
        "brand_field",
        "category",
        "cond",
        "item",
        "lang",
        "parts",
        "price",
        "tags",
        "title",
    )

    def __init__(
        self,
        lang: str,
        title: str,
        parts: list[str],
        price: float,
        category: str,
        brand: Brand | None,
        item: Item | None,
        cond: int,
    ) -> None:
        self.lang = lang
        self.title = title
        self.parts = parts
        self.price = price
        self.category = category
        self.brand = brand
        self.brand_field: str | None = brand.name if brand is not None else None
        self.item = item
        self.cond = cond
        self.tags: list[str] = []

    def insert(self, rng: random.Random, text: str) -> None:
        """Put ``text`` somewhere after the opening lines (where sellers put the important bit)."""
        lo = min(2, len(self.parts))
        self.parts.insert(rng.randint(lo, len(self.parts)), text)


def pick_brand(rng: random.Random, *, fake: bool = False) -> Brand:
    return rng.choices(BRANDS, cum_weights=_FAKE_CUM if fake else _BRAND_CUM)[0]


def spell(rng: random.Random, brand: Brand, lang: str) -> str:
    """One of the spellings sellers use: katakana, canonical, upper case, or an alias."""
    r = rng.random()
    if lang == "ja":
        if r < 0.5:
            return brand.ja
        if r < 0.75:
            return brand.name
        if r < 0.85:
            return brand.name.upper()
        if r < 0.92:
            return f"{brand.name.upper()} {brand.ja}"
        return rng.choice(brand.alts)
    if r < 0.75:
        return brand.name
    if r < 0.9:
        return brand.name.upper()
    ascii_alts = [a for a in brand.alts if a.isascii()]
    return rng.choice(ascii_alts) if ascii_alts else brand.name


def item_name(rng: random.Random, item: Item, lang: str, *, branded: bool = True) -> str:
    if lang == "ja":
        return item.en if branded and rng.random() < 0.18 else item.ja
    return item.en


def fill(rng: random.Random, template: str, b: str, i: str) -> str:
    if "{" not in template:
        return template
    return template.format(
        b=b,
        i=i,
        y=rng.randint(2012, 2025),
        n=rng.randint(2, 45),
        m=rng.randint(10, 70),
        k=rng.randint(2, 15),
        w=rng.randrange(80, 1800, 10),
    )


def make_title(rng: random.Random, lang: str, b: str, i: str, category: str) -> str:
    table = _TABLES[lang]
    parts: list[str] = []
    if rng.random() < 0.38:
        parts.append(rng.choice(table["title_prefix"]))
    if rng.random() < 0.22:
        i = f"{rng.choice(table['qualifier'])} {i}"
    core = [b, i] if (not b or rng.random() < 0.85) else [i, b]
    parts.extend(x for x in core if x)
    if rng.random() < 0.35:
        parts.append(rng.choice(COLORS_JA if lang == "ja" else COLORS_EN))
    details = DETAILS.get(category)
    if details and rng.random() < 0.3:
        parts.append(rng.choice(details))
    if rng.random() < 0.3:
        parts.append(rng.choice(table["title_suffix"]))
    sep = " " if lang == "en" or rng.random() < 0.75 else rng.choice(("\u3000", "/", " ", "｜"))
    title = sep.join(parts)
    if lang == "en" and rng.random() < 0.1:
        title = title.upper()
    return title


def add_word(rng: random.Random, title: str, word: str) -> str:
    return f"{word} {title}" if rng.random() < 0.5 else f"{title} {word}"


def make_description(rng: random.Random, lang: str, b: str, i: str, category: str, cond: int) -> list[str]:
    table = _TABLES[lang]
    r = rng.random()
    if r < 0.05:
        return []
    if r < 0.15:
        return [rng.choice(table["short"])]
    if lang == "ja" and r < 0.27:
        return _structured(rng, b, i, cond)
    head: list[str] = []
    if rng.random() < 0.65:
        head.append(rng.choice(table["greeting"]))
    head.append(fill(rng, rng.choice(table["intro"] if b else _NOBRAND[lang]), b, i))
    mid: list[str] = []
    kind = _KIND.get(category, "")
    for key, p in _MIDDLE:
        if rng.random() >= p or (key == "usage" and cond == 0):
            continue
        if kind and (key == "measure" or (key == "usage" and kind == "wear")) and rng.random() < 0.7:
            key = f"{key}_{kind}"  # measure_bag, measure_wear, usage_wear
        mid.append(fill(rng, rng.choice(table[key]), b, i))
    mid.append(rng.choice(_NEW_STATE[lang]) if cond == 0 else rng.choice(table["state"]))
    rng.shuffle(mid)
    tail = [rng.choice(table["closing"])] if rng.random() < 0.6 else []
    if rng.random() < 0.08:
        own = phrases.OWN_TAGS_JA if lang == "ja" else phrases.OWN_TAGS_EN
        tags = ([b.replace(" ", "")] if b else []) + rng.sample(own, rng.randint(1, 3))
        tail.append(" ".join("#" + t for t in tags))
    return head + mid + tail


def _structured(rng: random.Random, b: str, i: str, cond: int) -> list[str]:
    bullet = rng.choice(("■", "◆", "●", "・", "【", "▶"))
    close = "】" if bullet == "【" else ""
    rows = [
        f"{bullet}ブランド{close}：{b}" if b else "",
        f"{bullet}商品名{close}：{i}",
        f"{bullet}状態{close}：{_STATE_JA[cond]}",
    ]
    if rng.random() < 0.5:
        rows.append(f"{bullet}カラー{close}：{rng.choice(COLORS_JA)}")
    if rng.random() < 0.5:
        rows.append(f"{bullet}サイズ{close}：" + fill(rng, rng.choice(phrases.JA["measure"][:2]), b, i))
    rows.append(rng.choice(phrases.JA["shipping"]))
    if rng.random() < 0.5:
        rows.append(rng.choice(phrases.JA["closing"]))
    return [r for r in rows if r]


def base(
    rng: random.Random, lang: str, brand: Brand | None, item: Item | None = None, cond: int | None = None
) -> Draft:
    """An ordinary listing of ``item`` (a random item of ``brand``, or a generic good when no brand)."""
    if item is None:
        item = rng.choice(brand.items) if brand is not None else rng.choice(GENERIC)
    if cond is None:
        cond = rng.choices(range(6), cum_weights=(0.18, 0.40, 0.73, 0.90, 0.97, 1.0))[0]
    b = spell(rng, brand, lang) if brand is not None else ""
    i = item_name(rng, item, lang, branded=brand is not None)
    title = make_title(rng, lang, b, i, item.category)
    parts = make_description(rng, lang, b, i, item.category, cond)
    price = item.median * math.exp(rng.gauss(0.0, 0.4)) * COND_PRICE[cond]
    d = Draft(lang, title, parts, price, item.category, brand, item, cond)
    if brand is not None and rng.random() < 0.12:
        d.brand_field = None  # the seller did not fill in the brand field
    return d


def round_yen(rng: random.Random, yen: float) -> int:
    """Prices as sellers set them: 300 yen minimum, round steps, a fair share of x80 and x99 endings."""
    x = min(max(yen, 300.0), 9_999_999.0)
    if x < 1_000:
        step = 50 if rng.random() < 0.6 else 10
    elif x < 10_000:
        step = 100 if rng.random() < 0.8 else 500
    elif x < 100_000:
        step = 1_000 if rng.random() < 0.6 else 500
    else:
        step = 10_000 if rng.random() < 0.5 else 1_000
    p = max(300, round(x / step) * step)
    if p >= 1_000 and rng.random() < 0.2:
        p -= rng.choice((20, 1 if p < 3_000 else 20, 100 if p >= 10_000 else 10))
    return p


def to_usd(rng: random.Random, yen: int, rate: float) -> float:
    usd = yen / rate
    if usd < 5:
        return round(usd, 2)
    return float(int(usd)) + (0.99 if rng.random() < 0.4 else 0.0)


# --- seller noise -----------------------------------------------------------------------------------

_FULLWIDTH = {c: c + 0xFEE0 for c in range(0x21, 0x7F)} | {0x20: 0x3000}
_HALF_KANA: dict[str, str] = {}
for _c in range(0xFF66, 0xFF9E):
    _h = chr(_c)
    _HALF_KANA.setdefault(unicodedata.normalize("NFKC", _h), _h)
    for _mark in ("\uff9e", "\uff9f"):
        _full = unicodedata.normalize("NFKC", _h + _mark)
        if len(_full) == 1:
            _HALF_KANA.setdefault(_full, _h + _mark)
_HALF_KANA["ー"] = "ｰ"
_HALF_TABLE = str.maketrans(_HALF_KANA)


def fullwidth(s: str) -> str:
    return s.translate(_FULLWIDTH)


def halfwidth_kana(s: str) -> str:
    return s.translate(_HALF_TABLE)


def typo(rng: random.Random, s: str) -> str:
    """Swap, drop or double one letter of one Latin word (the text stays readable)."""
    words = s.split(" ")
    idx = [k for k, w in enumerate(words) if len(w) >= 4 and w.isascii() and w.isalpha()]
    if not idx:
        return s
    k = rng.choice(idx)
    w = words[k]
    j = rng.randrange(1, len(w) - 2)
    r = rng.random()
    if r < 0.4:
        w = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    elif r < 0.7:
        w = w[:j] + w[j + 1 :]
    else:
        w = w[:j] + w[j] + w[j:]
    words[k] = w
    return " ".join(words)


def sprinkle_emoji(rng: random.Random, s: str) -> str:
    e = rng.choice(phrases.EMOJI) * rng.choice((1, 1, 2, 3))
    return f"{e}{s}" if rng.random() < 0.3 else f"{s}{e}"


def noisy(rng: random.Random, d: Draft) -> None:
    """Apply the everyday noise of real listings to the title and description in place."""
    r = rng.random()
    if r < 0.05:
        d.title = fullwidth(d.title)
    elif r < 0.08 and d.lang == "ja":
        d.title = halfwidth_kana(d.title)
    elif r < 0.16:
        d.title = sprinkle_emoji(rng, d.title)
    if d.lang == "en" and rng.random() < 0.12:
        d.title = typo(rng, d.title)
    if d.parts and rng.random() < 0.15:
        k = rng.randrange(len(d.parts))
        d.parts[k] = sprinkle_emoji(rng, d.parts[k])
    if d.parts and d.lang == "en" and rng.random() < 0.15:
        k = rng.randrange(len(d.parts))
        d.parts[k] = typo(rng, d.parts[k])
    if d.parts and rng.random() < 0.04:
        k = rng.randrange(len(d.parts))
        d.parts[k] = fullwidth(d.parts[k])


def join_parts(rng: random.Random, d: Draft) -> str:
    r = rng.random()
    if d.lang == "ja":
        sep = "\n" if r < 0.6 else ("" if r < 0.8 else ("\n\n" if r < 0.9 else " "))
    else:
        sep = "\n" if r < 0.5 else (" " if r < 0.9 else "\n\n")
    return sep.join(d.parts)
