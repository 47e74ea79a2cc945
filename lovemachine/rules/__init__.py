"""CS-managed keyword and regex rules (the search conditions of the old system), run on RE2."""

from lovemachine.rules.rules import (
    MAX_PATTERN_CHARS,
    MAX_PROGRAM_BYTES,
    PatternError,
    Rule,
    RuleMatch,
    RuleSet,
    compile_pattern,
)

__all__ = [
    "MAX_PATTERN_CHARS",
    "MAX_PROGRAM_BYTES",
    "PatternError",
    "Rule",
    "RuleMatch",
    "RuleSet",
    "compile_pattern",
]
