"""CS-managed keyword and regex rules (the search conditions of the old system)."""

from lovemachine.rules.rules import Rule, RuleMatch, RuleSet

__all__ = ["Rule", "RuleMatch", "RuleSet"]
