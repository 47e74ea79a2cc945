"""The champion / challenger comparison: agreement, volumes per day, precision on CS labels."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lovemachine.registry.comparison import LabelledPair, PairCount, ShadowSample, compare

T0 = datetime(2026, 11, 23, tzinfo=UTC)


def sample(**kw: object) -> ShadowSample:
    pairs = [
        PairCount("allow", None, "allow", None, 880),
        PairCount("report", "cash", "report", "cash", 40),
        PairCount("allow", None, "hide", "cash", 30),  # the challenger catches what the champion let by
        PairCount("hide", "counterfeit", "hide", "counterfeit", 20),
        PairCount("report", "counterfeit", "allow", None, 10),
        PairCount("hide", "cash", "report", "counterfeit", 20),  # same listing, different verdicts
    ]
    base: dict[str, object] = {
        "champion": "m-1",
        "challenger": "m-2",
        "pairs": pairs,
        "first_at": T0,
        "last_at": T0 + timedelta(hours=12),
        "traffic": 2000,  # 4,000 a day
    }
    base.update(kw)
    return ShadowSample(**base)  # type: ignore[arg-type]


def test_agreement_and_volumes_per_category() -> None:
    c = compare(sample())
    assert c.both_scored == 1000
    assert c.agreement == pytest.approx((880 + 40 + 20) / 1000)
    assert (c.champion_hides, c.challenger_hides) == (40, 50)
    assert c.traffic_per_day == pytest.approx(4000)
    assert c.window_days == pytest.approx(0.5)
    cats = {x.category: x for x in c.categories}
    cash, fake = cats["cash"], cats["counterfeit"]
    assert (cash.champion_hide, cash.challenger_hide, cash.champion_report, cash.challenger_report) == (
        20,
        30,
        40,
        40,
    )
    assert cash.agreement == pytest.approx((880 + 40 + 20 + 10) / 1000)
    assert (cash.flagged_by_both, cash.only_champion, cash.only_challenger) == (40, 20, 30)
    # 10 more hides out of 1,000 listings at 4,000 listings a day: 40 more a day
    assert cash.hide_delta_per_day == pytest.approx(40)
    assert cash.report_delta_per_day == pytest.approx(0)
    assert (fake.champion_report, fake.challenger_report) == (10, 20)
    assert fake.report_delta_per_day == pytest.approx(40)
    assert cats["adult"].agreement == 1.0 and cats["adult"].champion_precision is None


def test_precision_on_the_labels_that_arrived() -> None:
    labelled = [
        LabelledPair("report", "cash", "report", "cash", frozenset({"cash"})),
        LabelledPair("report", "cash", "allow", None, frozenset()),  # the champion was wrong
        LabelledPair("allow", None, "hide", "cash", frozenset({"cash"})),  # the challenger was right
        LabelledPair("hide", "cash", "hide", "cash", frozenset({"cash", "counterfeit"})),
    ]
    c = compare(sample(labelled=labelled))
    cash = next(x for x in c.categories if x.category == "cash")
    assert (cash.champion_precision, cash.champion_labelled) == (pytest.approx(2 / 3), 3)
    assert (cash.challenger_precision, cash.challenger_labelled) == (1.0, 3)
    assert c.labelled == 4


def test_no_window_no_rate_and_nothing_scored() -> None:
    c = compare(sample(last_at=T0))
    assert c.traffic_per_day is None and c.categories[0].hide_delta_per_day is None
    burst = compare(sample(last_at=T0 + timedelta(seconds=20)))  # a replay: no day in 20 seconds
    assert burst.window_days is not None and burst.traffic_per_day is None and burst.per_day(5) is None
    empty = compare(ShadowSample(champion="m-1", challenger="m-2", pairs=[]))
    assert empty.both_scored == 0 and empty.agreement is None and empty.per_day(5) is None
    assert empty.to_dict()["first_at"] is None
