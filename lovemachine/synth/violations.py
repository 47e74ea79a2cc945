"""Prohibited listings in the disguises sellers actually use: counterfeits, adult goods, cash.

Each builder returns a :class:`~lovemachine.synth.compose.Draft` whose ``tags`` name the disguise
(``counterfeit:low_price_only``, ``cash:amagi_slang`` ...). Most start from an ordinary listing and
change only the part that gives them away, so the rest of the text looks like everybody else's.
"""

from __future__ import annotations

import math
import random

from lovemachine.synth import phrases
from lovemachine.synth.compose import Draft, base, fill, make_description, make_title, pick_brand, spell
from lovemachine.synth.vocab import FACE_VALUES, Brand

# --- counterfeit -------------------------------------------------------------------------------------

_FAKE_JA: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {  # kind -> (title words, sentences)
    "novelty": (("ノベルティ", "VIP ノベルティ", "非売品", "ノベルティ 非売品", "顧客限定"),
                ("{b}のノベルティ品です。", "VIP顧客限定のノベルティです。", "非売品のため箱はありません。",
                 "ノベルティのため、本体のみの発送になります。", "百貨店のノベルティでいただきました。")),
    "n_grade": (("N品", "N級", "N級品", "Ｎ品"),
                ("N品になります。", "N級品ですがとても綺麗です。", "N品のため格安にしています。",
                 "いわゆるN品です。")),
    "replica": (("高品質 レプリカ", "コピー品", "スーパーコピー", "S級品", "ミラー品", "レプリカ",
                 "最高級コピー"),
                ("高品質のレプリカです。", "コピー品ですが、作りはしっかりしています。",
                 "スーパーコピー品のため格安です。",
                 "S級品、正規品と比べても遜色ありません。", "最高ランクのミラー品です。",
                     "レプリカと理解できる方のみ。")),
    "like_genuine": (("本物同様", "正規品同等", "本物そっくり"),
                     ("本物同様の作りです。", "本物と見分けがつかないクオリティです。",
                      "正規品と同等の品質です。",
                      "本物と並べても分かりません。", "縫製、金具まで本物同様です。")),
    "stamp_cheap": (("刻印あり 箱なし激安", "激安", "刻印あり", "シリアルあり 格安"),
                    ("シリアルナンバー刻印あり、箱なしのため激安です。",
                     "ロゴ刻印あり、ギャランティカード付き。",
                     "箱なしのため激安価格で出品します。", "刻印もしっかり入っています。",
                         "ホログラムシールあり。")),
    "authenticity_unknown": (("真贋不明", "鑑定なし", "本物か不明"),
                             ("真贋不明のため格安で出品します。",
                              "鑑定はしていません。本物かどうか分かりません。",
                              "フリマで購入したため真贋不明です。",
                                  "偽物の可能性もありますのでご理解ください。")),
}
_FAKE_EN: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "replica_en": (("1:1 mirror", "AAA quality", "replica", "rep", "UA", "top grade copy", "mirror quality",
                    "AAA+"),
                   ("1:1 mirror quality, identical to retail.", "AAA+ quality replica.",
                    "High quality rep, best batch.",
                    "Unauthorized authentic, same factory.", "Top grade copy, all details correct.")),
    "like_genuine": (("looks real", "1:1"),
                     ("Looks 100% real.", "Indistinguishable from the original.",
                      "Nobody can tell the difference.")),
    "novelty": (("VIP gift", "novelty"),
                ("VIP gift item, not sold in stores.", "Novelty item from {b}.",
                 "Promotional VIP gift, no box.")),
    "authenticity_unknown": (("unverified",),
                             ("Can't guarantee authenticity.", "Not sure if it's real, selling as is.",
                              "No proof of authenticity, sold cheap.")),
}
_MASKS = ("○", "◯", "〇", "*", "●", "×", "☆")
_GENUINE_CLAIM = {"ja": ("正規品です。", "本物です。", "鑑定済みです。", "確実正規品です。"),
                  "en": ("100% authentic.", "Genuine item.", "Authentic, bought in store.")}


def mask(rng: random.Random, name: str) -> str:
    """Hide a brand name from keyword filters: ヴィ○ン, G.U.C.C.I, C h a n e l, 某ハイブランド."""
    r = rng.random()
    if len(name) >= 3 and r < 0.55:
        k = rng.randrange(1, len(name) - 1)
        return name[:k] + rng.choice(_MASKS) + name[k + 1:]
    if name.isascii() and r < 0.85:
        return rng.choice((".", " ", "-", "_")).join(name.replace(" ", "").upper())
    if r < 0.92:
        return "\u200b".join(name)  # zero-width spaces between the letters
    return rng.choice(("某ハイブランド", "有名ブランド", "某Hブランド", "某高級ブランド"))


