"""Dataset snapshots: label resolution, provenance, the content hash, and the newest-labels split."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lovemachine.categories import CATEGORIES
from lovemachine.listings import Listing, parse_labelled
from lovemachine.retraining import LabelledVersion, NotEnoughLabelsError
from lovemachine.review.records import LabelRecord
from lovemachine.review.truth import resolve, targets
from synth import generate
from trainers.dataset import Dataset
from trainers.retrain_split import SplitOptions, hold_out_newest
from trainers.snapshot import build_snapshot

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def listing(listing_id: str, version: int = 1) -> Listing:
    return Listing(
        id=listing_id,
        version=version,
        seller_id="S1",
        title=f"item {listing_id}",
        price=1000,
        currency="JPY",
        category="bags",
    )


def label(
    label_id: int,
    listing_id: str,
    verdict: str,
    *,
    reviewer: str = "ann",
    minutes: int = 0,
    source: str = "cs",
    version: int = 1,
    superseded_by: int | None = None,
) -> LabelRecord:
    violation = verdict != "no_violation"
    return LabelRecord(
        id=label_id,
        listing_id=listing_id,
        listing_version=version,
        review_item_id=label_id,
        category=verdict if violation else None,
        violation=violation,
        source=source,
        reviewer=reviewer,
        note="",
        model_version="m1",
        thresholds=None,
        auto_hidden=False,
        created_at=T0 + timedelta(minutes=minutes or label_id),
        superseded_by=superseded_by,
    )


def lv(lab: LabelRecord, *, stored: bool = True) -> LabelledVersion:
    return LabelledVersion(lab, listing(lab.listing_id, lab.listing_version) if stored else None)


def base_dataset() -> Dataset:
    return Dataset(rows=[parse_labelled(d) for d in generate(50, seed=3)], sha256="b" * 64)


def labelled() -> list[LabelledVersion]:
    return [
        lv(label(1, "A", "counterfeit")),
        lv(label(2, "B", "no_violation", source="audit")),
        lv(label(3, "C", "cash")),
        lv(label(4, "D", "other")),
        lv(label(5, "E", "adult")),
    ]


def test_a_label_maps_to_one_category_and_other_or_no_violation_to_none() -> None:
    assert targets("cash") == {c: int(c == "cash") for c in CATEGORIES}
    assert targets("other") == targets("no_violation") == dict.fromkeys(CATEGORIES, 0)


def test_provenance_counts_per_source_and_category() -> None:
    snap = build_snapshot(labelled(), base=base_dataset(), base_source="base.jsonl")
    p = snap.provenance
    assert p["label_rows"] == 5 and p["rows"] == 55 == len(snap.rows)
    assert p["by_source"]["cs"] == {
        "counterfeit": 1,
        "adult": 1,
        "cash": 1,
        "keyword_stuffing": 0,
        "other": 1,
        "no_violation": 0,
    }
    assert p["by_source"]["audit"]["no_violation"] == 1
    base_pos = sum(r.labels.get("cash", 0) for r in base_dataset().rows)
    assert p["by_source"]["base"]["cash"] == base_pos
    assert p["by_category"]["cash"]["positive"] == base_pos + 1
    assert p["labels_time_range"] == {
        "from": (T0 + timedelta(minutes=1)).isoformat(),
        "to": (T0 + timedelta(minutes=5)).isoformat(),
    }
    assert p["base"]["sha256"] == "b" * 64 and p["base"]["rows"] == 50
    row = next(r for r in snap.label_rows if r.listing.id == "C")
    assert row.labels == targets("cash") and row.occurred_at == T0 + timedelta(minutes=3)
    assert "source:cs" in row.tags


def test_the_hash_is_stable_and_changes_when_a_label_or_the_base_changes() -> None:
    base = base_dataset()
    first = build_snapshot(labelled(), base=base).sha256
    assert build_snapshot(list(reversed(labelled())), base=base).sha256 == first  # order of reading
    relabelled = labelled()
    relabelled[2] = lv(dataclasses.replace(relabelled[2].label, category="adult"))
    assert build_snapshot(relabelled, base=base).sha256 != first
    assert build_snapshot(labelled(), base=Dataset(base.rows, "c" * 64)).sha256 != first
    assert build_snapshot(labelled()[:4], base=base).sha256 != first


def test_an_overturned_label_gives_way() -> None:
    rows = [
        lv(label(1, "A", "counterfeit", superseded_by=2)),  # overturned explicitly
        lv(label(2, "A", "no_violation", reviewer="lead")),
        lv(label(3, "B", "cash")),
        lv(label(4, "B", "keyword_stuffing")),  # the same reviewer corrects themself
    ]
    snap = build_snapshot(rows)
    by_id = {r.listing.id: r for r in snap.label_rows}
    assert by_id["A"].labels == targets("no_violation")
    assert by_id["B"].labels == targets("keyword_stuffing")
    assert snap.provenance["labels"]["overturned"] == 2
    assert snap.provenance["labels"]["disagreements"] == 0


def test_reviewer_disagreement_is_counted_listed_and_the_latest_label_trains() -> None:
    rows = [
        lv(label(1, "A", "counterfeit", reviewer="ann")),
        lv(label(2, "A", "no_violation", reviewer="bob")),
        lv(label(3, "B", "cash", reviewer="ann")),
        lv(label(4, "B", "cash", reviewer="bob")),  # agreement is no disagreement
    ]
    snap = build_snapshot(rows)
    assert snap.provenance["labels"]["disagreements"] == 1
    assert snap.provenance["disagreements"] == [
        {
            "listing_id": "A",
            "listing_version": 1,
            "verdicts": {"ann": "counterfeit", "bob": "no_violation"},
            "trained_as": "no_violation",
        }
    ]
    a = next(r for r in snap.label_rows if r.listing.id == "A")
    assert a.labels == targets("no_violation") and "disagreement" in a.tags
    (resolved_a, _) = resolve(x.label for x in rows)
    assert resolved_a.disagreement and resolved_a.overturned == 0


def test_labels_on_edited_listings_are_counted_not_trained_and_labels_replace_base_rows() -> None:
    base = base_dataset()
    known = base.rows[0].listing.id
    rows = [lv(label(1, "A", "cash"), stored=False), lv(label(2, known, "adult"))]
    snap = build_snapshot(rows, base=base)
    assert snap.provenance["labels"]["stale_versions"] == 1
    assert [r.listing.id for r in snap.label_rows] == [known]
    assert snap.provenance["base"]["replaced_by_labels"] == 1
    assert known not in {r.listing.id for r in snap.base_rows} and len(snap.base_rows) == 49


def many(n: int) -> list[LabelledVersion]:
    verdicts = [*CATEGORIES, "no_violation", "no_violation"]
    return [lv(label(i, f"L{i:03d}", verdicts[i % len(verdicts)], minutes=i)) for i in range(1, n + 1)]


def test_the_newest_labels_are_held_out_and_the_rest_trains() -> None:
    snap = build_snapshot(many(100), base=base_dataset())
    split = hold_out_newest(
        snap, SplitOptions(min_labels=50, test_fraction=0.2, min_test_labels=10, label_weight=2)
    )
    assert [r.listing.id for r in split.test] == [f"L{i:03d}" for i in range(81, 101)]
    newest_trained = max(
        r.occurred_at for r in [*split.train, *split.valid] if r.event_id.startswith("label:")
    )
    assert newest_trained < min(r.occurred_at for r in split.test)
    labels_in_train = [r for r in split.train if r.event_id.startswith("label:")]
    assert len(labels_in_train) == 2 * len({r.event_id for r in labels_in_train})  # label_weight 2
    assert 0.05 * 130 < len(split.valid) < 0.3 * 130  # a hash of the event id picks ~15%


def test_the_split_does_not_depend_on_the_order_cs_labelled_in() -> None:
    # the same 100 labels; the 80 older ones given in the reverse order (queue timing varies run to run)
    verdicts = [*CATEGORIES, "no_violation", "no_violation"]

    def labels(reverse: bool) -> list[LabelledVersion]:
        out = []
        for i in range(1, 101):
            minutes = (81 - i if reverse else i) if i <= 80 else i
            out.append(lv(label(i, f"L{i:03d}", verdicts[i % len(verdicts)], minutes=minutes)))
        return out

    opts = SplitOptions(min_labels=50, test_fraction=0.2, min_test_labels=10, label_weight=2)
    a = hold_out_newest(build_snapshot(labels(False), base=base_dataset()), opts)
    b = hold_out_newest(build_snapshot(labels(True), base=base_dataset()), opts)
    for part in ("train", "valid", "test"):
        assert [r.event_id for r in getattr(a, part)] == [r.event_id for r in getattr(b, part)], part
    # and another seed splits differently
    c = hold_out_newest(
        build_snapshot(labels(False), base=base_dataset()),
        SplitOptions(min_labels=50, test_fraction=0.2, min_test_labels=10, label_weight=2, seed=1),
    )
    assert {r.event_id for r in c.valid} != {r.event_id for r in a.valid}


def test_too_few_labels_is_a_clear_error() -> None:
    snap = build_snapshot(many(30))
    with pytest.raises(NotEnoughLabelsError, match=r"only 30 usable labels.*at least 200"):
        hold_out_newest(snap, SplitOptions())


# --------------------------------------------------------------------------- negatives kept (issue 11)
def clean_base(n: int = 400) -> Dataset:
    return Dataset(rows=[parse_labelled(d) for d in generate(n, seed=4)], sha256="c" * 64)


def test_a_fixed_slice_of_clean_base_rows_is_held_out_of_training_and_validation() -> None:
    opts = SplitOptions(min_labels=50, test_fraction=0.2, min_test_labels=10, clean_holdout_fraction=0.1)
    split = hold_out_newest(build_snapshot(many(100), base=clean_base()), opts)
    held = {r.event_id for r in split.clean_holdout}
    assert len(held) > 0.04 * 400 and not any(any(r.label_vector()) for r in split.clean_holdout)
    assert held.isdisjoint(r.event_id for r in [*split.train, *split.valid, *split.test])
    # fixed by the listing id: another seed, or more labels, hold out the same base rows
    other = hold_out_newest(
        build_snapshot(many(120), base=clean_base()), dataclasses.replace(opts, seed=7, test_fraction=0.3)
    )
    assert {r.event_id for r in other.clean_holdout} == held


def test_training_keeps_base_clean_rows_and_the_written_corpus_but_never_the_regression_set() -> None:
    from trainers.regression import RegressionSet
    from trainers.retrain_split import evaluation_split, training_sources
    from trainers.sources import SOURCE_WEIGHTS, WRITTEN, WrittenParts

    snap = build_snapshot(many(100), base=clean_base())
    split = hold_out_newest(snap, SplitOptions(min_labels=50, test_fraction=0.2, min_test_labels=10))
    written_rows = [parse_labelled(d) for d in generate(60, seed=6, id_prefix="W")]
    written = WrittenParts(train=written_rows[:30], valid=written_rows[30:45], regression=written_rows[45:])
    base_row = next(r for r in split.train if not r.event_id.startswith("label:"))
    # the live model's regression set: one written train row and one base row are in it
    regression = RegressionSet(rows=[*written_rows[45:], written_rows[0], base_row], source="test")
    src = training_sources(split, written, regression)
    ids = {r.listing.id for r in src.train} | {r.listing.id for r in src.valid}
    assert ids.isdisjoint(regression.listing_ids)
    assert sum(not any(r.label_vector()) and not r.event_id.startswith("label:") for r in src.train) > 100
    assert len(src.train) == len(split.train) - 1 + 29 and len(src.valid) == len(split.valid) + 15
    assert src.train_weight[-29:].tolist() == [SOURCE_WEIGHTS[WRITTEN]] * 29
    assert set(src.train_weight[: len(src.train) - 29].tolist()) == {1.0}
    ev = evaluation_split(split, src, regression)
    assert len(ev.test) == len(split.test) + len(split.clean_holdout) + len(regression.rows)
    assert sum("set:regression" in r.tags for r in ev.test) == len(regression.rows)
    assert sum("set:clean-holdout" in r.tags for r in ev.test) == len(split.clean_holdout)


def test_an_eval_config_file_overrides_eligibility_key_by_key_and_keeps_the_clean_rules(
    tmp_path: Path,
) -> None:
    from trainers.retrain_split import eval_config

    f = tmp_path / "e.yaml"
    f.write_text("eligibility:\n  min_mean_improvement: 0.01\n", encoding="utf-8")
    kw = {
        "artifact_path": str(tmp_path),
        "artifact_sha256": "a" * 64,
        "snapshot": "#1",
        "split": SplitOptions(),
    }
    config, text = eval_config(**kw, overrides_file=f)
    e = config.eligibility
    assert (e.min_mean_improvement, e.max_clean_flag_rate_increase, e.max_regression_hide_increase) == (
        0.01,
        0.01,
        1,
    )
    assert "max_clean_flag_rate_increase: 0.01" in text
    f.write_text("eligibility:\n  max_clean_flag_rate_increase: null\n", encoding="utf-8")
    assert eval_config(**kw, overrides_file=f)[0].eligibility.max_clean_flag_rate_increase is None
