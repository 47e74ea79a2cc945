"""Retraining end to end on SQLite: labels made through the CS tool's store calls, a snapshot, a real
fast-tier training, the evaluation against the live model, the registry, the training-run record; a
run that fails; too few labels; the scheduler's wiring; ``lovemachine audit estimate``.

The live model is a constant scorer (cheap, and certainly beaten), so only one test trains.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from cli import app
from lovemachine.adapters.sql import SqlStore, make_engine
from lovemachine.adapters.sql.migrate import upgrade
from lovemachine.categories import CATEGORIES
from lovemachine.config import Settings
from lovemachine.listings import Listing, parse_labelled
from lovemachine.policy import Action, Decision, Policy
from lovemachine.ports import ModelVersionRecord
from lovemachine.registry import save_artifact
from synth import generate, write_jsonl
from trainers.retrain import RetrainConfig, RetrainError, retrain
from trainers.retrain_split import SplitOptions
from trainers.scheduler import JOB_ID, build_scheduler, cron_trigger, next_run, run_scheduler
from trainers.train import Fitted

pytestmark = pytest.mark.slow
LABELS = 300
LIVE = "lm-constant-live"
runner = CliRunner()


class ConstantModel:
    """Scores every listing 0.5 in every category: a live model any real one beats."""

    categories = CATEGORIES

    def predict_scores(self, listings: Sequence[Listing]) -> np.ndarray:
        return np.full((len(listings), len(CATEGORIES)), 0.5)


def truth(labels: dict[str, int]) -> str:
    return next((c for c in CATEGORIES if labels.get(c)), "no_violation")


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A database with a constant live model and LABELS listings reported and labelled by CS (ground
    truth, one minute apart), and the base data; copied for each test."""
    root = tmp_path_factory.mktemp("retrain")
    base = root / "base.jsonl"
    write_jsonl(base, 1200, seed=1)
    db = root / "template.db"
    upgrade(f"sqlite:///{db}")
    store = SqlStore(make_engine(f"sqlite:///{db}"))
    uri, sha = save_artifact(ConstantModel(), version=LIVE, artifact_dir=root / "live", metadata={})
    store.register_model_version(
        ModelVersionRecord(
            LIVE, "lovemachine", uri, sha, "0" * 64, {}, Policy.uniform().to_dict(), datetime.now(UTC)
        )
    )
    store.set_alias("champion", LIVE, actor="test", reason="fixture")
    rows = [parse_labelled(d) for d in generate(LABELS, seed=5, id_prefix="W")]
    t0 = datetime.now(UTC) - timedelta(days=1)
    store.record_decisions(
        [
            (
                r.listing,
                Decision(
                    listing_id=r.listing.id,
                    listing_version=r.listing.version,
                    action=Action.REPORT,
                    scores=dict.fromkeys(CATEGORIES, 0.5),
                    reasons=[],
                    model_version=LIVE,
                    decided_at=t0,
                    category=truth(r.labels) if truth(r.labels) in CATEGORIES else "counterfeit",
                ),
            )
            for r in rows
        ]
    )
    verdict = {r.listing.id: truth(r.labels) for r in rows}
    for k, r in enumerate(rows):
        queue = verdict[r.listing.id] if verdict[r.listing.id] in CATEGORIES else "counterfeit"
        item = store.claim_next(queue, username="ann", ttl=timedelta(minutes=5))
        assert item is not None
        store.record_label(
            item.id, reviewer="ann", label=verdict[item.listing_id], now=t0 + timedelta(minutes=k)
        )
    store.dispose()
    return {"db": db, "base": base}


@pytest.fixture
def env(template: dict[str, Path], tmp_path: Path) -> Iterator[dict[str, Any]]:
    db = tmp_path / "lm.db"
    shutil.copy(template["db"], db)
    store = SqlStore(make_engine(f"sqlite:///{db}"))
    yield {
        "store": store,
        "url": f"sqlite:///{db}",
        "artifacts": tmp_path / "artifacts",
        "base": template["base"],
    }
    store.dispose()


def config(base: Path | None, min_labels: int = 100) -> RetrainConfig:
    return RetrainConfig(base_data=base, split=SplitOptions(min_labels=min_labels))


