"""The evaluation config: one YAML file per evaluation run, reviewed like code (seed 002).

Every section is a strict pydantic model (unknown keys are errors, so a typo cannot silently fall
back to a default), and :func:`load_config` turns validation failures into one :class:`ConfigError`
naming each bad key by its path (``candidates.1.train_options: unknown option 'calbration'``).
Relative paths in the file are resolved against the file's own directory, so a config means the
same thing whatever directory the command runs from.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from lovemachine.errors import (  # re-exported: callers import them from here too
    ConfigError as ConfigError,
    EvaluationError as EvaluationError,
)
from lovemachine.policy.thresholds import DEFAULT_BASE_RATES, ThresholdSpec

PRIMARY_METRICS = ("pr_auc", "recall_at_hide_precision", "recall_at_report_precision")
# owned by the split and thresholds sections; a candidate may not set them on its own
_RESERVED_TRAIN_OPTIONS = ("split", "valid_fraction", "test_fraction", "hide_precision", "report_precision")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SyntheticData(_Strict):
    n: int = Field(ge=100, le=2_000_000)
    seed: int = 0
    days: int = Field(default=30, ge=1)


class ExtraTestSet(_Strict):
    name: str = Field(min_length=1)
    path: Path
    required: bool = False
    """When false, a missing file skips this test set with a note instead of failing the run."""


class DataConfig(_Strict):
    path: Path | None = None
    synthetic: SyntheticData | None = None
    snapshot: str | None = None
    """Rows the caller hands over already split (``evaluate_split``): ``lovemachine retrain`` names its
    dataset snapshot here. A config file cannot use it on its own."""
    test_data: list[ExtraTestSet] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_source(self) -> DataConfig:
        if sum(x is not None for x in (self.path, self.synthetic, self.snapshot)) != 1:
            raise ValueError("give exactly one of 'path' (labelled JSONL) or 'synthetic: {n, seed}'")
        names = [t.name for t in self.test_data]
        if "split" in names or len(set(names)) != len(names):
            raise ValueError("test_data names must be unique and not 'split' (the split's own test rows)")
        return self


class SplitConfig(_Strict):
    kind: Literal["random", "time"] = "time"
    valid_fraction: float = Field(default=0.15, gt=0, lt=1)
    test_fraction: float = Field(default=0.2, gt=0, lt=1)
    seed: int = 0

    @model_validator(mode="after")
    def _room_to_train(self) -> SplitConfig:
        if self.valid_fraction + self.test_fraction >= 0.9:
            raise ValueError("valid_fraction + test_fraction must leave at least 10% to train on")
        return self


class TrainCandidate(_Strict):
    name: str = Field(min_length=1)
    source: Literal["train"]
    train_options: dict[str, Any] = Field(default_factory=dict)


class ChampionCandidate(_Strict):
    name: str = Field(default="champion", min_length=1)
    source: Literal["champion"]
    alias: str = "champion"
    required: bool = False
    """When false, a registry without the alias skips this model with a note."""


class ArtifactCandidate(_Strict):
    name: str = Field(min_length=1)
    source: Literal["artifact"]
    path: Path
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    """Expected checksum of model.pkl (from the registry); default: the one in metadata.json."""


Candidate = Annotated[TrainCandidate | ChampionCandidate | ArtifactCandidate, Field(discriminator="source")]


class Baselines(_Strict):
    keyword_rules: Path | None = None
    """A YAML file of CS-style keyword/regex rules per category (see eval/baseline_rules.yaml)."""


class ThresholdSettings(_Strict):
    hide_precision: float = Field(default=0.99, gt=0, le=1)
    report_precision: float = Field(default=0.8, gt=0, le=1)
    review_capacity_per_day: int = Field(gt=0)
    daily_listings: int = Field(gt=0)
    base_rates: dict[str, float] | None = None
    """Live share of violations per category (hide precision and the capacity cap are judged at
    these rates); missing categories take the defaults (``lovemachine.policy.thresholds``)."""

    @model_validator(mode="after")
    def _ordered(self) -> ThresholdSettings:
        if self.report_precision > self.hide_precision:
            raise ValueError("report_precision must not exceed hide_precision")
        return self

    @property
    def max_flag_rate(self) -> float:
        return min(1.0, self.review_capacity_per_day / self.daily_listings)

    def spec(self) -> ThresholdSpec:
        """The one threshold specification training and retraining use too."""
        return ThresholdSpec(
            hide_precision=self.hide_precision,
            report_precision=self.report_precision,
            base_rates={**DEFAULT_BASE_RATES, **(self.base_rates or {})},
            max_flag_rate=self.max_flag_rate,
        )


class Eligibility(_Strict):
    test_set: str = "split"
    """The test set the decision is taken on ('split' = the split's held-out rows)."""
    min_mean_improvement: float = Field(default=0.0, ge=0)
    max_category_regression: float = Field(default=0.02, ge=0)
    bootstrap_resamples: int = Field(default=200, ge=0, le=10_000)
    confidence: float = Field(default=0.9, gt=0.5, lt=1)
    max_clean_flag_rate_increase: float | None = Field(default=None, ge=0, le=1)
    """When set: the candidate's share of clean test rows reported or hidden may exceed the
    incumbent's by at most this (absolute; ``lovemachine retrain`` uses 0.01). None: not checked."""
    max_regression_hide_increase: int | None = Field(default=None, ge=0)
    """When set: the candidate may hide at most this many more clean regression-set rows (tagged
    ``set:regression``) than the incumbent (``lovemachine retrain`` uses 0). None: not checked."""


class ReportOptions(_Strict):
    examples: int = Field(default=5, ge=0, le=100)
    """Worst false positives / false negatives shown per model, category and test set."""
    calibration_bins: int = Field(default=10, ge=2, le=50)


class EvalConfig(_Strict):
    name: str = Field(min_length=1)
    description: str = ""
    data: DataConfig
    split: SplitConfig = SplitConfig()
    candidates: list[Candidate] = Field(min_length=1)
    baselines: Baselines = Baselines()
    primary_metric: Literal["pr_auc", "recall_at_hide_precision", "recall_at_report_precision"]
    thresholds: ThresholdSettings
    eligibility: Eligibility = Eligibility()
    report: ReportOptions = ReportOptions()

    @field_validator("split", mode="before")
    @classmethod
    def _split_shorthand(cls, v: Any) -> Any:
        return {"kind": v} if isinstance(v, str) else v  # `split: time`

    @model_validator(mode="after")
    def _consistent(self) -> EvalConfig:
        names = [c.name for c in self.candidates]
        if self.baselines.keyword_rules is not None:
            names.append("keyword_rules")
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"model names must be unique ('keyword_rules' is the rule baseline): {dupes}")
        if sum(c.source == "champion" for c in self.candidates) > 1:
            raise ValueError("at most one candidate may have source 'champion' (the live model)")
        test_sets = {"split", *(t.name for t in self.data.test_data)}
        if self.eligibility.test_set not in test_sets:
            raise ValueError(f"eligibility.test_set {self.eligibility.test_set!r} is not one of {test_sets}")
        return self


