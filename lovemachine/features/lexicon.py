"""Curated policy vocabulary and evasion signals: knowledge that does not come from the training set.

A model trained on one marketplace's (or one generator's) wording learns that wording. What CS
teams know about prohibited listings — the words counterfeiters use about their goods (N品, S級,
1:1, ミラー品), the names of gift cards and e-money, the euphemisms of adult goods — holds for text
nobody has written yet. These terms are counted per category (Aho-Corasick over the normalised
text and over a kana-folded copy, so ぎふとけん counts like ギフト券) and handed to the stacker as
features next to the learned text scores, which decide how much each is worth.

Evasion itself is a signal, whatever the category: characters masked out of a word (ア○ゾン,
a*azon), zero-width characters inside words, letters spaced out (g i f t), and digits posing as
letters (g1ft). These are counted on the *raw* text, before normalisation removes them.

The lists were written from policy knowledge (the CONTEXT seeds, marketplace rules), not read off
any evaluation set.
"""

from __future__ import annotations

import re
import unicodedata

import ahocorasick

from lovemachine.categories import ADULT, CASH, COUNTERFEIT, KEYWORD_STUFFING

TERMS: dict[str, tuple[str, ...]] = {
    COUNTERFEIT: (
        "偽物",
        "偽ブランド",
        "コピー品",
        "スーパーコピー",
        "コピー商品",
        "n品",
        "s級",
        "sa級",
        "ss級",
        "ミラー品",
        "ミラーグレード",
        "レプリカ",
        "パチモン",
        "バッタもん",
        "海外製造品",
        "本物ではありません",
        "本物ではない",
        "正規品ではありません",
        "非正規",
        "インスパイア",
        "同等品",
        "本物同様",
        "本物と同じ",
        "1:1",
        "replica",
        "fake",
        "counterfeit",
        "knockoff",
        "knock-off",
        "knock off",
        "mirror quality",
        "aaa quality",
        "aaa+",
        "1:1 quality",
        "inspired by",
        "dupe",
        "unbranded copy",
        "high copy",
        "top copy",
        "not authentic",
        "not genuine",
        "not original",
        "non original",
        "not real",
        "fake papers",
        "super clone",
        "superclone",
        "clone watch",
        "unauthorized authentic",
        "ua pair",
        "best batch",
        "top batch",
        "same factory",
        "rep quality",
        "reps",
        "proxy card",
        "プロキシ",
        "正規品ではない",
        "偽物です",
        "激似",
        "ブランド風",
    ),
    ADULT: (
        "18禁",
        "r18",
        "r-18",
        "成人向け",
        "アダルト",
        "大人のおもちゃ",
        "大人の玩具",
        "無修正",
        "裏ビデオ",
        "av女優",
        "エロ",
        "官能",
        "わいせつ",
        "ヌード",
        "セクシー動画",
        "使用済み下着",
        "着用済み下着",
        "生写真",
        "大人の方のみ",
        "18歳未満",
        "18才未満",
        "ローター",
        "バイブ",
        "オナホ",
        "オナホール",
        "エロ本",
        "エロ雑誌",
        "着エロ",
        "ラブドール",
        "tenga",
        "テンガ",
        "playboy",
        "プレイボーイ",
        "dildo",
        "vibrator",
        "onahole",
        "アダルトグッズ",
        "adult only",
        "adults only",
        "18+",
        "xxx",
        "nsfw",
        "porn",
        "uncensored",
        "sex toy",
        "worn panties",
        "used panties",
        "erotic",
        "nude",
        "explicit",
        "butt plug",
        "anal plug",
        "cock ring",
        "masturbator",
        "sex doll",
        "love doll",
        "bdsm",
        "bondage",
        "fetish",
        "hentai",
        "onlyfans",
        "nudes",
        "ディルド",
        "アナル",
        "オナカップ",
        "smグッズ",
        "拘束具",
        "緊縛",
        "媚薬",
        "個人撮影",
        "素人動画",
        "夜のお供",
    ),
    CASH: (
        "現金",
        "金券",
        "ギフト券",
        "ギフトカード",
        "商品券",
        "プリペイドカード",
        "プリペイド",
        "電子マネー",
        "チャージ済み",
        "残高",
        "額面",
        "換金",
        "現金化",
        "換金率",
        "ショッピング枠",
        "クレカ枠",
        "即金",
        "アマギフ",
        "amazonギフト",
        "アマゾンギフト",
        "itunesカード",
        "itunes",
        "google play",
        "グーグルプレイ",
        "クオカード",
        "quoカード",
        "図書カード",
        "図書券",
        "vプリカ",
        "ペイペイ",
        "paypay",
        "ポイント譲渡",
        "コード通知",
        "コードのみ",
        "デジタルコード",
        "旧札",
        "紙幣",
        "お札",
        "ピン札",
        "新札",
        "外貨",
        "金貨",
        "切手シート",
        "テレカ",
        "テレホンカード",
        "gift card",
        "giftcard",
        "gift code",
        "e-gift",
        "egift",
        "voucher",
        "prepaid card",
        "cash",
        "banknote",
        "bank note",
        "money order",
        "store credit",
        "balance transfer",
        "amazon code",
        "cash out",
        "cashout",
        "steam wallet",
        "apple gift",
        "visa gift",
        "paypal balance",
    ),
    KEYWORD_STUFFING: (
        "検索用",
        "検索ワード",
        "関連ワード",
        "関連キーワード",
        "タグ:",
        "#",
        "キーワード",
        "類似品検索",
        "search words",
        "keywords:",
        "tags:",
        "related:",
    ),
}