def test_a_retrain_registers_an_eligible_challenger_with_its_report_and_provenance(
    env: dict[str, Any],
) -> None:
    store: SqlStore = env["store"]
    said: list[str] = []
    out = retrain(
        store,
        artifact_dir=env["artifacts"],
        model_name="lovemachine",
        config=config(env["base"]),
        progress=said.append,
    )
    assert out.eligible and out.run.status == "succeeded" and out.run.trigger == "manual"
    assert store.get_alias("champion").version == LIVE  # never touched
    assert store.get_alias("challenger").version == out.record.version
    snap = store.get_dataset_snapshot(out.snapshot_id)
    assert snap is not None and snap.label_rows == LABELS and snap.rows == LABELS + 1200
    assert out.record.training_data_sha256 == snap.sha256
    meta = out.record.metrics
    assert meta["dataset_snapshot"]["sha256"] == snap.sha256 and meta["training_run_id"] == out.run.id
    assert meta["dataset_snapshot"]["by_source"]["cs"] == snap.provenance["by_source"]["cs"]
    assert sum(snap.provenance["by_source"]["cs"].values()) == LABELS
    assert meta["evaluation"]["eligible"] is True and meta["evaluation"]["incumbent"] == "live"
    assert meta["rows"]["test"] == 60  # the newest 20% of the labels
    report = Path(meta["evaluation"]["report_path"])
    assert (
        report == out.report_dir and (report / "report.md").is_file() and (report / "metrics.json").is_file()
    )
    assert report.parent == Path(out.record.artifact_uri)
    assert Path(snap.rows_path or "").is_file()
    run = store.get_training_run(out.run.id)
    assert run is not None and run.model_version == out.record.version and run.dataset_snapshot_id == snap.id
    assert run.report_path == str(report) and run.eligible is True and run.error is None
    assert any("snapshot #" in m for m in said) and any("evaluating" in m for m in said)
    with pytest.raises(RetrainError, match="only 300 usable labels") as again:  # fails after its snapshot
        retrain(
            store,
            artifact_dir=env["artifacts"],
            model_name="lovemachine",
            config=config(env["base"], min_labels=10_000),
        )
    assert again.value.run.dataset_snapshot_id == out.snapshot_id  # same labels and base: same snapshot


