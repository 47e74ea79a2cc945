"""Adult listings: toys, R18 media, videos, used underwear, fetish goods, euphemisms.

:func:`adult` builds a whole listing (tagged ``adult:<kind>``); :func:`add_adult` adds an adult
offer to another prohibited listing (multi-label listings, tagged ``adult:bonus``).
"""

from __future__ import annotations

import math
import random

from synth import phrases
from synth.compose import Draft, add_word

_TABLES = {"ja": phrases.JA, "en": phrases.EN}

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


_BONUS_ADULT = {
    "ja": (
        "着用画像もお送りできます。",
        "おまけで大人のおもちゃをお付けします。",
        "18禁グッズもおまけでつけます。",
    ),
    "en": ("NSFW pics available on request.", "Comes with an adult toy as a bonus."),
}


def add_adult(rng: random.Random, d: Draft) -> None:
    d.insert(rng, rng.choice(_BONUS_ADULT[d.lang]))
    d.tags.append("adult:bonus")