_MASK = re.compile(r"[^\W\d_][○◯●〇＊*×✕☓◎][^\W\d_]")
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_SPACED = re.compile(r"(?:\b[A-Za-z]\b[ .\-_]){3,}\b[A-Za-z]\b")
_LEET = re.compile(r"\b[a-z]+[013457]+[a-z]+\b")
_HIRA_TO_KATA = {c: c + 0x60 for c in range(0x3041, 0x3097)}
# Any masking character counts as one masked letter: "オ○ホール", "エ□本", "s*x toy".
_MASK_CHARS = "○◯●〇＊*×✕☓◎□■△▲◇◆☆★"
_ONE_MASK = {ord(c): "○" for c in _MASK_CHARS}
_FOLD_AND_MASK: dict[int, int | str] = {**_HIRA_TO_KATA, **_ONE_MASK}
# "g i f t c a r d": single letters or digits separated by single spaces, joined back into a word
_SPACED_RUN = re.compile(r"(?<![^\W_])(?:[a-z0-9$] ){3,}[a-z0-9$](?![^\W_])")
_UNLEET = str.maketrans("013457", "oieast")

LEXICON_FEATURES: tuple[str, ...] = (
    *tuple(f"lex_{c}" for c in TERMS),
    "evasion_masked",
    "evasion_zero_width",
    "evasion_spaced",
    "evasion_leet",
)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower().translate(_HIRA_TO_KATA)


def _automaton() -> ahocorasick.Automaton:
    """Every term, plus every spelling of it with one letter masked (terms of 3+ letters)."""
    a = ahocorasick.Automaton()
    for k, terms in enumerate(TERMS.values()):
        for term in terms:
            key = _fold(term)
            a.add_word(key, (k, key))
            if len(key) >= 3:
                for i, ch in enumerate(key):
                    if ch.isalnum():
                        masked = key[:i] + "○" + key[i + 1 :]
                        if not a.exists(masked):
                            a.add_word(masked, (k, masked))
    a.make_automaton()
    return a


_AUTOMATON = _automaton()


def lexicon_counts(normalised: str) -> list[int]:
    """Matches per category (in ``TERMS`` order) in an already normalised text."""
    counts = [0] * len(TERMS)
    for k, _term in _matches(normalised):
        counts[k] += 1
    return counts


def lexicon_matches(normalised: str) -> dict[str, list[str]]:
    """The policy terms found, per category (distinct, in order of appearance): evidence a person
    can read. Masked spellings are reported as found (``ア○ゾン``)."""
    cats = list(TERMS)
    out: dict[str, list[str]] = {}
    for k, term in _matches(normalised):
        found = out.setdefault(cats[k], [])
        if term not in found:
            found.append(term)
    return out


def _matches(normalised: str) -> list[tuple[int, str]]:
    text = normalised.translate(_FOLD_AND_MASK)
    if " " in text:
        text = _SPACED_RUN.sub(lambda m: m.group().replace(" ", ""), text)
    text = _LEET.sub(lambda m: m.group().translate(_UNLEET), text)
    n = len(text)
    out: list[tuple[int, str]] = []
    for end, (k, term) in _AUTOMATON.iter(text):
        start = end - len(term) + 1
        # Latin terms match whole words only: "cash" is not in "cashmere"
        if _is_word(term[0]) and start > 0 and _is_word(text[start - 1]):
            continue
        if _is_word(term[-1]) and end + 1 < n and _is_word(text[end + 1]):
            continue
        out.append((k, term))
    return out


def _is_word(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def evasion_counts(raw: str) -> list[int]:
    """Masked letters, zero-width characters, spaced-out words, digit-for-letter words (raw text)."""
    lowered = unicodedata.normalize("NFKC", raw).lower()
    leet = len(_LEET.findall(lowered))
    return [
        len(_MASK.findall(lowered)),
        len(_ZERO_WIDTH.findall(raw)),
        len(_SPACED.findall(raw)),
        leet,
    ]
