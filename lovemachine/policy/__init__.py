"""Policy: pure functions from scores and rule matches to hide / report / allow, with reasons."""

from lovemachine.policy.policy import Action, Decision, Policy, Thresholds, decide

__all__ = ["Action", "Decision", "Policy", "Thresholds", "decide"]
