"""Counterfeit listings in the disguises sellers actually use.

:func:`counterfeit` starts from an ordinary listing and changes only the part that gives it away, so the
rest of the text looks like everybody else's; the subtlest disguise (``low_price_only``) changes nothing
but the price. The disguise is recorded in ``tags`` (``counterfeit:low_price_only``,
``counterfeit:masked_brand`` ...). Cash and adult listings are in ``violations_cash`` and
``violations_adult``.
"""

from __future__ import annotations

import math
import random

from synth import phrases
from synth.compose import Draft, add_word, base, fill, make_description, make_title, pick_brand, spell
from synth.vocab import LUXURY
from synth.vocab_types import Brand

_TABLES = {"ja": phrases.JA, "en": phrases.EN}

# kind -> (words added to the title, sentences added to the description)
_FAKE: dict[str, dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "ja": {
        "novelty": (
            ("ノベルティ", "VIP ノベルティ", "非売品", "ノベルティ 非売品", "顧客限定"),
            (
                "{b}のノベルティ品です。",
                "VIP顧客限定のノベルティです。",
                "非売品のため箱はありません。",
                "ノベルティのため、本体のみの発送になります。",
                "百貨店のノベルティでいただきました。",
            ),
        ),
        "n_grade": (
            ("N品", "N級", "N級品", "Ｎ品"),
            (
                "N品になります。",
                "N級品ですがとても綺麗です。",
                "N品のため格安にしています。",
                "いわゆるN品です。",
            ),
        ),
        "replica": (
            (
                "高品質 レプリカ",
                "コピー品",
                "スーパーコピー",
                "S級品",
                "ミラー品",
                "レプリカ",
                "最高級コピー",
            ),
            (
                "高品質のレプリカです。",
                "コピー品ですが、作りはしっかりしています。",
                "スーパーコピー品のため格安です。",
                "S級品、正規品と比べても遜色ありません。",
                "最高ランクのミラー品です。",
                "レプリカと理解できる方のみ。",
            ),
        ),
        "like_genuine": (
            ("本物同様", "正規品同等", "本物そっくり"),
            (
                "本物同様の作りです。",
                "本物と見分けがつかないクオリティです。",
                "正規品と同等の品質です。",
                "本物と並べても分かりません。",
                "縫製、金具まで本物同様です。",
                "正規品ではありませんが、見た目は同じです。",
                "純正品ではありませんがロゴ入りです。",
                "本物ではないですが、作りはしっかりしています。",
            ),
        ),
        "stamp_cheap": (
            ("刻印あり 箱なし激安", "激安", "刻印あり", "シリアルあり 格安"),
            (
                "シリアルナンバー刻印あり、箱なしのため激安です。",
                "ロゴ刻印あり、ギャランティカード付き。",
                "箱なしのため激安価格で出品します。",
                "刻印もしっかり入っています。",
                "ホログラムシールあり。",
            ),
        ),
        "stock": (
            ("新品", "新品未使用 複数あり", "在庫処分", "大量入荷"),
            (
                "新品未使用です。複数在庫あります。",
                "他のサイズ・カラーもあります、コメントください。",
                "在庫処分のため格安で出品します。まとめ買い歓迎。",
                "海外から直送、複数ご購入可能です。",
                "大量入荷しました！全サイズ揃っています。",
            ),
        ),
        "authenticity_unknown": (
            ("真贋不明", "鑑定なし", "本物か不明"),
            (
                "真贋不明のため格安で出品します。",
                "鑑定はしていません。本物かどうか分かりません。",
                "フリマで購入したため真贋不明です。",
                "偽物の可能性もありますのでご理解ください。",
            ),
        ),
    },
    "en": {
        "stock": (
            ("NEW", "new with tags", "wholesale", "bulk"),
            (
                "Brand new, have several in stock.",
                "Bought in bulk, selling many. All sizes available.",
                "Have sizes S-XL and other colors, message me.",
                "Wholesale price, can do multiple pieces.",
                "New with tags, more in stock, fast shipping from overseas.",
            ),
        ),
        "replica_en": (
            ("1:1 mirror", "AAA quality", "replica", "rep", "UA", "top grade copy", "mirror quality", "AAA+"),
            (
                "1:1 mirror quality, identical to retail.",
                "AAA+ quality replica.",
                "High quality rep, best batch.",
                "Unauthorized authentic, same factory.",
                "Top grade copy, all details correct.",
                "Super clone, correct weight and movement.",
                "Not original, but you can't tell.",
                "Comes with box and papers (not original).",
            ),
        ),
        "like_genuine": (
            ("looks real", "1:1"),
            ("Looks 100% real.", "Indistinguishable from the original.", "Nobody can tell the difference."),
        ),
        "novelty": (
            ("VIP gift", "novelty"),
            ("VIP gift item, not sold in stores.", "Novelty item from {b}.", "Promotional VIP gift, no box."),
        ),
        "authenticity_unknown": (
            ("unverified",),
            (
                "Can't guarantee authenticity.",
                "Not sure if it's real, selling as is.",
                "No proof of authenticity, sold cheap.",
            ),
        ),
    },
}
_FAKE_KINDS = {
    "ja": (
        (
            "low_price_only",
            "novelty",
            "n_grade",
            "replica",
            "like_genuine",
            "stamp_cheap",
            "brand_style",
            "masked_brand",
            "authenticity_unknown",
            "stock",
        ),
        (18, 10, 10, 12, 9, 8, 9, 8, 7, 7),
    ),
    "en": (
        (
            "low_price_only",
            "replica_en",
            "inspired",
            "like_genuine",
            "novelty",
            "masked_brand",
            "authenticity_unknown",
            "stock",
        ),
        (22, 26, 14, 10, 8, 10, 8, 8),
    ),
}
_MASKS = ("○", "◯", "〇", "*", "●", "×", "☆")
_MASK_NOTE = {
    "ja": (
        "ブランド名は伏せています。",
        "察してください。",
        "某有名ブランドです。",
        "検索避けのため伏せ字です。",
    ),
    "en": ("Brand name hidden, you know who.", "Famous brand, DM for details."),
}
_GENUINE_CLAIM = {
    "ja": ("正規品です。", "本物です。", "鑑定済みです。", "確実正規品です。"),
    "en": ("100% authentic.", "Genuine item.", "Authentic, bought in store."),
}
_STYLE_NOTE = {
    "ja": (
        "ノーブランドですが{b}風のデザインです。",
        "{b}好きな方に。",
        "{b}っぽく見えます。",
        "ロゴは{b}のものではありません。",
    ),
    "en": (
        "Inspired design, not the original brand.",
        "Perfect dupe for the {b} look.",
        "Looks just like {b} for a fraction of the price.",
    ),
}
_GENERIC_NAMES = {
    "fashion/bags": ("バッグ", "bag"),
    "fashion/wallets": ("財布", "wallet"),
    "watches": ("腕時計", "watch"),
    "jewelry": ("ネックレス", "necklace"),
    "fashion/shoes": ("スニーカー", "sneakers"),
    "fashion/mens": ("パーカー", "hoodie"),
    "fashion/womens": ("コート", "coat"),
    "sports": ("ジャケット", "jacket"),
    "fashion/accessories": ("アクセサリー", "accessory"),
    "beauty": ("コスメ", "makeup"),
    "electronics": ("イヤホン", "earbuds"),
    "smartphones": ("スマホ", "phone"),
    "outdoor": ("リュック", "backpack"),
}


