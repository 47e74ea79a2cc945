"""Dictionary-based Japanese words (Sudachi, split mode C) for the text models.

Japanese has no spaces, so the cheap analyzer in ``text.py`` falls back to character bigrams, which
blur product words into fragments. Sudachi's mode C keeps compounds whole — ネヴァーフル, ギフト券,
正規品, 室内犬 — so a model can weigh the word, not just its pieces, and a word it has learned
still counts when it appears next to characters it has not seen.

Speed: tokenising whole descriptions is too slow for the fast tier's budget (docs/benchmarks.md,
component figures). Listings repeat the same kana/kanji runs endlessly (全体的にきれいな状態です,
即購入OK), so only the runs are tokenised and each run's words are cached. The cache is bounded
(cleared when full) and lives per thread, like the Sudachi tokenizer itself, which is not
thread-safe. Neither is pickled with a model: a loaded model rebuilds them on first use.
"""

from __future__ import annotations

import re
import threading
from typing import Any

# a run of kana / kanji (with the prolonged sound mark and iteration mark), as in text.py
_RUN = re.compile(r"[\u3040-\u309f\u30a0-\u30ff\u31f0-\u31ff\u4e00-\u9fff\u3400-\u4dbf\u3005]{2,}")
_HIRAGANA_ONLY = re.compile(r"^[\u3040-\u309f]{1,2}$")
CACHE_MAX = 200_000


class _State(threading.local):
    tokenizer: Any = None
    cache: dict[str, tuple[str, ...]]

    def __init__(self) -> None:
        self.cache = {}


_state = _State()


def _tokenizer() -> Any:
    if _state.tokenizer is None:
        from sudachipy import Dictionary, SplitMode

        d = Dictionary(dict="core")
        make = getattr(d, "tokenizer", None) or d.create  # SudachiPy >= 0.6.10 renamed create()
        _state.tokenizer = make(mode=SplitMode.C, fields={"surface"})
    return _state.tokenizer


def _split(run: str) -> tuple[str, ...]:
    words = (m.surface() for m in _tokenizer().tokenize(run))
    # particles and auxiliaries (は, が, です...) carry no signal; short hiragana-only words are dropped
    return tuple(w for w in words if not _HIRAGANA_ONLY.match(w))


def japanese_words(normalised: str) -> list[str]:
    """Sudachi (mode C) content words of the kana/kanji runs in an already normalised text."""
    cache = _state.cache
    out: list[str] = []
    for run in _RUN.findall(normalised):
        words = cache.get(run)
        if words is None:
            words = _split(run)
            if len(cache) >= CACHE_MAX:
                cache.clear()
            cache[run] = words
        out.extend(words)
    return out
