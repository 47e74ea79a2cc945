"""A curated lexicon of brand names in the spellings sellers use (English, katakana, common variants).

It is real-world knowledge, not learned from the training data, so brand-count signals (keyword
stuffing) and brand price references work on brands the training set rarely shows. The trained
model adds every brand it saw in the ``brand`` field of its training data (see ``tabular.py``).
"""

from __future__ import annotations

from collections.abc import Iterable

import ahocorasick

from lovemachine.features.text import normalise

# canonical -> spellings (normalised at import; canonical is also matched)
BRANDS: dict[str, tuple[str, ...]] = {
    "louis vuitton": ("ルイヴィトン", "ルイ・ヴィトン", "ヴィトン", "ビトン", "lv", "vuitton"),
    "chanel": ("シャネル",),
    "gucci": ("グッチ",),
    "hermes": ("エルメス", "hermès"),
    "prada": ("プラダ",),
    "rolex": ("ロレックス",),
    "omega": ("オメガ",),
    "cartier": ("カルティエ",),
    "tiffany": ("ティファニー", "tiffany & co"),
    "dior": ("ディオール", "christian dior"),
    "fendi": ("フェンディ",),
    "celine": ("セリーヌ", "céline"),
    "bottega veneta": ("ボッテガヴェネタ", "ボッテガ", "bottega"),
    "saint laurent": ("サンローラン", "ysl", "yves saint laurent"),
    "balenciaga": ("バレンシアガ",),
    "burberry": ("バーバリー",),
    "coach": ("コーチ",),
    "michael kors": ("マイケルコース",),
    "kate spade": ("ケイトスペード",),
    "loewe": ("ロエベ",),
    "miu miu": ("ミュウミュウ", "miumiu"),
    "bvlgari": ("ブルガリ", "bulgari"),
    "chrome hearts": ("クロムハーツ",),
    "moncler": ("モンクレール",),
    "supreme": ("シュプリーム",),
    "off-white": ("オフホワイト", "off white"),
    "nike": ("ナイキ",),
    "adidas": ("アディダス",),
    "new balance": ("ニューバランス",),
    "the north face": ("ノースフェイス", "north face", "tnf"),
    "patagonia": ("パタゴニア",),
    "uniqlo": ("ユニクロ",),
    "zara": ("ザラ",),
    "apple": ("アップル",),
    "sony": ("ソニー",),
    "nintendo": ("任天堂", "ニンテンドー"),
    "canon": ("キヤノン", "キャノン"),
    "panasonic": ("パナソニック",),
    "dyson": ("ダイソン",),
    "samsung": ("サムスン",),
    "casio": ("カシオ",),
    "seiko": ("セイコー",),
    "g-shock": ("gショック", "ジーショック"),
    "montblanc": ("モンブラン",),
    "ray-ban": ("レイバン", "rayban"),
    "vivienne westwood": ("ヴィヴィアンウエストウッド", "ヴィヴィアン"),
    "comme des garcons": ("コムデギャルソン", "ギャルソン", "cdg"),
    "issey miyake": ("イッセイミヤケ", "プリーツプリーズ", "bao bao"),
    "porter": ("ポーター", "吉田カバン"),
    "longchamp": ("ロンシャン",),
    "ugg": ("アグ",),
    "converse": ("コンバース",),
    "vans": ("バンズ",),
    "lululemon": ("ルルレモン",),
    "jo malone": ("ジョーマローン",),
    "shiseido": ("資生堂",),
    "sk-ii": ("sk2", "エスケーツー"),
    "lego": ("レゴ",),
    "pokemon": ("ポケモン", "pokémon"),
    "goyard": ("ゴヤール",),
    "canada goose": ("カナダグース",),
    "hublot": ("ウブロ",),
    "audemars piguet": ("オーデマピゲ", "オーデマ・ピゲ"),
    "patek philippe": ("パテックフィリップ", "パテック・フィリップ", "パテック"),
    "tag heuer": ("タグホイヤー", "tag heuer"),
    "breitling": ("ブライトリング",),
    "panerai": ("パネライ",),
    "iwc": ("アイダブリューシー",),
    "van cleef & arpels": ("ヴァンクリーフ&アーペル", "ヴァンクリーフ", "van cleef", "vca"),
    "rimowa": ("リモワ",),
    "valentino": ("ヴァレンティノ", "バレンチノ"),
    "givenchy": ("ジバンシー", "ジバンシィ"),
    "chloe": ("クロエ", "chloé"),
    "maison margiela": ("メゾンマルジェラ", "マルジェラ", "margiela"),
    "arc'teryx": ("アークテリクス", "arcteryx"),
    "stussy": ("ステューシー", "stüssy"),
    "yeezy": ("イージー", "イージーブースト"),
    "air jordan": ("エアジョーダン", "jordan"),
    "beats": ("ビーツ", "beats by dre"),
}


