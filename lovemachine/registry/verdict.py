"""The offline evaluation's verdict on a retrained version: written by the retrain, read by promotion.

A retrain evaluates its candidate against the live model and stores the verdict with the version
(``ModelVersionRecord.metrics["evaluation"]``, JSON in the registry). Promotion's first gate, the CLI
and the CS tool read it back through ``EvaluationVerdict.of`` instead of walking the dict, so a
missing or malformed verdict is one clear case (``None``), never a ``KeyError`` three modules away.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

METRICS_KEY = "evaluation"


class EvaluationVerdict(BaseModel):
    """Whether the candidate beat the live model offline, why, and its clean-listing figures."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    eligible: bool
    """Only JSON ``true`` is eligible: "yes", 1 or a typo never promote anything."""
    reasons: list[str] = Field(default_factory=list)
    report_path: str | None = None
    report: str | None = None
    """Older verdicts named the report ``report``."""
    incumbent: str | None = None
    primary_metric: str | None = None
    mean: float | None = None
    mean_delta: float | None = None
    bootstrap_lower: float | None = None
    clean_rows: int | None = None
    """Clean test rows (held-out base rows, the regression set's clean rows, audit 'no violation')."""
    clean_flag_rate: float | None = None
    clean_hidden: int | None = None
    regression_hidden: int | None = None
    live_clean_flag_rate: float | None = None
    live_clean_hidden: int | None = None
    live_regression_hidden: int | None = None

    @field_validator("eligible", mode="before")
    @classmethod
    def _only_true(cls, v: object) -> bool:
        return v is True

    @field_validator("reasons", mode="before")
    @classmethod
    def _reasons(cls, v: object) -> list[str]:
        return [str(r) for r in v] if isinstance(v, list) else []

    @property
    def report_location(self) -> str | None:
        return self.report_path or self.report

    @classmethod
    def of(cls, metrics: dict[str, Any]) -> EvaluationVerdict | None:
        """The verdict stored in a version's metrics; ``None`` when there is none (a version trained
        with ``lovemachine train``) or it cannot be read."""
        raw = metrics.get(METRICS_KEY)
        if not isinstance(raw, dict) or "eligible" not in raw:
            return None
        try:
            return cls.model_validate(raw)
        except ValidationError:
            return None

    def to_metrics(self) -> dict[str, Any]:
        """The JSON stored under ``metrics["evaluation"]``."""
        return self.model_dump(mode="json", exclude_none=True)
