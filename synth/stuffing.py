"""Keyword stuffing: an otherwise ordinary listing padded with brand names and search words.

The padding takes the shapes seen on real marketplaces: hashtags, a bare list, a "検索用" block, a
"... 好きな方にも" sentence, brands crammed into the title. 8 to 30 terms, mostly other brands.
"""

from __future__ import annotations

import random

from synth import phrases
from synth.compose import Draft
from synth.vocab import BRANDS

STYLES = (
    "hashtags",
    "space_list",
    "comma_list",
    "search_label",
    "fans_of",
    "title_padding",
    "newline_list",
    "mid_block",
)
_WEIGHTS = (22, 14, 12, 16, 12, 8, 8, 8)
_LABELS_JA = (
    "検索用：",
    "検索ワード:",
    "関連ワード：",
    "#検索用 ",
    "【検索キーワード】",
    "検索用キーワード→",
    "タグ：",
)
_LABELS_EN = ("Tags: ", "Search terms: ", "keywords: ", "Related: ", "tags - ")
_FANS_JA = (
    "好きな方にも",
    "などお好きな方に",
    "がお好きな方にオススメです",
    "好きな方ぜひ",
    "系が好きな方にも",
)
_FANS_EN = (" fans will love it", " lovers", " - if you like any of these", " style")


def terms(
    rng: random.Random, lang: str, n: int, *, exclude: str | None = None, brand_share: float = 0.75
) -> list[str]:
    """``n`` distinct stuffing terms: brand names in the seller's scripts, plus search words."""
    out: list[str] = []
    seen: set[str] = set()
    searches = phrases.SEARCH_TERMS_JA if lang == "ja" else phrases.SEARCH_TERMS_EN
    # a third of stuffers pad with popular names (franchises, games, artists) instead of brands
    names = phrases.POPULAR_NAMES_JA if lang == "ja" else phrases.POPULAR_NAMES_EN
    popular = rng.random() < 0.33
    while len(out) < n:
        if popular and rng.random() < 0.8:
            t = rng.choice(names)
        elif rng.random() < brand_share:
            b = rng.choice(BRANDS)
            if b.name == exclude:
                continue
            r = rng.random()
            if lang == "ja" and r < 0.6:
                t = b.ja
            elif r < 0.85:
                t = b.name
            else:
                alts = b.alts if lang == "ja" else tuple(x for x in b.alts if x.isascii()) or (b.name,)
                t = rng.choice(alts)
        else:
            t = rng.choice(searches)
        if t not in seen:
            seen.add(t)
            out.append(t)
    return out


def stuff(rng: random.Random, d: Draft) -> None:
    """Pad ``d`` in place and tag it ``keyword_stuffing:<style>``."""
    style = rng.choices(STYLES, _WEIGHTS)[0]
    lang = d.lang
    exclude = d.brand.name if d.brand is not None else None
    n = rng.randint(8, 30)
    words = terms(rng, lang, n, exclude=exclude, brand_share=1.0 if style == "fans_of" else 0.75)
    if style == "hashtags":
        block = rng.choice((" ", "\n", "")).join("#" + w.replace(" ", "") for w in words)
    elif style == "space_list":
        block = rng.choice((" ", "\u3000")).join(words)
    elif style == "comma_list":
        block = rng.choice(("、", ", ", ",", "・", "/")).join(words)
    elif style == "search_label":
        label = rng.choice(_LABELS_JA if lang == "ja" else _LABELS_EN)
        block = label + rng.choice((" ", "、", ", ", "/")).join(words)
    elif style == "fans_of":
        block = " ".join(words) + rng.choice(_FANS_JA if lang == "ja" else _FANS_EN)
    elif style == "title_padding":
        k = rng.randint(4, min(8, n - 4))
        d.title = d.title + " " + " ".join(words[:k])
        block = " ".join(words[k:])
    elif style == "newline_list":
        block = "\n".join(words)
    else:
        block = " ".join(words)
    if style == "mid_block" and d.parts:
        d.insert(rng, block)
    else:
        d.parts.append(block)
    d.tags.append(f"keyword_stuffing:{style}")