# Below these prices (JPY, second-hand) a genuine item of the brand is rare: the cheapest real
# small leather goods / watches of the house. Real-world knowledge, so the price signal works for
# brands and products the training data never priced. Brands not listed have no floor.
LUXURY_FLOOR_JPY: dict[str, float] = {
    "louis vuitton": 15_000,
    "chanel": 20_000,
    "hermes": 30_000,
    "prada": 10_000,
    "rolex": 300_000,
    "omega": 60_000,
    "cartier": 30_000,
    "tiffany": 8_000,
    "dior": 12_000,
    "fendi": 10_000,
    "celine": 12_000,
    "bottega veneta": 15_000,
    "saint laurent": 12_000,
    "balenciaga": 10_000,
    "gucci": 10_000,
    "loewe": 15_000,
    "bvlgari": 15_000,
    "chrome hearts": 15_000,
    "moncler": 20_000,
    "montblanc": 10_000,
    "goyard": 30_000,
    "canada goose": 20_000,
    "hublot": 200_000,
    "audemars piguet": 1_000_000,
    "patek philippe": 1_000_000,
    "tag heuer": 40_000,
    "breitling": 100_000,
    "panerai": 150_000,
    "iwc": 100_000,
    "van cleef & arpels": 80_000,
    "rimowa": 20_000,
}

# Models whose genuine article is dear whatever the brand field says (a "Birkin" at 58,000 yen is not
# a Birkin; AirPods Pro at 2,980 yen are not AirPods Pro). Second-hand floors in yen, same knowledge
# as above; the priciest model named counts.
PRODUCT_FLOOR_JPY: dict[str, float] = {
    "birkin": 600_000,
    "バーキン": 600_000,
    "kelly bag": 500_000,
    "ケリーバッグ": 500_000,
    "submariner": 700_000,
    "サブマリーナ": 700_000,
    "daytona": 1_500_000,
    "デイトナ": 1_500_000,
    "datejust": 400_000,
    "デイトジャスト": 400_000,
    "speedmaster": 250_000,
    "スピードマスター": 250_000,
    "seamaster": 150_000,
    "シーマスター": 150_000,
    "royal oak": 2_000_000,
    "ロイヤルオーク": 2_000_000,
    "nautilus": 4_000_000,
    "ノーチラス": 4_000_000,
    "love bracelet": 300_000,
    "ラブブレス": 300_000,
    "juste un clou": 300_000,
    "ジュストアンクル": 300_000,
    "alhambra": 150_000,
    "アルハンブラ": 150_000,
    "neverfull": 80_000,
    "ネヴァーフル": 80_000,
    "lady dior": 250_000,
    "レディディオール": 250_000,
    "saint louis": 80_000,
    "サンルイ": 80_000,
    "airpods pro": 12_000,
    "エアーポッズプロ": 12_000,
    "airpods max": 35_000,
    "apple watch ultra": 50_000,
    "アップルウォッチ ウルトラ": 50_000,
    "studio pro": 20_000,
    "expedition parka": 60_000,
    "yeezy boost": 12_000,
    "triple s": 40_000,
    "トリプルs": 40_000,
}


