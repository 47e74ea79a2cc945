"""Hard negatives: clean listings that share words, brands or prices with the prohibited ones.

A genuine Louis Vuitton wallet with its receipt, a card case, a book on cash flow, gift wrapping,
Pokémon cards, new lingerie in its packaging, a phone case "for Apple iPhone": a model that has only
learnt "brand word" or "card word" flags all of these. Each is tagged ``hard_negative:<kind>``.

The table of the simple kinds (innocent goods named like prohibited ones) is in ``negatives_goods``;
this module holds the kinds that start from a branded listing and the builder, :func:`hard_negative`.
"""

from __future__ import annotations

import math
import random

from synth import phrases
from synth.compose import Draft, base, fill, make_description, make_title, pick_brand, spell
from synth.negatives_goods import GOODS
from synth.vocab import BRAND_BY_NAME, BRANDS, LUXURY
from synth.vocab_types import Item

KINDS = (
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
    "adult_word_benign",
    "massage",
    "brand_packaging",
    "few_hashtags",
    "similar_brands",
    "cash_brand_product",
    "money_box",
    "age_rating",
    "adult_size",
    "fake_word_benign",
    "official_replica",
    "copy_word_benign",
    "worn_genuine",
)
_WEIGHTS = (16, 8, 6, 6, 9, 6, 9, 6, 5, 5, 5, 4, 5, 5, 6, 5, 4, 4, 4, 4, 4, 4, 8)

_PROOF = {
    "ja": (
        "正規品です。",
        "購入証明書（レシート）あり。",
        "{y}年に直営店で購入、レシートあります。",
        "ギャランティカード付きです。",
        "ブランド買取店で鑑定済みです。",
        "大黒屋で鑑定済みの正規品です。",
        "国内正規店で購入しました。",
        "購入時のレシートをお付けします。",
    ),
    "en": (
        "Authentic, receipt included.",
        "Comes with proof of purchase.",
        "Authenticated by a reseller.",
        "Bought at the boutique in {y}, receipt available.",
        "With authenticity card.",
    ),
}
_WORN = {
    "ja": (
        "ジャンク品です。角スレ、ベタつきがあります。",
        "使用感が強く、内側に汚れがあります。",
        "難ありのため格安です。修理前提でどうぞ。",
        "型崩れ、剥がれがあります。ジャンク扱いで。",
        "ベルトが切れています。部品取りにどうぞ。",
    ),
    "en": (
        "Heavily used: worn corners, peeling inside. Sold as is.",
        "For parts or repair, the strap is broken.",
        "Well loved, lots of wear, priced accordingly.",
    ),
}
_NOT_REPLICA = {
    "ja": (
        "レプリカではありません。",
        "コピー品ではなく正規品です。",
        "偽物ではありませんのでご安心ください。",
        "N品やコピー品ではございません。",
        "本物です、スーパーコピー等ではありません。",
    ),
    "en": (
        "Not a replica.",
        "100% authentic, not a fake.",
        "This is not a copy or a rep.",
        "No replicas here, genuine only.",
    ),
}
_COMPATIBLE_LINES = {
    "ja": ("純正品ではありません。", "{b}製品に対応しています。", "互換品です。", "{b}純正ではありません。"),
    "en": ("Not made by {b}, compatible only.", "Third-party accessory for {b} devices."),
}
# accessories for a brand's products, made by someone else: (ja, en, brand, category, median yen)
_COMPATIBLE = (
    ("iPhone 13 対応 ケース 手帳型", "case compatible with Apple iPhone 13", "Apple", "smartphones", 900),
    ("AirPods Pro ケース シリコン", "silicone case for AirPods Pro", "Apple", "electronics", 600),
    ("Apple Watch 互換 バンド 41mm", "band compatible with Apple Watch 41mm", "Apple", "electronics", 800),
    ("Nintendo Switch 対応 保護フィルム", "screen protector for Nintendo Switch", "Nintendo", "games", 500),
    (
        "Switch 有機EL 対応 キャリングケース",
        "carrying case for Nintendo Switch OLED",
        "Nintendo",
        "games",
        1_200,
    ),
    (
        "PS5 対応 コントローラー 充電スタンド",
        "charging stand for Sony PS5 controllers",
        "Sony",
        "games",
        1_500,
    ),
    ("Galaxy S22 対応 充電器", "charger for Samsung Galaxy S22", "Samsung", "smartphones", 1_000),
    ("ダイソン V10 互換 バッテリー", "replacement battery for Dyson V10", "Dyson", "home", 3_000),
    ("キヤノン EF 対応 レンズフード", "lens hood for Canon EF lenses", "Canon", "electronics", 900),
    ("ナイキ スニーカー 用 替え紐", "replacement laces for Nike sneakers", "Nike", "fashion/shoes", 500),
    ("ルクルーゼ 20cm 用 鍋敷き", "trivet for Le Creuset 20cm pots", "Le Creuset", "home", 700),
    ("G-SHOCK 対応 替えベルト", "replacement strap for Casio G-Shock", "Casio", "watches", 1_100),
    ("Apple Watch Ultra 対応 バンド 49mm", "band for Apple Watch Ultra 49mm", "Apple", "electronics", 1_000),
    ("バーキン30 用 バッグインバッグ", "organizer insert for Birkin 30", "Hermès", "fashion/bags", 2_500),
    ("サブマリーナ 互換 ラバーベルト", "rubber strap for Rolex Submariner", "Rolex", "watches", 3_000),
    ("ネヴァーフル 用 インナーバッグ", "bag insert for Neverfull MM", "Louis Vuitton", "fashion/bags", 2_000),
)
_WALLET_CATEGORIES = ("fashion/wallets", "fashion/bags")
_WALLET_BRANDS = tuple(b for b in BRANDS if any(x.category in _WALLET_CATEGORIES for x in b.items))
_SIMILAR = {
    "ja": (
        "{o}が好きな方にもおすすめです。",
        "{o}のスニーカーに合わせやすいです。",
        "{o}と一緒に使っていました。",
        "{o}のパンツと合わせています（写真参照）。",
    ),
    "en": ("Pairs well with {o}.", "If you like {o}, you'll like this.", "Styled with {o} in the photos."),
}
_PACKAGING = ("ショッパー 紙袋", "空箱", "保存袋", "リボン付き 箱", "ショップ袋 3枚", "ギフトボックス 空箱")
_PACKAGING_EN = ("shopping bag", "empty box", "dust bag", "gift box with ribbon")


