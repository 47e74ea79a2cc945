"""Text normalisation and tokenisation for Japanese and English listings.

``normalise`` applies Unicode NFKC (full-width ＡＢＣ１２３ -> ABC123, half-width ｶﾀｶﾅ -> カタカナ,
compatibility characters such as ㈱ -> (株)), lower-cases, removes zero-width characters sellers use to
dodge keyword filters, and collapses whitespace.

``tokens`` is the analyzer the text models use. It is deliberately cheap (one regex pass): Latin words
and numbers become word tokens; runs of kana and kanji, which have no spaces, become the run itself
when short plus character bigrams, which keep brand and product words (ギフト券, ヴィトン, 本物同様)
recognisable without a dictionary. Adjacent tokens are also paired (``gift_card``, ``n_品``)
so mixed-script phrases survive. Spaced-out evasions ("g i f t") are caught by also emitting the
run of single letters joined together.

Beside these cheap tokens the analyzer adds what generalises to wordings the training data never
showed: Sudachi dictionary words (``w:ギフト券``, see ``japanese.py``); hiragana runs folded to
katakana (ぎふと -> ギフト, a common way to dodge katakana keyword rules); leetspeak undone
(``g1ft`` -> ``gift``); and character trigrams of longer Latin words (``c:vui``), so misspelt brands
(vuiton, l0uis) share most of their features with the real spelling.
"""

from __future__ import annotations

import re
import unicodedata

from lovemachine.features.japanese import japanese_words

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_WS = re.compile(r"\s+")
# Latin/digit words | katakana run (with prolonged sound mark) | kanji run | hiragana run | symbols
_TOKEN = re.compile(
    r"[a-z0-9][a-z0-9'&\-\.]*[a-z0-9]|[a-z0-9]"
    r"|[\u30a0-\u30ff\u31f0-\u31ff]+"
    r"|[\u4e00-\u9fff\u3400-\u4dbf\u3005]+"
    r"|[\u3040-\u309f]+"
    r"|[#＃$¥€£%★☆♡♥]"
)
_SPACED = re.compile(r"(?:\b[a-z]\b[ \.\-_]){2,}\b[a-z]\b")


_LEET = str.maketrans("013457@$", "oieastas")
_HIRA_TO_KATA = {c: c + 0x60 for c in range(0x3041, 0x3097)}


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(_ZERO_WIDTH).lower()
    return _WS.sub(" ", text).strip()


def tokens(normalised: str) -> list[str]:
    """Tokens of an already normalised text (see module docstring)."""
    out: list[str] = []
    append = out.append
    prev = ""
    for tok in _TOKEN.findall(normalised):
        if prev:
            append(prev + "_" + tok)  # adjacent pairs: "gift_card", "n_品", "amazon_ギフト"
        prev = tok if len(tok) <= 12 else ""
        first = tok[0]
        n = len(tok)
        if first < "\u3040":
            append(tok)
            if n >= 5 and first.isalpha():
                padded = f" {tok} "
                for i in range(n):
                    append("c:" + padded[i : i + 3])
            if n >= 3 and not tok.isalpha() and not tok.isdigit():
                deleet = tok.translate(_LEET)
                if deleet != tok and deleet.isalpha():
                    append(deleet)
            continue
        if first <= "\u309f" and 2 <= n <= 6:
            append(tok.translate(_HIRA_TO_KATA))
        if n <= 6:
            append(tok)
        if n >= 3:
            for i in range(n - 1):
                append(tok[i : i + 2])
    for m in _SPACED.findall(normalised):
        append(re.sub(r"[ \.\-_]", "", m))
    out.extend("w:" + w for w in japanese_words(normalised))
    return out


def listing_text(title: str, description: str, brand: str | None = None) -> str:
    """The text a model sees: title, brand and description, normalised."""
    return normalise(f"{title} {brand or ''} {description}")


def readable_term(feature: str, whole_tokens: set[str]) -> str | None:
    """The words a model feature stands for, if a person can read them as evidence; else None.

    Readable: dictionary words (``w:ギフト券``), Latin words and their de-leeted or de-spaced forms,
    pairs of whole tokens (``gift_card`` -> "gift card", ``ギフト_券`` -> "ギフト券"), and kana/kanji
    runs that stand whole in this listing (``whole_tokens``). Not readable: character trigrams
    (``c:vui``) and character bigrams cut from a longer run ('もお', 'けで'), which are fragments.
    """
    if feature.startswith("c:"):
        return None
    if feature.startswith("w:"):
        word = feature[2:]
        return word if len(word) >= 2 else None
    if "_" in feature and not feature.startswith("_"):
        left, _, right = feature.partition("_")
        if left and right:
            latin = left[0] < "\u3040" and right[0] < "\u3040"
            return f"{left} {right}" if latin else left + right
    if feature[0] < "\u3040":
        return feature if len(feature) >= 2 and any(ch.isalpha() for ch in feature) else None
    return feature if feature in whole_tokens and len(feature) >= 2 else None