def _product_automaton() -> ahocorasick.Automaton:
    a = ahocorasick.Automaton()
    for name, floor in PRODUCT_FLOOR_JPY.items():
        key = normalise(name)
        a.add_word(key, (len(key), floor, key.isascii()))
    a.make_automaton()
    return a


_PRODUCTS = _product_automaton()


def product_floors(normalised_text: str) -> list[float]:
    """The floors of the models named in ``normalised_text`` (Latin names as whole words)."""
    n = len(normalised_text)
    out: list[float] = []
    for end, (length, floor, ascii_word) in _PRODUCTS.iter(normalised_text):
        start = end - length + 1
        if ascii_word and (
            (start > 0 and _is_word_char(normalised_text[start - 1]))
            or (end + 1 < n and _is_word_char(normalised_text[end + 1]))
        ):
            continue
        out.append(floor)
    return out


def _is_word_char(c: str) -> bool:
    return c.isascii() and c.isalnum()


class BrandLexicon:
    """Finds brand mentions in normalised text and maps them to canonical names."""

    def __init__(self, extra: Iterable[str] = ()) -> None:
        pairs = [(normalise(c), c) for c in BRANDS]
        pairs += [(normalise(c), a) for c, aliases in BRANDS.items() for a in aliases]
        alias_to_canonical = {normalise(a): normalise(c) for c, aliases in BRANDS.items() for a in aliases}
        for name in extra:
            n = normalise(name)
            if n and n not in alias_to_canonical:
                pairs.append((n, n))
        table: dict[str, str] = {}
        for canonical, alias in pairs:
            key = normalise(alias)
            if len(key) >= 2:
                table.setdefault(key, canonical)
        self._build(table)

    def _build(self, table: dict[str, str]) -> None:
        # Aho-Corasick: one C pass over the text for all spellings (a regex alternation of a few
        # hundred names was 20x slower).
        self._table = table
        self._automaton = ahocorasick.Automaton()
        for key, canonical in table.items():
            self._automaton.add_word(key, (len(key), canonical, key.isascii()))
        self._automaton.make_automaton()
        self.canonical_names = frozenset(table.values())

    def __getstate__(self) -> dict[str, str]:
        return self._table

    def __setstate__(self, state: dict[str, str]) -> None:
        self._build(dict(state))

    def find(self, normalised_text: str) -> list[str]:
        """Canonical brand names mentioned, in order of appearance (repeats kept).

        Longest match wins where spellings overlap ("louis vuitton" over "vuitton"); Latin
        spellings must stand as whole words ("lv" does not match inside "plv").
        """
        return [c for _, _, c in self.find_spans(normalised_text)]

    def find_spans(self, normalised_text: str) -> list[tuple[int, int, str]]:
        """``find`` with each mention's position: ``(start, end inclusive, canonical)``."""
        text = normalised_text
        n = len(text)
        found: list[tuple[int, int, str]] = []
        for end, (length, canonical, ascii_word) in self._automaton.iter(text):
            start = end - length + 1
            if ascii_word and (
                (start > 0 and _is_word_char(text[start - 1]))
                or (end + 1 < n and _is_word_char(text[end + 1]))
            ):
                continue
            found.append((start, end, canonical))
        if len(found) <= 1:
            return found
        # keep the longest of overlapping matches, scanning left to right
        found.sort(key=lambda m: (m[0], -(m[1] - m[0])))
        out: list[tuple[int, int, str]] = []
        last_end = -1
        for start, end, canonical in found:
            if start > last_end:
                out.append((start, end, canonical))
                last_end = end
        return out

    def canonical(self, brand: str | None) -> str | None:
        if not brand:
            return None
        n = normalise(brand)
        return self._table.get(n, n) or None