def hard_negative(rng: random.Random, lang: str) -> Draft:
    kind = rng.choices(KINDS, _WEIGHTS)[0]
    if kind == "brand_mention":
        d = _compatible(rng, lang)
    elif kind == "worn_genuine":  # the genuine article, cheap because it is worn out: price is no proof
        brand = rng.choice(LUXURY)
        d = base(rng, lang, brand, cond=rng.choice((4, 5)))
        d.brand_field = brand.name
        d.insert(rng, rng.choice(_WORN[lang]))
        if rng.random() < 0.5:
            d.insert(rng, fill(rng, rng.choice(_PROOF[lang]), "", ""))
        if d.item is not None:
            d.price = d.item.median * rng.uniform(0.08, 0.35)
    elif kind in ("genuine_luxury", "not_replica"):
        brand = rng.choice(LUXURY)
        d = base(rng, lang, brand)
        d.brand_field = brand.name
        texts = _PROOF if kind == "genuine_luxury" else _NOT_REPLICA
        for t in rng.sample(texts[lang], rng.randint(1, 2)):
            d.insert(rng, fill(rng, t, "", ""))
        if rng.random() < 0.4:
            d.title = ("【正規品】" if lang == "ja" else "Authentic ") + d.title
        if d.item is not None:  # a fair price: what the genuine article resells for
            d.price = min(max(d.price, d.item.median * 0.45), d.item.median * 1.4)
    elif kind == "brand_packaging":
        brand = rng.choice(LUXURY)
        b = spell(rng, brand, lang)
        name = rng.choice(_PACKAGING if lang == "ja" else _PACKAGING_EN)
        item = Item("fashion/accessories", name, name, 900)
        d = base(rng, lang, brand, item)
        d.title = make_title(rng, lang, b, name, item.category)
        d.brand_field = brand.name if rng.random() < 0.7 else None
        d.insert(rng, "中身はありません。" if lang == "ja" else "Packaging only, no item.")
    elif kind == "few_hashtags":
        brand = pick_brand(rng)
        d = base(rng, lang, brand)
        own = phrases.OWN_TAGS_JA if lang == "ja" else phrases.OWN_TAGS_EN
        tags = [spell(rng, brand, lang).replace(" ", ""), *rng.sample(own, rng.randint(1, 3))]
        d.parts = [p for p in d.parts if not p.startswith("#")]  # one short hashtag line, not two
        d.parts.append(" ".join("#" + t for t in tags))
    elif kind == "similar_brands":  # one or two other brands named for a reason, not a list
        brand = pick_brand(rng)
        d = base(rng, lang, brand)
        others = [spell(rng, pick_brand(rng), lang) for _ in range(rng.randint(1, 2))]
        d.insert(rng, rng.choice(_SIMILAR[lang]).format(o=("や" if lang == "ja" else " or ").join(others)))
    else:
        d = _simple(rng, lang, kind)
    d.tags.append(f"hard_negative:{kind}")
    return d


def _compatible(rng: random.Random, lang: str) -> Draft:
    ja, en, bname, category, median = rng.choice(_COMPATIBLE)
    name = ja if lang == "ja" else en
    title = make_title(rng, lang, "", name, category)
    parts = make_description(rng, lang, "", name, category, 1)
    price = median * math.exp(rng.gauss(0.0, 0.4))
    d = Draft(lang, title, parts, price, category, None, Item(category, ja, en, median), 1)
    b = spell(rng, BRAND_BY_NAME[bname], lang)
    d.insert(rng, fill(rng, rng.choice(_COMPATIBLE_LINES[lang]), b, name))
    return d


def _simple(rng: random.Random, lang: str, kind: str) -> Draft:
    spec = GOODS[kind]
    name = rng.choice(spec.ja if lang == "ja" else spec.en)
    median = spec.median
    brand = None
    if kind in ("card_case", "coin_case") and rng.random() < 0.5:
        brand = rng.choice(_WALLET_BRANDS)
        median = {"luxury": 28_000.0, "street": 9_000.0, "premium": 7_000.0}.get(brand.tier, median)
    b = spell(rng, brand, lang) if brand is not None else ""
    title = make_title(rng, lang, b, name, spec.category)
    parts = make_description(rng, lang, b, name, spec.category, rng.choice((0, 1, 2, 2, 3)))
    line = fill(rng, rng.choice(spec.lines_ja if lang == "ja" else spec.lines_en), b, name)
    parts.insert(min(len(parts), rng.randint(1, 2)), line)
    price = median * math.exp(rng.gauss(0.0, 0.5))
    return Draft(lang, title, parts, price, spec.category, brand, Item(spec.category, name, name, median), 2)