def counterfeit(rng: random.Random, lang: str) -> Draft:
    brand = pick_brand(rng, fake=True)
    item = rng.choice(brand.items)
    if lang == "ja":
        kind = rng.choices(("low_price_only", "novelty", "n_grade", "replica", "like_genuine", "stamp_cheap",
                            "brand_style", "masked_brand", "authenticity_unknown"),
                           (18, 10, 10, 12, 9, 8, 9, 8, 7))[0]
    else:
        kind = rng.choices(("low_price_only", "replica_en", "inspired", "like_genuine", "novelty",
                            "masked_brand",
                            "authenticity_unknown"), (22, 26, 14, 10, 8, 10, 8))[0]
    d = base(rng, lang, brand, item, cond=rng.choice((0, 0, 1, 2)))
    d.tags.append(f"counterfeit:{kind}")
    ratio = rng.uniform(0.04, 0.22)
    if kind == "low_price_only":
        ratio = rng.uniform(0.03, 0.10)
        d.brand_field = brand.name
        if rng.random() < 0.35:
            d.insert(rng, rng.choice(_GENUINE_CLAIM[lang]))
    elif kind in ("brand_style", "inspired"):
        _styled(rng, d, brand, lang)
        ratio = rng.uniform(0.01, 0.08)
    elif kind == "masked_brand":
        b = mask(rng, spell(rng, brand, lang))
        i = item.ja if lang == "ja" else item.en
        d.title = make_title(rng, lang, b, i, d.category)
        d.parts = make_description(rng, lang, b, i, d.category, d.cond) or [f"{b} {i}"]
        d.insert(rng, rng.choice(("ブランド名は伏せています。", "察してください。", "某有名ブランドです。",
                                  "検索避けのため伏せ字です。")
                                 if lang == "ja" else ("Brand name hidden, you know who.",
                                                       "Famous brand, DM for details.")))
        d.brand_field = None
    else:
        words, sentences = (_FAKE_JA if lang == "ja" else _FAKE_EN)[kind]
        bname = spell(rng, brand, lang)
        if rng.random() < 0.75:
            d.title = _add_word(rng, d.title, rng.choice(words))
        d.insert(rng, fill(rng, rng.choice(sentences), bname, item.ja if lang == "ja" else item.en))
        if kind == "novelty":
            ratio = rng.uniform(1_500, 9_000) / item.median
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
        d.parts = [rng.choice(("ノーブランドですが{b}風のデザインです。", "{b}好きな方に。",
                               "{b}っぽく見えます。",
                               "ロゴは{b}のものではありません。")).format(b=b),
                   rng.choice(phrases.JA["shipping"])]
    else:
        styled = rng.choice((f"{b} inspired", f"{b}-style", f"{b} dupe", f"{b} look-alike"))
        d.title = f"{styled} {en}"
        d.parts = [rng.choice(("Inspired design, not the original brand.", "Perfect dupe for the {b} look.",
                               "Looks just like {b} for a fraction of the price.")).format(b=b)]
    d.brand_field = None


_GENERIC_NAMES = {"fashion/bags": ("バッグ", "bag"), "fashion/wallets": ("財布", "wallet"),
                  "watches": ("腕時計", "watch"),
                  "jewelry": ("ネックレス", "necklace"), "fashion/shoes": ("スニーカー", "sneakers"),
                  "fashion/mens": ("パーカー", "hoodie"), "fashion/womens": ("コート", "coat"),
                      "sports": ("ジャケット", "jacket"),
                  "fashion/accessories": ("アクセサリー", "accessory"), "beauty": ("コスメ", "makeup"),
                  "electronics": ("イヤホン", "earbuds"), "smartphones": ("スマホ", "phone"),
                      "outdoor": ("リュック", "backpack")}


def _add_word(rng: random.Random, title: str, word: str) -> str:
    return f"{word} {title}" if rng.random() < 0.5 else f"{title} {word}"


# --- cash and vouchers -------------------------------------------------------------------------------

_CARDS_JA = ("Amazonギフト券", "Amazonギフトカード", "アマゾンギフト券", "Appleギフトカード",
             "Google Playギフトカード",
             "iTunesカード", "楽天ギフトカード", "スタバカード", "ニンテンドープリペイドカード",
                 "PlayStation Storeカード")
