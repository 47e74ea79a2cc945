"""Prohibited listings in the disguises sellers actually use: counterfeits, adult goods, cash.

Each builder returns a :class:`~synth.compose.Draft` whose ``tags`` name the disguise
(``counterfeit:low_price_only``, ``cash:amagi_slang`` ...). Counterfeits start from an ordinary
listing and change only the part that gives them away, so the rest of the text looks like everybody
else's; the subtlest one (``low_price_only``) changes nothing but the price.
"""

from __future__ import annotations

import math
import random

from synth import phrases
from synth.compose import Draft, base, fill, make_description, make_title, pick_brand, spell
from synth.vocab import FACE_VALUES, LUXURY, Brand

_TABLES = {"ja": phrases.JA, "en": phrases.EN}

# --- counterfeit -------------------------------------------------------------------------------------

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


def add_word(rng: random.Random, title: str, word: str) -> str:
    return f"{word} {title}" if rng.random() < 0.5 else f"{title} {word}"


# --- cash and vouchers -------------------------------------------------------------------------------

_CARDS_JA = (
    "Amazonギフト券",
    "Amazonギフトカード",
    "アマゾンギフト券",
    "Appleギフトカード",
    "Google Playギフトカード",
    "iTunesカード",
    "楽天ギフトカード",
    "スタバカード",
    "ニンテンドープリペイドカード",
    "PlayStation Storeカード",
)
_VOUCHERS_JA = (
    "QUOカード",
    "クオカード",
    "JCBギフトカード",
    "VJAギフトカード",
    "全国百貨店共通商品券",
    "図書カード",
    "図書カードNEXT",
    "ビール券",
    "おこめ券",
    "ジェフグルメカード",
    "商品券",
)
_PREPAID_JA = ("Suica", "PASMO", "nanaco", "WAON", "バニラVisa", "Vプリカ", "プリペイドカード", "楽天Edy")
_EMONEY_JA = ("PayPay残高", "電子マネー", "楽天ポイント", "WAONポイント", "LINE Pay残高")
_EVASIONS_JA = (
    "ギ.フ.ト券",
    "ギ フ ト 券",
    "ギ\u200bフト券",
    "Ａｍａｚｏｎ ギフト",
    "商 品 券",
    "アマ◯ン ギフト",
    "A m a z o n カード",
    "ｷﾞﾌﾄｶｰﾄﾞ",
)
_HIDDEN_JA = ("封筒 1枚（中身あり）", "お守り（中に1万円札入り）", "ポチ袋 現金入り", "メモ帳 ※おまけ付き")
_BANKNOTES_JA = (
    ("新札 一万円札", 10_000),
    ("ピン札 千円札 10枚", 10_000),
    ("現金 1万円", 10_000),
    ("福沢諭吉 1枚", 10_000),
    ("諭吉 2枚", 20_000),
    ("野口英世 5枚", 5_000),
    ("樋口一葉 新札", 5_000),
    ("一万円札 連番 3枚", 30_000),
    ("新紙幣 渋沢栄一 1万円札", 10_000),
    ("北里柴三郎 千円札 ピン札", 1_000),
)
_OLD_CURRENCY_JA = (
    ("旧紙幣 聖徳太子 一万円札", 10_000),
    ("伊藤博文 千円札 ピン札", 1_000),
    ("記念硬貨 東京オリンピック 1000円銀貨", 1_000),
    ("天皇陛下御在位記念 500円硬貨", 500),
    ("二千円札 守礼門 10枚", 20_000),
    ("旧一万円札 福沢諭吉 連番", 10_000),
    ("記念硬貨 47都道府県 500円 5枚", 2_500),
)
_CARDS_EN = (
    "Amazon gift card",
    "Steam Wallet code",
    "Visa prepaid card",
    "Starbucks gift card",
    "Google Play voucher",
    "Apple gift card",
    "iTunes card",
    "PSN card",
    "eShop card",
)
_OLD_CURRENCY_EN = (
    ("Commemorative 500 yen coin", 500),
    ("Old 10000 yen note Shotoku Taishi", 10_000),
    ("Vintage 1000 yen bill", 1_000),
    ("2000 yen notes x5, uncirculated", 10_000),
    ("Tokyo Olympics 1000 yen silver coin", 1_000),
)
_CASH_KINDS = {
    "ja": (
        (
            "giftcard_ja",
            "amagi_slang",
            "voucher",
            "prepaid_balance",
            "emoney",
            "banknote",
            "old_currency",
            "code_by_message",
            "evasion",
            "hidden_cash",
        ),
        (16, 12, 14, 10, 7, 8, 9, 9, 8, 7),
    ),
    "en": (
        (
            "giftcard_en",
            "code_by_message",
            "prepaid_balance",
            "banknote",
            "old_currency",
            "gc_slang",
            "evasion",
        ),
        (30, 18, 13, 10, 11, 10, 8),
    ),
}
_CASH_CATEGORIES = ("tickets", "other", "hobby", "books", "electronics", "games", "tickets", "other")