def test_a_failing_run_is_recorded_and_changes_nothing_live(
    env: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    store: SqlStore = env["store"]
    before = (store.get_alias("champion"), store.get_alias("challenger"), store.list_model_versions())
    with pytest.raises(RetrainError, match=r"missing\.jsonl") as err:
        retrain(
            store,
            artifact_dir=env["artifacts"],
            model_name="lovemachine",
            config=config(env["base"].with_name("missing.jsonl")),
        )
    run = store.get_training_run(err.value.run.id)
    assert run is not None and run.status == "failed" and run.finished_at is not None
    assert run.error is not None and run.error.startswith("FileNotFoundError")

    # a failure after the artifact was written (here: in the evaluation) removes it again
    def quick_fit(train: Any, valid: Any, *a: Any, **k: Any) -> Fitted:
        return Fitted(ConstantModel(), Policy.uniform(), np.zeros((len(valid), len(CATEGORIES))))

    def broken_evaluation(*a: Any, **k: Any) -> Any:
        raise RuntimeError("injected evaluation failure")

    monkeypatch.setattr("trainers.retrain.fit", quick_fit)
    monkeypatch.setattr("trainers.retrain.evaluate_split", broken_evaluation)
    with pytest.raises(RetrainError, match="injected"):
        retrain(store, artifact_dir=env["artifacts"], model_name="lovemachine", config=config(env["base"]))
    assert [p.name for p in env["artifacts"].iterdir()] == ["snapshots"]
    assert (store.get_alias("champion"), store.get_alias("challenger"), store.list_model_versions()) == before
    assert [r.status for r in store.list_training_runs().items] == ["failed", "failed"]


def test_too_few_labels_exits_1_with_a_clear_message_and_a_recorded_run(env: dict[str, Any]) -> None:
    args = ["retrain", "--database-url", env["url"], "--artifact-dir", str(env["artifacts"])]
    result = runner.invoke(app, [*args, "--base-data", str(env["base"]), "--min-labels", "1000"])
    assert result.exit_code == 1
    assert f"only {LABELS} usable labels" in result.output and "at least 1000" in result.output
    (run,) = env["store"].list_training_runs().items
    assert run.status == "failed" and "NotEnoughLabelsError" in (run.error or "")


def test_the_cron_trigger_and_the_scheduler_wiring() -> None:
    trigger = cron_trigger("0 3 * * *")
    noon = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    assert trigger.get_next_fire_time(None, noon) == datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
    assert cron_trigger("30 2 * * 1", "Asia/Tokyo").get_next_fire_time(None, noon) == datetime(
        2026, 11, 29, 17, 30, tzinfo=UTC
    )  # Monday 02:30 in Tokyo
    sunday = cron_trigger("0 3 * * 0").get_next_fire_time(None, noon)  # crontab's weekdays, not APScheduler's
    assert sunday is not None and sunday.strftime("%A %H:%M") == "Sunday 03:00"
    with pytest.raises(ValueError, match="unknown weekday '8'"):
        cron_trigger("0 3 * * 8")
    with pytest.raises(ValueError, match="expected 5 fields"):
        cron_trigger("0 3 * *")
    with pytest.raises(ValueError, match="invalid cron expression"):
        cron_trigger("61 3 * * *")
    scheduler = build_scheduler(lambda: None, cron="0 3 * * *")
    job = scheduler.get_job(JOB_ID)
    assert (job.max_instances, job.coalesce) == (1, True)

    ran, stop = threading.Event(), threading.Event()
    seen: list[datetime | None] = []

    def job_fn() -> None:
        ran.set()

    def started(s: Any) -> None:
        seen.append(next_run(s))
        threading.Thread(target=lambda: (ran.wait(30), stop.set()), daemon=True).start()

    run_scheduler(job_fn, cron="0 3 * * *", stop=stop, run_now=True, on_started=started)
    assert ran.is_set()  # --run-now ran it at once; the scheduler then shut down on stop
    assert seen and seen[0] is not None and seen[0] <= datetime.now(UTC)


def test_a_scheduled_run_is_recorded_as_scheduled(env: dict[str, Any]) -> None:
    from cli.retrain import _Options, scheduled_job

    s = Settings(database_url=env["url"], artifact_dir=env["artifacts"])
    opts = _Options(env["base"], 100, 0, False, 5000, 0.2, 50, 1, False, "sigmoid", False, None, 0)
    scheduled_job(s, opts, threading.Event())()  # too few labels: logged and recorded, never raised
    (run,) = env["store"].list_training_runs().items
    assert (run.trigger, run.actor, run.status) == ("scheduled", "scheduler", "failed")


def test_audit_estimate_prints_the_live_quality_of_the_champion(env: dict[str, Any]) -> None:
    result = runner.invoke(
        app, ["audit", "estimate", "--json", "--database-url", env["url"], "--resamples", "200"]
    )
    assert result.exit_code == 0, result.output
    est = json.loads(result.stdout)
    assert est["model_version"] == LIVE
    assert est["strata"]["report"] == {
        "decisions": LABELS,
        "sampled": LABELS,
        "rate": 1.0,
        "labelled": LABELS,
        "weight": 1.0,
    }
    # the constant 0.5 reports everything (report threshold 0.5) and hides nothing (hide 0.95)
    assert est["categories"]["cash"]["act"]["recall"]["estimate"] == 1.0
    assert est["categories"]["cash"]["hide"]["recall"]["estimate"] == 0.0
    table = runner.invoke(app, ["audit", "estimate", "--database-url", env["url"], "--resamples", "200"])
    assert table.exit_code == 0 and "live quality per category" in table.output


@pytest.mark.parametrize("command", [["retrain"], ["scheduler"], ["audit", "estimate"]])
def test_the_commands_explain_themselves(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0 and "Usage:" in result.output
    assert {"retrain": "challenger", "scheduler": "cron", "audit": "selection bias"}[
        command[0]
    ] in result.output


def test_a_bad_cron_expression_is_refused_before_anything_runs(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["scheduler", "--cron", "0 3 * * 9", "--no-base", "--database-url", f"sqlite:///{tmp_path / 'x.db'}"],
    )
    assert result.exit_code == 1 and "unknown weekday '9'" in result.output
    assert not (tmp_path / "x.db").exists()


@pytest.mark.parametrize(
    "base_args",
    [[], ["--no-base", "--base-synthetic"], ["--base-data", "missing.jsonl"]],
    ids=["none", "two", "missing-file"],
)
@pytest.mark.parametrize("command", ["retrain", "scheduler"])
def test_the_base_data_is_always_named_explicitly(command: str, base_args: list[str], tmp_path: Path) -> None:
    """A production retrain never silently learns from generated listings: the base data is a file,
    an explicit --base-synthetic, or --no-base."""
    args = [command, *base_args, "--database-url", f"sqlite:///{tmp_path / 'x.db'}"]
    result = runner.invoke(app, args + (["--cron", "0 3 * * *"] if command == "scheduler" else []))
    assert result.exit_code == 1
    if base_args and base_args[0] == "--base-data":
        assert "missing.jsonl does not exist" in result.output
    else:
        assert "--base-data FILE" in result.output and "--base-synthetic" in result.output
    assert not (tmp_path / "x.db").exists()