_VOUCHERS_JA = ("QUOカード", "クオカード", "JCBギフトカード", "VJAギフトカード", "全国百貨店共通商品券",
                "図書カード",
                "図書カードNEXT", "ビール券", "おこめ券", "ジェフグルメカード", "商品券")
_PREPAID_JA = ("Suica", "PASMO", "nanaco", "WAON", "バニラVisa", "Vプリカ", "プリペイドカード", "楽天Edy")
_CARDS_EN = ("Amazon gift card", "Steam Wallet code", "Visa prepaid card", "Starbucks gift card",
             "Google Play voucher",
             "Apple gift card", "iTunes card", "PSN card", "eShop card")
_BANKNOTES_JA = (("新札 一万円札", 10_000), ("ピン札 千円札 10枚", 10_000), ("現金 1万円", 10_000),
                 ("福沢諭吉 1枚", 10_000),
                 ("諭吉 2枚", 20_000), ("野口英世 5枚", 5_000), ("樋口一葉 新札", 5_000),
                     ("一万円札 連番 3枚", 30_000),
                 ("新紙幣 渋沢栄一 1万円札", 10_000), ("北里柴三郎 千円札 ピン札", 1_000))
_OLD_CURRENCY_JA = (("旧紙幣 聖徳太子 一万円札", 10_000), ("伊藤博文 千円札 ピン札", 1_000),
                    ("記念硬貨 東京オリンピック 1000円銀貨", 1_000), ("天皇陛下御在位記念 500円硬貨", 500),
                    ("二千円札 守礼門 10枚", 20_000), ("旧一万円札 福沢諭吉 連番", 10_000),
                        ("記念硬貨 47都道府県 500円 5枚", 2_500))
_OLD_CURRENCY_EN = (("Commemorative 500 yen coin", 500), ("Old 10000 yen note Shotoku Taishi", 10_000),
                    ("Vintage 1000 yen bill", 1_000), ("2000 yen notes x5, uncirculated", 10_000),
                    ("Tokyo Olympics 1000 yen silver coin", 1_000))
_CASH_CATEGORIES = ("tickets", "other", "hobby", "books", "electronics", "games", "tickets", "other")


def yen_str(v: int) -> str:
    return f"{v:,}円" if v % 10_000 else f"{v // 10_000}万円"


