"""CS rules run in linear time (RE2): catastrophic patterns cannot stall a worker, refusals are clear,
a stored rule RE2 refuses is skipped with an error, and matches stay what Python's ``re`` found."""

from __future__ import annotations

import logging
import re
import time

import pytest

from lovemachine.features.text import listing_text
from lovemachine.rules import Rule, RuleSet

N = 100_000  # Python's re needs hours (doubling per character) on 30-odd characters of these


def regex_rule(pattern: str, rule_id: int = 1, **kw: object) -> Rule:
    return Rule(id=rule_id, pattern=pattern, kind="regex", category="cash", action="report", **kw)  # type: ignore[arg-type]


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("pattern", "text", "matched"),
    [
        (r"(a+)+$", "a" * N + "!", None),
        (r"(a+)+$", "a" * N, "a" * 80),
        (r"(x+x+)+y", "x" * N, None),
        (r"(a|aa)+b", "a" * N, None),
        (r"^(\w+\s?)*$", "ab " * (N // 3) + "!", None),
        (r"(.*a){12}z", "a" * N, None),
        (r"(ギフト|ギ|フト)+券$", "ギフト" * (N // 3) + "!", None),
    ],
)
def test_catastrophic_patterns_run_in_linear_time(pattern: str, text: str, matched: str | None) -> None:
    rules = RuleSet([regex_rule(pattern)])
    started = time.perf_counter()
    found = rules.match(text)
    elapsed = time.perf_counter() - started
    assert [m.matched for m in found] == ([] if matched is None else [matched])
    assert elapsed < 1.0, f"{pattern!r} over {len(text):,} characters took {elapsed:.1f} s"


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        (r"(a)\1", "backreferences"),
        (r"(?P<x>a)(?P=x)", "backreferences"),
        (r"gift(?!card)", "lookahead and lookbehind"),
        (r"(?<=amazon)ギフト", "lookahead and lookbehind"),
        (r"(?>a+)b", "atomic groups"),
        (r"a*+b", "possessive quantifiers"),
        (r"\w{1000}", "pattern too large"),
        (r"a{5000}", "at most 1000"),
        ("a" * 1001, "pattern too long"),
    ],
)
def test_patterns_re2_refuses_get_a_clear_reason(pattern: str, reason: str) -> None:
    with pytest.raises(ValueError, match=re.escape(reason)):
        regex_rule(pattern)


def test_a_stored_rule_re2_refuses_is_skipped_with_an_error_and_the_others_still_match(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stored = [
        regex_rule(r"(gift)\s*\1", rule_id=1, verify_pattern=False),  # saved before RE2
        regex_rule(r"amazon\s*ギフト", rule_id=2, verify_pattern=False),
        Rule(
            id=3, pattern="ｎ品", kind="keyword", category="counterfeit", action="hide", verify_pattern=False
        ),
    ]
    with caplog.at_level(logging.ERROR, logger="lovemachine.rules"):
        rules = RuleSet(stored)
    assert [r.id for r in rules.rules] == [2, 3] and list(rules.skipped) == [1]
    assert any(
        "rule #1 skipped" in r.getMessage() and "backreferences" in r.getMessage() for r in caplog.records
    )
    text = listing_text("AMAZON ギフト gift gift", "N品 です")
    assert [(m.rule_id, m.matched) for m in rules.match(text)] == [(2, "amazon ギフト"), (3, "n品")]


def test_a_keyword_of_invisible_characters_is_refused_instead_of_matching_everything() -> None:
    with pytest.raises(ValueError, match="empty once normalised"):
        Rule(id=1, pattern="\u200b\u200b", kind="keyword", category="cash", action="hide")


def test_a_disabled_rule_may_keep_a_refused_pattern_until_it_is_enabled() -> None:
    assert regex_rule(r"(a)\1", enabled=False).enabled is False  # so CS can disable a broken rule
    assert len(RuleSet([regex_rule(r"(a)\1", enabled=False)])) == 0


# Python's `re` (IGNORECASE) was the engine before; RE2 must report the same matched text.
SAME_AS_PYTHON = [
    (r"amazon\s*ギフト", "ＡＭＡＺＯＮ　ギフト券 5000円"),
    (r"\w+券", "itunes ギフト券 あり"),
    (r"[\w-]+@[\w.]+", "連絡は taro-山田@example.jp まで"),
    (r"\d{3,}円", "価格 ١٢٣٤円 です"),  # Arabic-Indic digits are \d in Python
    (r"\D+", "abc123"),
    (r"\W+", "ギフト!!券"),
    (r"[^\d\s]+", "12 ギフト 34"),
    (r"コード\Z", "ギフト コード"),
    (r"\u30AE\u30D5\u30C8", "amazon ギフト"),
    (r"ab{,2}c", "xabbc abbbc"),
    (r"gift\s?card\w*", "Gift Cards for sale"),
    (r"n品|スーパーコピー", "ｎ品 スーパーコピー"),
    (r"(?i)LINE\s*ID", "line id: abc"),
    (r"[]x]+", "a]]x b"),
]


@pytest.mark.parametrize(("pattern", "raw"), SAME_AS_PYTHON)
def test_matches_are_the_text_pythons_re_found(pattern: str, raw: str) -> None:
    text = listing_text(raw, "")
    expected = re.search(pattern, text, re.IGNORECASE)
    got = RuleSet([regex_rule(pattern)]).match(text)
    assert [m.matched for m in got] == ([expected.group(0)[:80]] if expected else [])
    assert got, "each case should match"


def test_lone_surrogates_in_a_listing_do_not_break_matching() -> None:
    rules = RuleSet([regex_rule(r"ギフト\w*"), Rule(1, "code", "keyword", "cash", "report")])
    assert [m.matched for m in rules.match("ギフト券 \ud800 code")] == ["ギフト券", "code"]