def mask(rng: random.Random, name: str) -> str:
    """Hide a brand name from keyword filters: ヴィ○ン, G.U.C.C.I, C H A N E L, 某ハイブランド."""
    r = rng.random()
    if len(name) >= 3 and r < 0.55:
        k = rng.randrange(1, len(name) - 1)
        return name[:k] + rng.choice(_MASKS) + name[k + 1 :]
    if name.isascii() and r < 0.85:
        return rng.choice((".", " ", "-", "_")).join(name.replace(" ", "").upper())
    if r < 0.92:
        return "\u200b".join(name)  # zero-width spaces between the letters
    return rng.choice(("某ハイブランド", "有名ブランド", "某Hブランド", "某高級ブランド"))


_SAYS_SO = frozenset({"n_grade", "replica", "replica_en", "like_genuine", "masked_brand", "stock"})


def counterfeit(rng: random.Random, lang: str) -> Draft:
    kinds, weights = _FAKE_KINDS[lang]
    kind = rng.choices(kinds, weights)[0]
    brand = pick_brand(rng, fake=True)
    items = brand.items
    if kind == "low_price_only":  # only worth faking what is expensive: a 1,800 yen pouch is no tell
        if not any(x.median >= 10_000 for x in items):
            brand = rng.choice(LUXURY)
        items = tuple(x for x in brand.items if x.median >= 10_000)
    item = rng.choice(items)
    d = base(rng, lang, brand, item, cond=rng.choice((0, 0, 1, 2)))
    d.tags.append(f"counterfeit:{kind}")
    i = item.ja if lang == "ja" else item.en
    ratio = rng.uniform(0.04, 0.22)
    if kind == "low_price_only":  # ordinary text, brand field filled in, 3-10% of the usual price
        ratio = rng.uniform(0.03, 0.10)
        d.brand_field = brand.name
        if rng.random() < 0.35:
            d.insert(rng, rng.choice(_GENUINE_CLAIM[lang]))
    elif kind in ("brand_style", "inspired"):
        _styled(rng, d, brand, lang)
        ratio = rng.uniform(0.01, 0.08)
    elif kind == "masked_brand":
        b = mask(rng, spell(rng, brand, lang))
        d.title = make_title(rng, lang, b, i, d.category)
        d.parts = make_description(rng, lang, b, i, d.category, d.cond) or [f"{b} {i}"]
        d.insert(rng, rng.choice(_MASK_NOTE[lang]))
        d.brand_field = None
    else:
        words, sentences = _FAKE[lang][kind]
        if rng.random() < 0.75:
            d.title = add_word(rng, d.title, rng.choice(words))
        d.insert(rng, fill(rng, rng.choice(sentences), spell(rng, brand, lang), i))
        if kind == "novelty":
            ratio = rng.uniform(1_500, 9_000) / item.median
        elif rng.random() < 0.3:
            d.brand_field = None
    if kind in _SAYS_SO and rng.random() < 0.35:
        # a fake that says what it is need not be cheap: replicas sell at a third to most of the
        # retail price, so price alone must not be what the text's meaning waits for
        ratio = rng.uniform(0.25, 0.9)
    if kind == "stock":
        ratio = rng.uniform(0.08, 0.45)
    d.price = item.median * ratio * math.exp(rng.gauss(0.0, 0.1))
    if kind == "low_price_only":
        d.price = min(d.price, item.median * 0.10)
    return d


def _styled(rng: random.Random, d: Draft, brand: Brand, lang: str) -> None:
    """A no-name item sold under a brand's name: ヴィトン風, Chanel-inspired, dupe."""
    b = spell(rng, brand, lang)
    ja, en = _GENERIC_NAMES.get(d.category, ("アイテム", "item"))
    if lang == "ja":
        styled = rng.choice((f"{b}風", f"{b}タイプ", f"{b}っぽい", f"{b}系", f"{b}風デザイン"))
        d.title = " ".join(x for x in (rng.choice(("", "ノーブランド", "【激安】")), styled, ja) if x)
    else:
        d.title = rng.choice((f"{b} inspired", f"{b}-style", f"{b} dupe", f"{b} look-alike")) + " " + en
    d.parts = [rng.choice(_STYLE_NOTE[lang]).format(b=b)]
    if rng.random() < 0.6:
        d.parts.append(rng.choice(_TABLES[lang]["shipping"]))
    d.brand_field = None