def cash(rng: random.Random, lang: str) -> Draft:
    v = rng.choice(FACE_VALUES)
    price = v * rng.uniform(0.85, 1.08)
    if lang == "en":
        kind = rng.choices(("giftcard_en", "code_by_message", "prepaid_balance", "banknote", "old_currency"),
                           (40, 20, 15, 12, 13))[0]
        usd = max(5, v // 150 // 5 * 5)
        card = rng.choice(_CARDS_EN)
        title, lines = {
            "giftcard_en": (f"${usd} {card}", [f"Unused {card}, ${usd} balance.", "Valid, never redeemed."]),
            "code_by_message": (f"{card} ${usd} - digital code", ["Codes sent by message after purchase.",
                                                                  "No physical card, code only."]),
            "prepaid_balance": (f"Prepaid card loaded ${usd}",
                                [f"Prepaid card with ${usd} remaining balance.",
                                                                "Works online and in stores."]),
            "banknote": (f"Cash ${usd} in bills", ["Brand new bills, consecutive serial numbers.",
                                                   "Cash, shipped in an envelope."]),
            "old_currency": ("", ["Legal tender, good condition.", "Collector item."]),
        }[kind]
        price = usd * 150 * rng.uniform(0.85, 1.05)
        if kind == "old_currency":
            title, face = rng.choice(_OLD_CURRENCY_EN)
            price = face * rng.uniform(1.3, 4.0)
    else:
        kind = rng.choices(("giftcard_ja", "amagi_slang", "voucher", "prepaid_balance", "emoney", "banknote",
                            "old_currency", "code_by_message", "evasion", "hidden_cash"),
                           (16, 12, 14, 10, 7, 8, 9, 9, 8, 7))[0]
        title, lines, price = _cash_ja(rng, kind, v, price)
    lines = [*lines]
    if rng.random() < 0.6:
        lines.insert(0, rng.choice(phrases.JA["greeting"] if lang == "ja" else phrases.EN["greeting"]))
    if rng.random() < 0.5:
        lines.append(rng.choice(phrases.JA["shipping"] if lang == "ja" else phrases.EN["shipping"]))
    d = Draft(lang, title, lines, price, rng.choice(_CASH_CATEGORIES), None, None, rng.choice((0, 0, 1)))
    d.tags.append(f"cash:{kind}")
    return d


def _cash_ja(rng: random.Random, kind: str, v: int, price: float) -> tuple[str, list[str], float]:
    y = yen_str(v)
    if kind == "giftcard_ja":
        card = rng.choice(_CARDS_JA)
        return (rng.choice((f"{card} {y}分", f"{card} {v}円", f"{card}　{y}")),
                [f"{y}分の{card}です。", rng.choice(("未使用です。", "有効期限内です。",
                                                     "使わないので出品します。"))], price)
    if kind == "amagi_slang":
        s = rng.choice(("アマギフ", "あまぎふ", "ｱﾏｷﾞﾌ", "アマギフ券", "amaギフ"))
        return (f"{s} {y}分", [f"{s} {y}分です。", rng.choice(("即日お渡しします。", "Eメールタイプです。",
                                                               "余ったので。"))], price)
    if kind == "voucher":
        vv = rng.choice((500, 1_000, 1_000, 3_000, 5_000))
        k = rng.randint(1, 10)
        card = rng.choice(_VOUCHERS_JA)
        return (rng.choice((f"{card} {vv}円×{k}枚", f"{card} {vv * k:,}円分", f"{card} {k}枚セット")),
                [f"{card}{vv}円分が{k}枚です。",
                 "株主優待でいただきました。" if rng.random() < 0.3 else "未使用品です。"],
                vv * k * rng.uniform(0.88, 1.0))
    if kind == "prepaid_balance":
        card = rng.choice(_PREPAID_JA)
        return (rng.choice((f"{card} チャージ済み {y}", f"{card} 残高{v}円", f"{card} {y}入り")),
                [f"{y}チャージ済みの{card}です。", "残高はそのまま使えます。"], price)
    if kind == "emoney":
        s = rng.choice(("PayPay残高", "電子マネー", "楽天ポイント", "WAONポイント", "LINE Pay残高"))
        return (f"{s} {y}分 譲ります", [f"{s}を{y}分お譲りします。", "送金にて対応します。"], price)
    if kind == "banknote":
        s, face = rng.choice(_BANKNOTES_JA)
        return (s, [rng.choice(("新札です。", "ピン札です。", "連番です。", "ご祝儀などにどうぞ。"))],
                face * rng.uniform(1.05, 1.4))
    if kind == "old_currency":
        s, face = rng.choice(_OLD_CURRENCY_JA)
        return (s, ["古いお札（硬貨）です。", rng.choice(("コレクションにどうぞ。", "現在も使えます。",
                                                          "状態良好です。"))],
                face * rng.uniform(1.3, 4.0))
    if kind == "code_by_message":
        card = rng.choice(_CARDS_JA)
        return (f"{card} {y}", [f"{card}{y}分。", rng.choice(("コードは取引メッセージでお送りします。",
                                                            "番号は画像でお送りします。",
                                                                "カード番号のみのお取引です。"))], price)
    if kind == "evasion":
        s = rng.choice(("ギ.フ.ト券", "ギ フ ト 券", "ギ\u200bフト券", "Ａｍａｚｏｎ ギフト", "商 品 券",
                        "アマ◯ン ギフト",
                        "A m a z o n カード", "ｷﾞﾌﾄｶｰﾄﾞ"))
        return (f"{s} {y}", [f"{s} {y}分。",
                             "察してください。" if rng.random() < 0.5 else "検索避けしています。"], price)
    s = rng.choice(("封筒 1枚（中身あり）", "お守り（中に1万円札入り）", "ポチ袋 現金入り",
                    "メモ帳 ※おまけ付き"))
    return (s, [rng.choice(("中に現金{y}を入れてお送りします。", "おまけとして現金{y}を同封します。",
                            "中身は{y}です。")).format(y=y)], v * rng.uniform(1.02, 1.2))


# --- adult -------------------------------------------------------------------------------------------

_ADULT_JA: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str,
                                                                   ...]]] = {  # titles, lines, categories
    "toy": (("大人のおもちゃ", "ジョークグッズ 大人向け", "アダルトグッズ セット", "大人のグッズ 未使用",
             "電マ 大人向け",
             "ローター 新品"),
            ("大人のおもちゃです。未使用品です。", "パートナーと楽しめます。",
             "中身が分からないよう梱包します。",
             "18歳未満の方は購入しないでください。"), ("hobby", "beauty", "other")),
    "r18_media": (("成人向け 同人誌 まとめ売り", "R18 同人誌 セット", "18禁 ゲーム", "成年コミック 10冊",
                   "R-18 イラスト集"),
                  ("成人向けです。", "18歳以上の方のみご購入ください。", "R18作品のまとめ売りです。",
                   "過激な内容を含みます。"),
                  ("books", "hobby", "games")),
    "video": (("DVD 無修正", "アダルトDVD 10枚セット", "裏DVD", "AV まとめ売り", "過激 DVD セット"),
              ("無修正です。", "アダルトDVDのまとめ売りです。", "再生確認済み。", "過激な内容です。"),
                  ("music", "other")),
    "used_underwear": (("使用済み下着", "着用済み ショーツ", "脱ぎたて 下着", "一週間着用 インナー"),
                       ("着用済みです。", "匂い付きです。", "使用済みのままお送りします。",
                        "着用日数はご相談ください。"),
                       ("fashion/womens", "other")),
    "lingerie_photos": (("ランジェリー 着用画像付き", "セクシーランジェリー 着画あり", "下着 自撮り写真付き"),
                        ("着用画像をお送りします。", "自撮り写真もお付けします。",
                         "着用写真はメッセージで。"),
                        ("fashion/womens", "other")),
    "euphemism": (("夜のお供 グッズ", "大人向け 過激 グッズ", "ちょっとエッチな 玩具", "秘密のおもちゃ",
                   "夫婦円満グッズ"),
                  ("夜のお供にどうぞ。", "大人の方向けです。", "ちょっとエッチなアイテムです。",
                   "使い方はお察しください。"),
                  ("hobby", "beauty", "home", "other")),
}
_ADULT_EN: tuple[tuple[str, ...], tuple[str, ...]] = (
    ("Adult toy, new", "NSFW bundle", "Intimate toy for couples", "18+ only - adult DVD", "Worn panties",
     "Explicit adult magazine lot", "Sexy photo set"),
    ("Adults only, 18+.", "Discreet packaging.", "NSFW content.", "Intimate use.", "Worn for 3 days.",
     "Explicit content."),
)


