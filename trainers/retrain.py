"""One retraining run: labels -> snapshot -> train -> evaluate against the live model -> register.

``retrain`` is the job ``lovemachine retrain`` and ``lovemachine scheduler`` run:

1. record a ``running`` training run (visible in the CS tool at once);
2. build the dataset snapshot (``trainers.snapshot``) from the CS and audit labels and the base data,
   write its label rows under ``<artifact dir>/snapshots/`` and store its provenance;
3. hold the newest labels and a fixed slice of the base data's clean rows out
   (``trainers.retrain_split``) and fit every model on the rest with the negatives it needs (base
   data with its clean rows, the written corpus; ``trainers.train.fit``: fast tier, the deep tier
   with ``deep=True``, thresholds on validation rows that hold negatives too);
4. save the artifact with the live model's regression set (``trainers.regression``: carried forward,
   never trained on) and evaluate it, exactly as saved, against the ``champion`` on the held-out
   labels, the held-out clean rows and the regression set: PR-AUC, and beside it the share of clean
   listings each would report or hide; the report goes to ``<artifact dir>/<version>/evaluation/``;
5. register the version, with the snapshot's provenance and the verdict in its metrics, and point
   ``challenger`` at it when the evaluation found it eligible. ``champion`` is never touched:
   promotion is ``lovemachine deploy promote``'s decision.

Any exception ends the run ``failed`` with the error, removes an artifact nothing refers to, and is
raised again as :class:`RetrainError`; nothing moved before the failure, so the live model is as it
was. ``should_stop`` (SIGTERM in the scheduler) is checked at every progress message.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lovemachine.categories import CATEGORIES
from lovemachine.errors import (  # re-exported: callers import them from here too
    RetrainError as RetrainError,
)
from lovemachine.images import ImageScorer
from lovemachine.monitoring.drift import METRICS_KEY as REFERENCE_KEY
from lovemachine.ports import ModelVersionRecord, TrainingStore
from lovemachine.registry import new_model_version, save_artifact
from lovemachine.registry.aliases import Alias
from lovemachine.registry.verdict import METRICS_KEY as VERDICT_KEY, EvaluationVerdict
from lovemachine.retraining import FAILED, NOT_ELIGIBLE, SUCCEEDED, TrainingRun
from trainers.base_rates import BaseRates, audit_estimate, resolve_base_rates
from trainers.dataset import Dataset, load_jsonl
from trainers.evaluation import EvalConfig, Evaluation, evaluate_split, write_report
from trainers.evaluation.clean import clean_mask
from trainers.evaluation.data import Split, labels as label_matrix
from trainers.metrics import category_metrics
from trainers.regression import META_KEY as REGRESSION_META_KEY, RegressionSet, regression_set_of
from trainers.retrain_record import (
    artifact_metadata,
    champion_overlap_note,
    clean_rows_note,
    json_safe,
    path_str,
    provenance_summary,
    rows_sha256,
    verdict_of,
)
from trainers.retrain_split import (
    NewestLabelsSplit,
    SplitOptions,
    eval_config,
    evaluation_split,
    hold_out_newest,
    training_sources,
)
from trainers.snapshot import Snapshot, build_snapshot
from trainers.sources import Sources, WrittenParts, load_written
from trainers.train import Fitted, TrainConfig, fit

Progress = Callable[[str], None]
log = logging.getLogger(__name__)


class Stopped(Exception):
    """The run was asked to stop (SIGTERM) before it finished."""


@dataclass(frozen=True)
class RetrainConfig:
    base_data: Path | None = None
    """Labelled JSONL the earlier models learned from (None: train on the labels alone)."""
    base_source: str | None = None
    """How to describe the base data in the provenance (default: its path)."""
    split: SplitOptions = field(default_factory=SplitOptions)
    train: TrainConfig = field(default_factory=TrainConfig)
    eval_config: Path | None = None
    """An evaluation config whose primary metric, thresholds and eligibility replace the defaults."""
    written: bool = True
    """Also train on the written corpus's train part and validate on its valid part (negatives written
    by other people: ``trainers.sources``)."""
    base_rates: Mapping[str, float] | None = None
    """Configured live base rates (``LOVEMACHINE_BASE_RATES``); categories left out take the audit
    sample's estimate for the live model when it rests on enough labels, else the defaults
    (``trainers.base_rates``). They replace ``train.base_rates``."""


@dataclass(frozen=True)
class RetrainOutcome:
    run: TrainingRun
    record: ModelVersionRecord
    snapshot_id: int
    eligible: bool
    reasons: list[str]
    report_dir: Path
    seconds: float


def retrain(
    store: TrainingStore,
    *,
    artifact_dir: Path,
    model_name: str,
    config: RetrainConfig = RetrainConfig(),
    trigger: str = "manual",
    actor: str = "cli",
    progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
    image_scorer: ImageScorer | None = None,
) -> RetrainOutcome:
    """Run one retraining (see the module docstring); raises :class:`RetrainError` when it fails."""
    run = store.start_training_run(trigger=trigger, actor=actor)
    t0 = datetime.now(UTC)

    def say(message: str) -> None:
        if should_stop is not None and should_stop():
            raise Stopped("stopped before it finished (SIGTERM)")
        if progress is not None:
            progress(message)

    job = _Job(store, run, artifact_dir, model_name, config, actor, say, image_scorer)
    try:
        return job.run(t0)
    except BaseException as exc:
        job.discard_artifact()
        error = f"{type(exc).__name__}: {exc}"
        try:
            failed = store.finish_training_run(
                run.id, status=FAILED, error=error, detail=json_safe(job.detail)
            )
        except Exception:  # the database may be what failed: keep the original error
            log.exception("training run #%d failed (%s) and could not be recorded", run.id, error)
            raise exc from None
        if isinstance(exc, Exception):
            raise RetrainError(f"training run #{run.id} failed: {exc}", failed) from exc
        raise


class _Job:
    """The steps of one run, holding what a failure must clean up."""

    def __init__(
        self,
        store: TrainingStore,
        run: TrainingRun,
        artifact_dir: Path,
        model_name: str,
        config: RetrainConfig,
        actor: str,
        say: Progress,
        image_scorer: ImageScorer | None,
    ) -> None:
        self.store, self.run_record, self.artifact_dir = store, run, Path(artifact_dir)
        self.model_name, self.config, self.actor, self.say = model_name, config, actor, say
        self.image_scorer = image_scorer
        self.artifact: Path | None = None
        self.registered = False
        self.detail: dict[str, Any] = {}

    def discard_artifact(self) -> None:
        if self.artifact is not None and not self.registered:
            shutil.rmtree(self.artifact, ignore_errors=True)

    def run(self, t0: datetime) -> RetrainOutcome:
        """Snapshot, split, train, evaluate against the live model, register, finish the run."""
        cfg, run_id = self.config, self.run_record.id
        snap, snapshot_id = self.snapshot()
        split = hold_out_newest(snap, cfg.split)
        regression = self.regression_set()
        written = load_written() if cfg.written else None
        sources = training_sources(split, written, regression)
        esplit = evaluation_split(split, sources, regression)
        self._record_rows(split, sources, regression, written)
        fitted, rates = self._fit(sources)
        self.say("scoring the held-out labels")
        s_test = fitted.model.predict_scores([r.listing for r in split.test])
        test_metrics = category_metrics(label_matrix(split.test), s_test, CATEGORIES, fitted.policy)
        now = datetime.now(UTC)
        version = new_model_version(self.model_name, snap.sha256, now)
        metrics: dict[str, Any] = {
            "split": "newest-labels",
            "rows": self.detail["rows"],
            "hide_precision_target": cfg.train.hide_precision,
            "report_precision_target": cfg.train.report_precision,
            "test": test_metrics,
            "calibration": cfg.train.calibration,
            "deep": cfg.train.deep,
            "deep_share_valid": round(fitted.deep_share_valid, 4),
            REFERENCE_KEY: fitted.reference_scores,
            "base_rates": rates.to_dict(),
            "dataset_snapshot": {"id": snapshot_id, "sha256": snap.sha256, **provenance_summary(snap)},
            "training_run_id": run_id,
            "written": cfg.written,
            REGRESSION_META_KEY: regression.metadata(),
        }
        uri, sha = save_artifact(
            fitted.model,
            version=version,
            artifact_dir=self.artifact_dir,
            metadata=artifact_metadata(
                self.model_name,
                now,
                fitted.policy.to_dict(),
                metrics,
                snap,
                {"split": asdict(cfg.split), "base_data": path_str(cfg.base_data), "written": cfg.written},
            ),
            files=regression.files(),
        )
        self.artifact = Path(uri)
        ev, econfig, econfig_text = self.evaluate(uri, sha, version, snap, snapshot_id, split, esplit)
        report_dir = self.artifact / "evaluation"
        write_report(ev, report_dir, config_text=econfig_text)
        verdict = verdict_of(ev.summary["decision"], econfig.primary_metric, report_dir)
        metrics[VERDICT_KEY] = verdict.to_metrics()
        record = ModelVersionRecord(
            version=version,
            name=self.model_name,
            artifact_uri=uri,
            artifact_sha256=sha,
            training_data_sha256=snap.sha256,
            metrics=json_safe(metrics),
            thresholds=fitted.policy.to_dict(),
            created_at=now,
        )
        return self._register_and_finish(record, verdict, snap, snapshot_id, report_dir, t0)

    def _record_rows(
        self,
        split: NewestLabelsSplit,
        sources: Sources,
        regression: RegressionSet,
        written: WrittenParts | None,
    ) -> None:
        self.detail["rows"] = {
            "train": len(sources.train),
            "validation": len(sources.valid),
            "test": len(split.test),
            "clean_holdout": len(split.clean_holdout),
            "regression": len(regression.rows),
            "regression_clean": len(regression.clean),
            "written_train": len(written.train) if written else 0,
        }
        self.store.update_training_run(self.run_record.id, detail=self.detail)
        self.say(
            f"training on {len(sources.train):,} rows ({len(sources.valid):,} validation; written corpus "
            f"{'on' if written else 'off'}); holding out the newest {len(split.test):,} labels, "
            f"{len(split.clean_holdout):,} clean base rows and the regression set ({len(regression.rows):,})"
        )

    def _fit(self, sources: Sources) -> tuple[Fitted, BaseRates]:
        """Thresholds at the live base rates (configured, else the audit sample's estimate)."""
        cfg = self.config
        rates = resolve_base_rates(cfg.base_rates, audit_estimate(self.store))
        self.detail["base_rates"] = rates.to_dict()
        self.say(
            "live base rates: "
            + ", ".join(f"{c} {r:.3g} ({rates.sources[c]})" for c, r in rates.rates.items())
        )
        fitted = fit(
            sources.train,
            sources.valid,
            replace(cfg.train, base_rates=rates.rates),
            progress=self.say,
            image_scorer=self.image_scorer,
            train_weight=sources.train_weight,
        )
        return fitted, rates

    def _register_and_finish(
        self,
        record: ModelVersionRecord,
        verdict: EvaluationVerdict,
        snap: Snapshot,
        snapshot_id: int,
        report_dir: Path,
        t0: datetime,
    ) -> RetrainOutcome:
        """Register the version; the challenger alias if eligible; the run's outcome."""
        store, run_id, version, eligible = self.store, self.run_record.id, record.version, verdict.eligible
        store.register_model_version(record)
        self.registered = True
        if eligible:
            store.set_alias(
                Alias.CHALLENGER,
                version,
                actor=self.actor,
                reason=f"training run #{run_id}: eligible offline",
            )
            self.say(f"{version} is the challenger (eligible: beats the live model offline)")
        else:
            self.say(f"{version} registered without an alias: not eligible")
        seconds = (datetime.now(UTC) - t0).total_seconds()
        clean = {
            k: v for k, v in verdict.to_metrics().items() if k.startswith(("clean_", "live_", "regression_"))
        }
        self.detail.update(
            seconds=round(seconds, 1),
            challenger=eligible,
            mean=verdict.mean,
            mean_delta=verdict.mean_delta,
            **clean,
            reasons=verdict.reasons,
            labels=snap.provenance["labels"],
        )
        finished = store.finish_training_run(
            run_id,
            status=SUCCEEDED if eligible else NOT_ELIGIBLE,
            model_version=version,
            eligible=eligible,
            report_path=str(report_dir),
            detail=json_safe(self.detail),
        )
        return RetrainOutcome(finished, record, snapshot_id, eligible, verdict.reasons, report_dir, seconds)

    def regression_set(self) -> RegressionSet:
        """The live model's regression set (the default for a model saved without one)."""
        regression = regression_set_of(self.store.get_alias(Alias.CHAMPION))
        self.say(
            f"regression set: {len(regression.rows):,} rows ({len(regression.clean):,} clean), "
            f"{regression.source}"
        )
        return regression

    def evaluate(
        self,
        uri: str,
        sha: str,
        version: str,
        snap: Snapshot,
        snapshot_id: int,
        split: NewestLabelsSplit,
        esplit: Split,
    ) -> tuple[Evaluation, EvalConfig, str]:
        """The new artifact, exactly as saved, against the live model on the evaluation split."""
        cfg = self.config
        n_clean = sum(clean_mask(esplit.test))
        self.say(
            f"evaluating {version} against the live model on {len(esplit.test):,} held-out rows "
            f"({len(split.test):,} labels; {n_clean:,} clean)"
        )
        econfig, econfig_text = eval_config(
            artifact_path=uri,
            artifact_sha256=sha,
            snapshot=f"#{snapshot_id} {snap.sha256[:12]}",
            split=cfg.split,
            overrides_file=cfg.eval_config,
        )
        ev = evaluate_split(
            econfig,
            esplit,
            data_sha256=rows_sha256(esplit.test),
            data_source=f"the newest {len(split.test):,} labels of dataset snapshot #{snapshot_id} "
            f"({snap.sha256[:12]}), held out by time, + {len(split.clean_holdout):,} held-out clean base "
            f"rows + the regression set ({len(esplit.test) - len(split.test) - len(split.clean_holdout):,} "
            "rows)",
            registry=self.store,
            progress=self.say,
        )
        ev.summary["notes"] += champion_overlap_note(self.store, split.test)
        ev.summary["notes"] += clean_rows_note(self.store, split)
        ev.summary["dataset_snapshot"] = snap.provenance
        return ev, econfig, econfig_text

    def snapshot(self) -> tuple[Snapshot, int]:
        cfg = self.config
        self.say("reading CS and audit labels")
        labelled = self.store.labels_for_training()
        base: Dataset | None = None
        if cfg.base_data is not None:
            self.say(f"reading the base data {cfg.base_data}")
            base = load_jsonl(cfg.base_data)
        snap = build_snapshot(labelled, base=base, base_source=cfg.base_source or path_str(cfg.base_data))
        rows_path = self.artifact_dir / "snapshots" / f"{snap.sha256}.jsonl"
        snap.write_label_rows(rows_path)
        record = self.store.save_dataset_snapshot(
            sha256=snap.sha256,
            rows=len(snap.rows),
            label_rows=len(snap.label_rows),
            labels_from=snap.labels_from,
            labels_to=snap.labels_to,
            base_sha256=snap.base_sha256,
            base_source=snap.base_source,
            rows_path=str(rows_path),
            provenance=snap.provenance,
        )
        self.detail["snapshot"] = {"id": record.id, "sha256": snap.sha256, **provenance_summary(snap)}
        self.store.update_training_run(self.run_record.id, dataset_snapshot_id=record.id, detail=self.detail)
        p = snap.provenance["labels"]
        self.say(
            f"snapshot #{record.id} {snap.sha256[:12]}: {len(snap.label_rows):,} label rows "
            f"({p['overturned']} overturned, {p['disagreements']} disagreements, {p['stale_versions']} on "
            f"edited listings) + {len(snap.base_rows):,} base rows"
        )
        return snap, record.id