def yen_str(v: int) -> str:
    return f"{v:,}円" if v % 10_000 else f"{v // 10_000}万円"


def cash(rng: random.Random, lang: str) -> Draft:
    kinds, weights = _CASH_KINDS[lang]
    kind = rng.choices(kinds, weights)[0]
    v = rng.choice(FACE_VALUES)
    title, lines, price = (_cash_ja if lang == "ja" else _cash_en)(rng, kind, v, v * rng.uniform(0.85, 1.08))
    table = _TABLES[lang]
    if rng.random() < 0.6:
        lines.insert(0, rng.choice(table["greeting"]))
    if rng.random() < 0.5:
        lines.append(rng.choice(table["shipping"]))
    d = Draft(lang, title, lines, price, rng.choice(_CASH_CATEGORIES), None, None, rng.choice((0, 0, 1)))
    d.tags.append(f"cash:{kind}")
    return d


def _cash_en(rng: random.Random, kind: str, v: int, price: float) -> tuple[str, list[str], float]:
    usd = max(5, v // 150 // 5 * 5)
    card = rng.choice(_CARDS_EN)
    price = usd * 150 * rng.uniform(0.85, 1.05)
    if kind == "giftcard_en":
        return f"${usd} {card}", [f"Unused {card}, ${usd} balance.", "Valid, never redeemed."], price
    if kind == "code_by_message":
        return (
            f"{card} ${usd} - digital code",
            [
                rng.choice(
                    (
                        "Codes sent by message after purchase.",
                        "Code delivered via chat.",
                        "I'll message you the code.",
                    )
                ),
                "No physical card, code only.",
            ],
            price,
        )
    if kind == "prepaid_balance":
        return (
            f"Prepaid card loaded ${usd}",
            [f"Prepaid card with ${usd} remaining balance.", "Works online and in stores."],
            price,
        )
    if kind == "banknote":
        return (
            f"Cash ${usd} in bills",
            ["Brand new bills, consecutive serial numbers.", "Cash, shipped in an envelope."],
            price * 1.1,
        )
    if kind == "gc_slang":
        s = rng.choice(("AMZN GC", "amz gc", "GC code", "e-gift", "steam gc"))
        return f"{s} ${usd}", [f"${usd} {s}, instant delivery.", "DM me."], price
    if kind == "evasion":
        s = rng.choice(("g i f t card", "G1FT C4RD", "Am@zon card", "A.m.a.z.o.n voucher", "v0ucher"))
        return f"{s} ${usd}", [f"{s} worth ${usd}.", "You know what this is."], price
    title, face = rng.choice(_OLD_CURRENCY_EN)
    return title, ["Legal tender, good condition.", "Collector item."], face * rng.uniform(1.3, 4.0)


def _cash_ja(rng: random.Random, kind: str, v: int, price: float) -> tuple[str, list[str], float]:
    y = yen_str(v)
    if kind in ("giftcard_ja", "code_by_message"):
        card = rng.choice(_CARDS_JA)
        title = rng.choice((f"{card} {y}分", f"{card} {v}円", f"{card}　{y}"))
        if kind == "code_by_message":
            note = rng.choice(
                (
                    "コードは取引メッセージでお送りします。",
                    "番号は画像でお送りします。",
                    "カード番号のみのお取引です。",
                )
            )
        else:
            note = rng.choice(("未使用です。", "有効期限内です。", "使わないので出品します。"))
        return title, [f"{y}分の{card}です。", note], price
    if kind == "amagi_slang":
        s = rng.choice(("アマギフ", "あまぎふ", "ｱﾏｷﾞﾌ", "アマギフ券", "amaギフ"))
        note = rng.choice(("即日お渡しします。", "Eメールタイプです。", "余ったので出品します。"))
        return f"{s} {y}分", [f"{s} {y}分です。", note], price
    if kind == "voucher":
        each, k = rng.choice((500, 1_000, 1_000, 3_000, 5_000)), rng.randint(1, 10)
        card = rng.choice(_VOUCHERS_JA)
        title = rng.choice((f"{card} {each}円×{k}枚", f"{card} {each * k:,}円分", f"{card} {k}枚セット"))
        note = "株主優待でいただきました。" if rng.random() < 0.3 else "未使用品です。"
        return title, [f"{card}{each}円分が{k}枚です。", note], each * k * rng.uniform(0.88, 1.0)
    if kind == "prepaid_balance":
        card = rng.choice(_PREPAID_JA)
        title = rng.choice((f"{card} チャージ済み {y}", f"{card} 残高{v}円", f"{card} {y}入り"))
        return title, [f"{y}チャージ済みの{card}です。", "残高はそのまま使えます。"], price
    if kind == "emoney":
        s = rng.choice(_EMONEY_JA)
        return f"{s} {y}分 譲ります", [f"{s}を{y}分お譲りします。", "送金にて対応します。"], price
    if kind == "banknote":
        s, face = rng.choice(_BANKNOTES_JA)
        note = rng.choice(("新札です。", "ピン札です。", "連番です。", "ご祝儀などにどうぞ。"))
        return s, [note], face * rng.uniform(1.05, 1.4)
    if kind == "old_currency":
        s, face = rng.choice(_OLD_CURRENCY_JA)
        note = rng.choice(("コレクションにどうぞ。", "現在も使えます。", "状態良好です。"))
        return s, ["古いお札（硬貨）です。", note], face * rng.uniform(1.3, 4.0)
    if kind == "evasion":
        s = rng.choice(_EVASIONS_JA)
        note = "察してください。" if rng.random() < 0.5 else "検索避けしています。"
        return f"{s} {y}", [f"{s} {y}分。", note], price
    note = rng.choice(
        ("中に現金{y}を入れてお送りします。", "おまけとして現金{y}を同封します。", "中身は{y}です。")
    )
    return rng.choice(_HIDDEN_JA), [note.format(y=y)], v * rng.uniform(1.02, 1.2)


# --- adult -------------------------------------------------------------------------------------------

# kind -> (ja titles, ja lines, en titles, en lines, marketplace categories)
_ADULT: dict[str, tuple[tuple[str, ...], ...]] = {
    "toy": (
        (
            "大人のおもちゃ",
            "ジョークグッズ 大人向け",
            "アダルトグッズ セット",
            "大人のグッズ 未使用",
            "電マ 大人向け",
            "ディルド 吸盤付き",
            "ローター リモコン式",
            "アナルプラグ セット",
            "オナカップ 未開封",
        ),
        (
            "大人のおもちゃです。未使用品です。",
            "パートナーと楽しめます。",
            "中身が分からないよう梱包します。",
            "18歳未満の方は購入しないでください。",
        ),
        (
            "Adult toy, new",
            "Intimate toy for couples",
            "Adult novelty vibe",
            "Rechargeable vibrator, pink",
            "Silicone dildo 7 inch",
            "Bullet vibe + remote",
            "Male masturbator cup, sealed",
            "Butt plug set (3 sizes)",
            "Couples pleasure kit",
        ),
        (
            "Adults only, 18+.",
            "Discreet packaging.",
            "Intimate use.",
            "Never used, sealed.",
            "Body-safe silicone, USB charging, 10 modes.",
            "Ships in a plain box, nobody will know.",
            "Only opened to test, cleaned.",
        ),
        ("hobby", "beauty", "other"),
    ),
    "r18_media": (
        (
            "成人向け 同人誌 まとめ売り",
            "R18 同人誌 セット",
            "18禁 ゲーム",
            "成年コミック 10冊",
            "R-18 イラスト集",
        ),
        (
            "成人向けです。",
            "18歳以上の方のみご購入ください。",
            "R18作品のまとめ売りです。",
            "過激な内容を含みます。",
        ),
        (
            "Explicit adult magazine lot",
            "NSFW doujinshi bundle",
            "18+ hentai manga set",
            "Adult comics lot (18+)",
            "Uncensored art book, nude",
        ),
        ("NSFW content.", "Explicit content, 18+ only.", "Adults only."),
        ("books", "hobby", "games"),
    ),
    "video": (
        (
            "DVD 無修正",
            "アダルトDVD 10枚セット",
            "裏DVD",
            "AV まとめ売り",
            "過激 DVD セット",
            "個人撮影 DVD-R",
            "素人 動画 USB",
        ),
        ("無修正です。", "アダルトDVDのまとめ売りです。", "再生確認済み。", "過激な内容です。"),
        (
            "18+ only - adult DVD",
            "Uncensored DVD lot",
            "XXX DVD bundle",
            "Homemade adult video USB",
            "Private photo & video set (explicit)",
        ),
        ("Uncensored.", "Explicit content.", "Plays fine, adults only."),
        ("music", "other"),
    ),
    "used_underwear": (
        ("使用済み下着", "着用済み ショーツ", "脱ぎたて 下着", "一週間着用 インナー"),
        ("着用済みです。", "匂い付きです。", "使用済みのままお送りします。", "着用日数はご相談ください。"),
        ("Worn panties", "Used lingerie, worn 3 days"),
        ("Worn for 3 days.", "Unwashed, as requested.", "Custom wear time available."),
        ("fashion/womens", "other"),
    ),
    "lingerie_photos": (
        ("ランジェリー 着用画像付き", "セクシーランジェリー 着画あり", "下着 自撮り写真付き"),
        ("着用画像をお送りします。", "自撮り写真もお付けします。", "着用写真はメッセージで。"),
        ("Sexy photo set", "Lingerie with try-on pics"),
        ("Spicy pics sent by DM.", "Includes photos of me wearing it."),
        ("fashion/womens", "other"),
    ),
    "fetish": (
        ("SMグッズ 拘束具 セット", "緊縛 ロープ プレイ用", "ボンデージ 衣装 プレイ用", "媚薬 香水"),
        ("プレイ用です。", "大人の夜に。", "パートナーとお楽しみください。", "使用は自己責任で。"),
        ("BDSM restraint kit", "Bondage rope for play", "Fetish harness, leather", "Handcuffs & whip set"),
        ("For play only, 18+.", "Kinky fun for couples.", "Adults only, discreet shipping."),
        ("hobby", "fashion/womens", "other"),
    ),
    "euphemism": (
        (
            "夜のお供 グッズ",
            "大人向け 過激 グッズ",
            "ちょっとエッチな 玩具",
            "秘密のおもちゃ",
            "夫婦円満グッズ",
        ),
        (
            "夜のお供にどうぞ。",
            "大人の方向けです。",
            "ちょっとエッチなアイテムです。",
            "使い方はお察しください。",
        ),
        ("Spicy bedroom fun kit", "Grown-up toy (wink)", "NSFW bundle"),
        ("For grown-up fun only ;)", "You know what it's for.", "Very private item."),
        ("hobby", "beauty", "home", "other"),
    ),
}


def adult(rng: random.Random, lang: str) -> Draft:
    kind = rng.choice(tuple(_ADULT))
    ja_titles, ja_lines, en_titles, en_lines, cats = _ADULT[kind]
    titles, lines = (ja_titles, ja_lines) if lang == "ja" else (en_titles, en_lines)
    table = _TABLES[lang]
    title = rng.choice(titles)
    if rng.random() < 0.3:
        title = add_word(rng, title, rng.choice(table["title_prefix"]))
    if rng.random() < 0.4:
        title = f"{title} {rng.choice(table['title_suffix'] + table['qualifier'])}"
    parts = rng.sample(lines, rng.randint(1, min(3, len(lines))))
    if rng.random() < 0.6:
        parts.insert(0, rng.choice(table["greeting"]))
    for key in ("shipping", "closing"):
        if rng.random() < 0.5:
            parts.append(rng.choice(table[key]))
    price = rng.lognormvariate(math.log(3_500), 0.6)
    d = Draft(lang, title, parts, price, rng.choice(cats), None, None, rng.choice((0, 0, 1, 2, 3)))
    d.tags.append(f"adult:{kind}")
    return d


# --- secondary violations (multi-label listings) ------------------------------------------------------

_BONUS_CASH_JA = (
    "おまけでQUOカード{v}円分お付けします。",
    "購入者様にAmazonギフト券{v}円分プレゼント！",
    "現金{v}円を同封します。",
    "アマギフ{v}円分もおまけします。",
)
_BONUS_ADULT = {
    "ja": (
        "着用画像もお送りできます。",
        "おまけで大人のおもちゃをお付けします。",
        "18禁グッズもおまけでつけます。",
    ),
    "en": ("NSFW pics available on request.", "Comes with an adult toy as a bonus."),
}


def add_cash(rng: random.Random, d: Draft) -> None:
    v = rng.choice((500, 1_000, 2_000, 3_000))
    if d.lang == "ja":
        d.insert(rng, rng.choice(_BONUS_CASH_JA).format(v=v))
    else:
        d.insert(rng, f"Includes a ${max(5, v // 150)} gift card as a bonus.")
    d.price += v
    d.tags.append("cash:bonus_voucher")


def add_adult(rng: random.Random, d: Draft) -> None:
    d.insert(rng, rng.choice(_BONUS_ADULT[d.lang]))
    d.tags.append("adult:bonus")