def load_config(path: Path) -> EvalConfig:
    """Read, validate and resolve ``path``; raises :class:`ConfigError` with every problem named."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from None
    return parse_config(raw, base_dir=Path(path).parent, origin=str(path))


def parse_config(raw: Any, *, base_dir: Path, origin: str = "config") -> EvalConfig:
    if not isinstance(raw, dict):
        raise ConfigError(f"{origin}: expected a mapping at the top level, got {type(raw).__name__}")
    try:
        config = EvalConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{origin}: " + "; ".join(_describe(e) for e in exc.errors())) from None
    problems = [
        f"candidates.{i}.train_options: {p}"
        for i, c in enumerate(config.candidates)
        if isinstance(c, TrainCandidate)
        for p in _train_option_problems(c.train_options)
    ]
    if problems:
        raise ConfigError(f"{origin}: " + "; ".join(problems))
    return _resolve_paths(config, base_dir)


def _describe(err: Any) -> str:
    loc = [str(p) for p in err["loc"]]
    # drop the union tag pydantic inserts after a discriminated list index (candidates.0.train.x)
    if len(loc) >= 3 and loc[0] == "candidates" and loc[2] in ("train", "champion", "artifact"):
        del loc[2]
    msg = err["msg"].removeprefix("Value error, ")
    return f"{'.'.join(loc) or '(top level)'}: {msg}"


def _train_option_problems(options: dict[str, Any]) -> list[str]:
    from trainers.train import TrainConfig

    known = {f.name for f in dataclasses.fields(TrainConfig)}
    out = []
    for key in options:
        if key in _RESERVED_TRAIN_OPTIONS:
            out.append(f"{key!r} is set by the 'split' or 'thresholds' section, not per candidate")
        elif key not in known:
            out.append(f"unknown option {key!r}; TrainConfig accepts {', '.join(sorted(known))}")
    return out


def _resolve_paths(config: EvalConfig, base: Path) -> EvalConfig:
    def r(p: Path) -> Path:
        return p if p.is_absolute() else (base / p)

    data = config.data.model_copy(
        update={
            "path": r(config.data.path) if config.data.path else None,
            "test_data": [t.model_copy(update={"path": r(t.path)}) for t in config.data.test_data],
        }
    )
    candidates = [
        c.model_copy(update={"path": r(c.path)}) if isinstance(c, ArtifactCandidate) else c
        for c in config.candidates
    ]
    rules = config.baselines.keyword_rules
    baselines = config.baselines.model_copy(update={"keyword_rules": r(rules) if rules else None})
    return config.model_copy(update={"data": data, "candidates": candidates, "baselines": baselines})
