"""Offline evaluation: ``lovemachine evaluate --config eval/<name>.yaml`` (seeds 002 and 003).

A config file names the data, the split (random, or time: train on older, evaluate on newer), the
models to compare (trained here, the live champion, artifacts on disk, the CS keyword-rule
baseline), the primary metric and the review capacity. The run scores every model on the same
rows, chooses each model's thresholds from its own validation rows, and writes a report that
says whether a candidate may replace the incumbent and why.

Modules: ``config`` (schema), ``data`` (rows, split), ``models`` (the compared models and their
thresholds), ``baselines`` (keyword rules), ``metrics`` and ``slices`` (pure numbers),
``decision`` (the eligibility rule), ``run`` (the job), ``report``/``sections``/``document``/``plots``
(the output files).

``run_evaluation(config)`` is what ``lovemachine evaluate`` runs; ``evaluate_split(config, split, ...)``
is the same job on rows the caller already holds and has split (``lovemachine retrain``).
"""

from trainers.evaluation.config import ConfigError, EvalConfig, EvaluationError, load_config
from trainers.evaluation.report import write_report
from trainers.evaluation.run import Evaluation, evaluate_split, run_evaluation

__all__ = [
    "ConfigError",
    "EvalConfig",
    "Evaluation",
    "EvaluationError",
    "evaluate_split",
    "load_config",
    "run_evaluation",
    "write_report",
]