def adult(rng: random.Random, lang: str) -> Draft:
    if lang == "en":
        kind = "explicit_en"
        titles, lines, cats = _ADULT_EN[0], _ADULT_EN[1], ("other", "hobby", "fashion/womens")
    else:
        kind = rng.choice(tuple(_ADULT_JA))
        titles, lines, cats = _ADULT_JA[kind]
    title = rng.choice(titles)
    if rng.random() < 0.3:
        title = _add_word(rng, title,
                          rng.choice(phrases.JA["title_prefix"] if lang == "ja" else phrases.EN["title_prefix"]))
    table = phrases.JA if lang == "ja" else phrases.EN
    parts = rng.sample(lines, rng.randint(1, min(3, len(lines))))
    if rng.random() < 0.6:
        parts.insert(0, rng.choice(table["greeting"]))
    for key in ("shipping", "closing"):
        if rng.random() < 0.5:
            parts.append(rng.choice(table[key]))
    d = Draft(lang, title, parts, rng.lognormvariate(math.log(3_500), 0.6), rng.choice(cats), None, None,
              rng.choice((0, 0, 1, 2, 3)))
    d.tags.append(f"adult:{kind}")
    return d


# --- secondary violations (multi-label listings) ------------------------------------------------------

def add_cash(rng: random.Random, d: Draft) -> None:
    v = rng.choice((500, 1_000, 2_000, 3_000))
    if d.lang == "ja":
        d.insert(rng, rng.choice(("おまけでQUOカード{v}円分お付けします。",
                                  "購入者様にAmazonギフト券{v}円分プレゼント！",
                                  "現金{v}円を同封します。", "アマギフ{v}円分もおまけします。")).format(v=v))
    else:
        d.insert(rng, f"Includes a ${v // 150} gift card as a bonus.")
    d.price += v
    d.tags.append("cash:bonus_voucher")


def add_adult(rng: random.Random, d: Draft) -> None:
    d.insert(rng, rng.choice(("着用画像もお送りできます。", "おまけで大人のおもちゃをお付けします。",
                              "18禁グッズもおまけでつけます。")
                             if d.lang == "ja" else ("NSFW pics available on request.",
                                                     "Comes with an adult toy as a bonus.")))
    d.tags.append("adult:bonus")
