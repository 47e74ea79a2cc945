"""Cash sold as goods: gift cards, vouchers, prepaid balances, banknotes, in the wording sellers use.

:func:`cash` builds a whole listing (tagged ``cash:<kind>``: ``cash:amagi_slang``, ``cash:evasion``
...); :func:`add_cash` adds a bonus voucher or cash to another prohibited listing (multi-label
listings, tagged ``cash:bonus_voucher``).
"""

from __future__ import annotations

import random

from synth import phrases
from synth.compose import Draft
from synth.vocab import FACE_VALUES

_TABLES = {"ja": phrases.JA, "en": phrases.EN}

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


_BONUS_CASH_JA = (
    "おまけでQUOカード{v}円分お付けします。",
    "購入者様にAmazonギフト券{v}円分プレゼント！",
    "現金{v}円を同封します。",
    "アマギフ{v}円分もおまけします。",
)


def add_cash(rng: random.Random, d: Draft) -> None:
    v = rng.choice((500, 1_000, 2_000, 3_000))
    if d.lang == "ja":
        d.insert(rng, rng.choice(_BONUS_CASH_JA).format(v=v))
    else:
        d.insert(rng, f"Includes a ${max(5, v // 150)} gift card as a bonus.")
    d.price += v
    d.tags.append("cash:bonus_voucher")
