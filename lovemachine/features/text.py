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
"""

from __future__ import annotations

import re
import unicodedata

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
        if tok[0] < "\u3040":
            append(tok)
            continue
        n = len(tok)
        if n <= 6:
            append(tok)
        if n >= 3:
            for i in range(n - 1):
                append(tok[i : i + 2])
    for m in _SPACED.findall(normalised):
        append(re.sub(r"[ \.\-_]", "", m))
    return out


def listing_text(title: str, description: str, brand: str | None = None) -> str:
    """The text a model sees: title, brand and description, normalised."""
    return normalise(f"{title} {brand or ''} {description}")
