"""Issue 11: a retrain on labels that are nearly all positive must not become eligible by flagging
hard negatives.

CS labels what the model flagged and what customers reported, so the labels are nearly all
violations; held-out labels of the same kind give a model that learnt "everything CS saw is a
violation" a PR-AUC near 1.0 while it reports or hides clean listings. Here the live model is trained
the usual way (generated data and the written corpus) and keeps a regression set of brand hard
negatives (empty boxes, dust bags, shopping bags, genuine items). The labels: brand packaging sales
and counterfeits labelled counterfeit, a new gift-card slang labelled cash, and 2% "no violation"
(the live model's own false positives, labelled last). The retrain adds a small base data file but
not the written corpus (``--no-written``), and chooses lenient thresholds (a 30% base rate, no capacity
cap: on validation rows that are nearly all positive labels the defaults leave it no report band at
all), so that the
candidate does learn "packaging is counterfeit" and flag hard negatives: the test is about the
eligibility gate. On the held-out labels
alone (the old rule's view) the candidate beats the live model; with the held-out clean listings and
the regression set in the test rows it flags far more clean listings, and is not eligible, saying why.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from lovemachine.adapters.sql import SqlStore, make_engine
from lovemachine.adapters.sql.migrate import upgrade
from lovemachine.categories import CATEGORIES, COUNTERFEIT
from lovemachine.listings import LabelledListing, parse_labelled
from lovemachine.policy import Action, Decision
from lovemachine.ports import ModelVersionRecord
from lovemachine.registry import save_artifact
from lovemachine.registry.loader import load_record
from synth import generate, write_jsonl
from trainers.evaluation.data import labels as label_matrix
from trainers.evaluation.decision import judge
from trainers.regression import META_KEY, REGRESSION_FILE, RegressionSet
from trainers.retrain import RetrainConfig, retrain
from trainers.retrain_split import SplitOptions, eval_config, hold_out_newest
from trainers.snapshot import build_snapshot
from trainers.sources import combine, load_written
from trainers.train import TrainConfig, fit

pytestmark = pytest.mark.slow
LIVE = "lm-live"
BRAND_NEGATIVES = ("brand_packaging", "genuine_luxury", "not_replica", "worn_genuine")


def rows_of(n: int, seed: int, prefix: str, **rates: float) -> list[LabelledListing]:
    return [parse_labelled(d) for d in generate(n, seed=seed, id_prefix=prefix, rates=rates or None)]


def is_kind(row: LabelledListing, kinds: Sequence[str]) -> bool:
    return any(f"hard_negative:{k}" in row.tags for k in kinds)


def regression_set() -> RegressionSet:
    """Brand hard negatives (clean: empty boxes, dust bags, genuine items) and a few counterfeits,
    drawn with another seed than anything trained on."""
    pool = rows_of(5000, 8, "R", hard_negative=1.0, counterfeit=0.05)
    packaging = [r for r in pool if is_kind(r, ("brand_packaging",))][:100]
    genuine = [r for r in pool if is_kind(r, ("genuine_luxury", "worn_genuine"))][:50]
    fakes = [r for r in pool if r.labels.get(COUNTERFEIT)][:30]
    return RegressionSet(rows=[*packaging, *genuine, *fakes], source="test: brand hard negatives")


def champion(store: SqlStore, root: Path, regression: RegressionSet) -> ModelVersionRecord:
    """The live model, trained the usual way, saved with its regression set."""
    generated = rows_of(1200, 1, "G")
    cut = int(len(generated) * 0.85)
    src = combine(generated[:cut], generated[cut:], load_written())
    fitted = fit(src.train, src.valid, TrainConfig(), train_weight=src.train_weight)
    meta = regression.metadata()
    uri, sha = save_artifact(
        fitted.model,
        version=LIVE,
        artifact_dir=root / "live",
        metadata={"thresholds": fitted.policy.to_dict(), META_KEY: meta},
        files=regression.files(),
    )
    record = ModelVersionRecord(
        LIVE, "lovemachine", uri, sha, "0" * 64, {META_KEY: meta}, fitted.policy.to_dict(), datetime.now(UTC)
    )
    store.register_model_version(record)
    store.set_alias("champion", LIVE, actor="test", reason="fixture")
    return record


def label(store: SqlStore, verdicts: Sequence[tuple[LabelledListing, str]], t0: datetime) -> None:
    """The live model reported each listing; CS labels it with its verdict, one a minute in order."""
    decisions = [
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
                category=COUNTERFEIT,
            ),
        )
        for r, _ in verdicts
    ]
    store.record_decisions(decisions)
    order = {r.listing.id: (k, v) for k, (r, v) in enumerate(verdicts)}
    for _ in verdicts:
        item = store.claim_next(COUNTERFEIT, username="ann", ttl=timedelta(minutes=5))
        assert item is not None
        k, verdict = order[item.listing_id]
        store.record_label(item.id, reviewer="ann", label=verdict, now=t0 + timedelta(minutes=k))


def test_labels_nearly_all_positive_do_not_make_a_candidate_that_flags_hard_negatives_eligible(
    tmp_path: Path,
) -> None:
    db = tmp_path / "lm.db"
    upgrade(f"sqlite:///{db}")
    store = SqlStore(make_engine(f"sqlite:///{db}"))
    regression = regression_set()
    live = champion(store, tmp_path, regression)
    base = tmp_path / "base.jsonl"
    write_jsonl(base, 600, seed=2)

    pool = rows_of(4000, 7, "P", hard_negative=1.0, counterfeit=0.15)
    packaging = [(r, "counterfeit") for r in pool if is_kind(r, ("brand_packaging",))]
    fakes = [(r, "counterfeit") for r in pool if r.labels.get(COUNTERFEIT)][:110]
    slang = [
        (parse_labelled(d), "cash")
        for d in generate(80, seed=3, id_prefix="S", trend="giftcard_slang", trend_share=1.0)
    ]
    violations = [*packaging, *fakes, *slang]
    violations = [violations[i] for i in np.random.default_rng(0).permutation(len(violations))]
    # "no violation": the live model's own false positives (genuine items it scores as counterfeit)
    genuine = [r for r in pool if is_kind(r, ("not_replica", "worn_genuine", "genuine_luxury"))]
    s_live = load_record(live).model.predict_scores([r.listing for r in genuine])[:, 0]
    allowed = [(genuine[i], "no_violation") for i in np.argsort(-s_live)[:5].tolist()]
    t0 = datetime.now(UTC) - timedelta(days=1)
    label(store, violations, t0)
    label(store, allowed, t0 + timedelta(days=0.5))  # the newest labels: reported, allowed
    assert len(allowed) / (len(allowed) + len(violations)) < 0.025

    split_options = SplitOptions(min_labels=100)
    out = retrain(
        store,
        artifact_dir=tmp_path / "artifacts",
        model_name="lovemachine",
        # lenient thresholds (a 30% base rate, no capacity cap), so that what the candidate learnt shows
        config=RetrainConfig(
            base_data=base,
            written=False,
            split=split_options,
            train=TrainConfig(max_flag_rate=None),
            base_rates=dict.fromkeys(CATEGORIES, 0.3),
        ),
    )

    ev = out.record.metrics["evaluation"]
    assert out.eligible is False and out.run.status == "not_eligible"
    assert store.get_alias("challenger") is None and store.get_alias("champion").version == LIVE
    assert ev["clean_flag_rate"] > ev["live_clean_flag_rate"] + 0.01
    failed = [r for r in out.reasons if r.startswith("FAIL: clean listings flagged")]
    assert failed and "vs live" in failed[0] and "(at most +1.0 pt)" in failed[0]
    run = store.get_training_run(out.run.id)
    assert run is not None and run.detail["clean_flag_rate"] == pytest.approx(ev["clean_flag_rate"])

    # the old rule's view (PR-AUC on the held-out labels alone) would have made it the challenger
    split = hold_out_newest(build_snapshot(store.labels_for_training()), split_options)
    config, _ = eval_config(
        artifact_path=out.record.artifact_uri, artifact_sha256=out.record.artifact_sha256, snapshot="-",
        split=split_options,
    )  # fmt: skip
    old = config.eligibility.model_copy(
        update={"max_clean_flag_rate_increase": None, "max_regression_hide_increase": None}
    )
    listings = [r.listing for r in split.test]
    scores = {
        "candidate": load_record(out.record).model.predict_scores(listings),
        "live": load_record(live).model.predict_scores(listings),
    }
    labels_only = judge(
        config.model_copy(update={"eligibility": old}),
        label_matrix(split.test),
        scores,
        {"candidate": "artifact", "live": "champion"},
    )
    assert labels_only["candidates"]["candidate"]["eligible"] is True

    # the regression set went forward with the new version, unchanged
    carried = Path(out.record.artifact_uri) / REGRESSION_FILE
    assert carried.read_bytes() == regression.payload
    assert out.record.metrics[META_KEY]["sha256"] == regression.sha256
    assert ev["clean_rows"] >= len(regression.clean)
    store.dispose()
