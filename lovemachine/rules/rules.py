"""Keyword / regex rules that CS staff add and delete without a deploy.

Rules match against the *normalised* title and description (NFKC, width-folded, lower-cased), so a
rule for ``amazonギフト`` also catches ``ＡＭＡＺＯＮギフト``. A RuleSet is immutable: the worker swaps a
whole new set in when the database changes, so a batch is always judged by one consistent set.

Every rule runs on RE2 (``google-re2``), which matches in time linear in the text: a pattern such
as ``(a+)+$`` cannot stall a worker or the CS tool's preview. RE2 refuses what cannot run in linear
time (backreferences, lookarounds, atomic groups, possessive quantifiers) and patterns whose
compiled program would exceed :data:`MAX_PROGRAM_BYTES`; :func:`compile_pattern` turns such a
refusal into a :class:`PatternError` with a message a CS lead can act on. Python's ``re`` syntax
is translated where the two differ silently: ``\\w``/``\\d`` are Unicode-aware as in Python (RE2's
are ASCII-only), ``\\Z``, ``\\uXXXX`` and ``{,n}`` mean what they mean in Python. One difference
remains: ``\\b`` is an ASCII word boundary in RE2 (``\\bgift\\b`` also matches in ``giftカード``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from string import hexdigits
from typing import Any, Literal

import re2

from lovemachine.categories import CATEGORIES
from lovemachine.features.text import normalise

log = logging.getLogger(__name__)

MAX_PATTERN_CHARS = 1000
"""Longest pattern a rule may have (the CS tool's API enforces the same limit)."""
MAX_PROGRAM_BYTES = 8 << 20
"""RE2's ``max_mem`` per rule: the compiled program and its DFA cache stay within this; a pattern
that needs more is refused at compile time (when matching, RE2 falls back to its NFA, still linear)."""

SYNTAX_HINT = "rules use RE2 syntax so that matching takes linear time"

# Python's \w and \d are Unicode-aware; RE2's are ASCII-only, so `\w+` would stop at ギフト.
_WORD = r"\p{L}\p{N}_"
_OUTSIDE_CLASS = {"w": f"[{_WORD}]", "W": f"[^{_WORD}]", "d": r"\p{Nd}", "D": r"\P{Nd}", "Z": r"\z"}
_INSIDE_CLASS = {"w": _WORD, "d": r"\p{Nd}", "D": r"\P{Nd}"}
_EMPTY_MIN = re.compile(r"\{,(\d*)\}")  # Python's a{,3} is a{0,3}; RE2 reads "{,3}" literally
_BACKREF = re.compile(r"invalid escape sequence: \\[1-9]")
_LOOKAROUND = ("(?=", "(?!", "(?<=", "(?<!")


class PatternError(ValueError):
    """A pattern the rule engine refuses; ``str(exc)`` is a message for the person who wrote it."""


def _options(*, literal: bool) -> Any:
    options = re2.Options()
    options.case_sensitive = False
    options.never_capture = True  # only the whole match is reported, so no submatch tracking
    options.max_mem = MAX_PROGRAM_BYTES
    options.log_errors = False  # the refusal reaches the caller as PatternError instead
    options.literal = literal
    return options


_REGEX_OPTIONS = _options(literal=False)
_LITERAL_OPTIONS = _options(literal=True)


def to_re2_syntax(pattern: str) -> str:
    """Rewrite the parts of Python ``re`` syntax that RE2 reads differently without an error."""
    out: list[str] = []
    i, n = 0, len(pattern)
    in_class = False
    class_body = 0  # index of the first character of the current [...] body
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            e = pattern[i + 1]
            if e in "uU":
                width = 4 if e == "u" else 8
                digits = pattern[i + 2 : i + 2 + width]
                if len(digits) != width or any(d not in hexdigits for d in digits):
                    raise PatternError(f"incomplete escape \\{e}{digits}: expected {width} hex digits")
                out.append("\\x{" + digits + "}")
                i += 2 + width
                continue
            if in_class and e in "W":
                raise PatternError(r"\W inside [...] is not supported: write [^\w...] instead")
            out.append((_INSIDE_CLASS if in_class else _OUTSIDE_CLASS).get(e, c + e))
            i += 2
            continue
        if in_class:
            if c == "]" and i > class_body:
                in_class = False
        elif c == "[":
            in_class = True
            class_body = i + 2 if pattern.startswith("^", i + 1) else i + 1
            out.append(pattern[i:class_body])
            i = class_body
            continue
        elif c == "{" and (m := _EMPTY_MIN.match(pattern, i)):
            out.append("{0," + m.group(1) + "}")
            i = m.end()
            continue
        out.append(c)
        i += 1
    return "".join(out)


def _explain(error: str, pattern: str) -> str:
    """A clearer message for RE2's refusals of non-linear features."""
    if _BACKREF.search(error) or "(?P=" in pattern:
        return f"backreferences (\\1, (?P=name)) are not supported: {SYNTAX_HINT}"
    if any(op in error for op in _LOOKAROUND):
        return f"lookahead and lookbehind ((?=, (?!, (?<=, (?<!) are not supported: {SYNTAX_HINT}"
    if "(?>" in error:
        return f"atomic groups (?>...) are not supported: {SYNTAX_HINT}"
    if "bad repetition operator" in error and error.endswith("+"):
        return f"possessive quantifiers (*+, ++, ?+) are not supported: {SYNTAX_HINT}"
    if "pattern too large" in error:
        return (
            f"pattern too large: it needs more than {MAX_PROGRAM_BYTES >> 20} MiB compiled; use fewer or "
            "smaller repetitions (e.g. \\w{1,20} rather than \\w{1,1000})"
        )
    if "invalid repetition size" in error:
        return f"{error} (a repetition count may be at most 1000)"
    return error


def compile_pattern(pattern: str, kind: str) -> Any:
    """The compiled matcher of a rule's pattern, case-insensitive; ``PatternError`` if refused.

    Keywords are literals (normalised like the text they run on); regexes use Python ``re`` syntax
    minus what cannot run in linear time."""
    if len(pattern) > MAX_PATTERN_CHARS:
        raise PatternError(f"pattern too long: {len(pattern)} characters (at most {MAX_PATTERN_CHARS})")
    if kind == "keyword":
        source, options = normalise(pattern), _LITERAL_OPTIONS
        if not source:  # e.g. only zero-width characters: it would match every listing
            raise PatternError("the keyword is empty once normalised (spaces and invisible characters)")
    else:
        source, options = to_re2_syntax(pattern), _REGEX_OPTIONS
    try:
        return re2.compile(source, options)
    except re2.error as exc:
        raw = exc.args[0] if exc.args else "refused"
        error = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        raise PatternError(_explain(error, pattern)) from None


@dataclass(frozen=True)
class Rule:
    id: int
    pattern: str
    kind: Literal["keyword", "regex"]
    category: str
    action: Literal["hide", "report"]
    enabled: bool = True
    note: str = ""
    verify_pattern: bool = field(default=True, repr=False, compare=False)
    """False only for rows read back from storage: a rule saved before the engine changed must still
    load (to be listed, fixed or disabled); :class:`RuleSet` skips it, with a logged error, if RE2
    refuses its pattern. A disabled rule's pattern is checked when it is enabled again."""

    def __post_init__(self) -> None:
        if self.category not in CATEGORIES:
            raise ValueError(f"rule #{self.id}: unknown category {self.category!r}")
        if self.kind not in ("keyword", "regex"):
            raise ValueError(f"rule #{self.id}: kind must be 'keyword' or 'regex'")
        if self.action not in ("hide", "report"):
            raise ValueError(f"rule #{self.id}: action must be 'hide' or 'report'")
        if not self.pattern.strip():
            raise ValueError(f"rule #{self.id}: empty pattern")
        if self.verify_pattern and self.enabled:
            try:
                compile_pattern(self.pattern, self.kind)
            except PatternError as exc:
                what = "invalid regex" if self.kind == "regex" else "invalid keyword"
                raise ValueError(f"rule #{self.id}: {what}: {exc}") from None


@dataclass(frozen=True)
class RuleMatch:
    rule_id: int
    category: str
    action: str
    matched: str


class RuleSet:
    """The enabled rules, compiled. A rule RE2 refuses (only possible for one read back from storage)
    is left out with a logged error and listed in ``skipped``; the others still run."""

    def __init__(self, rules: Iterable[Rule] = ()) -> None:
        compiled: list[tuple[Rule, Any]] = []
        self.skipped: dict[int, str] = {}
        for rule in rules:
            if not rule.enabled:
                continue
            try:
                compiled.append((rule, compile_pattern(rule.pattern, rule.kind)))
            except PatternError as exc:
                self.skipped[rule.id] = str(exc)
                log.error(
                    "rule #%d skipped: RE2 refuses its %s %r: %s", rule.id, rule.kind, rule.pattern, exc
                )
        self.rules = tuple(rule for rule, _ in compiled)
        self._compiled = compiled

    def __len__(self) -> int:
        return len(self.rules)

    def match(self, normalised_text: str) -> list[RuleMatch]:
        if not self._compiled:
            return []
        data = normalised_text.encode("utf-8", "replace")  # once, not once per rule
        out = []
        for rule, rx in self._compiled:
            m = rx.search(data)
            if m:
                matched = m.group(0).decode("utf-8", "replace")
                out.append(RuleMatch(rule.id, rule.category, rule.action, matched[:80]))
        return out
