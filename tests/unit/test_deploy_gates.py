"""The promotion gates on a shadow comparison: hide volume both ways, the review load against CS's
capacity, a flood of reports, and precision on the CS labels that arrived during the shadow — each
blocking on its own while every other gate passes (issue 11)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lovemachine.config import Settings
from lovemachine.ports import ModelVersionRecord
from lovemachine.registry.comparison import CategoryComparison, LabelledPair, PairCount, ShadowSample, compare
from lovemachine.services.deploy import Gate, GateConfig, check_gates

T0 = datetime(2026, 11, 23, tzinfo=UTC)
ORDER = [
    "offline evaluation",
    "shadow sample",
    "hide volume",
    "review capacity",
    "report volume",
    "precision",
    "hide precision",
    "artifact",
]
CONFIG = GateConfig(min_shadow=500)
CHALLENGER = ModelVersionRecord(
    version="m-2",
    name="lovemachine",
    artifact_uri="unused",
    artifact_sha256="a" * 64,
    training_data_sha256="d" * 64,
    metrics={"evaluation": {"eligible": True, "report": "r.md"}},
    thresholds={},
    created_at=T0,
)
CASH = frozenset({"cash"})


def shadow(
    *,
    n: int = 1000,
    champion_hides: int = 100,
    challenger_hides: int = 110,
    champion_reports: int = 50,
    challenger_reports: int = 60,
    hours: float = 0.0,
    traffic: int = 0,
) -> ShadowSample:
    """``n`` listings both scored, each flagged by at most one model (the counts add up)."""
    flagged = champion_hides + champion_reports + challenger_hides + challenger_reports
    assert flagged <= n
    return ShadowSample(
        champion="m-1",
        challenger="m-2",
        pairs=[
            PairCount("hide", "cash", "allow", None, champion_hides),
            PairCount("report", "cash", "allow", None, champion_reports),
            PairCount("allow", None, "hide", "cash", challenger_hides),
            PairCount("allow", None, "report", "cash", challenger_reports),
            PairCount("allow", None, "allow", None, n - flagged),
        ],
        first_at=T0,
        last_at=T0 + timedelta(hours=hours),
        traffic=traffic,
    )


def labels(
    n: int,
    *,
    confirmed: int,
    champion: tuple[str, str | None] = ("report", "cash"),
    challenger: tuple[str, str | None] = ("report", "cash"),
) -> list[LabelledPair]:
    """``n`` labelled listings with these decisions, the first ``confirmed`` of them cash per CS."""
    return [
        LabelledPair(*champion, *challenger, violations=CASH if i < confirmed else frozenset())
        for i in range(n)
    ]


def gates(
    sample: ShadowSample, config: GateConfig = CONFIG, labelled: Sequence[LabelledPair] = ()
) -> list[Gate]:
    return check_gates(CHALLENGER, compare(sample), config, labelled=labelled, verify=lambda record: None)


def failed(result: list[Gate]) -> list[str]:
    return [g.name for g in result if not g.passed]


def detail(result: list[Gate], name: str) -> str:
    return next(g.detail for g in result if g.name == name)


def test_every_gate_in_a_fixed_order_and_all_pass_on_a_like_for_like_challenger() -> None:
    result = gates(shadow(), labelled=labels(40, confirmed=39))
    assert [g.name for g in result] == ORDER
    assert failed(result) == []
    assert all(g.forceable for g in result if g.name != "artifact")
    assert "110 hides vs the champion's 100" in detail(result, "hide volume")
    assert "0.67x to 1.5x" in detail(result, "hide volume")


def test_the_issue_11_challenger_is_blocked_on_hides_and_reports() -> None:
    """The demo's challenger cut hides 368 -> 65 and raised reports 21 -> 402 on 2,000 listings."""
    result = gates(
        shadow(n=2000, champion_hides=368, challenger_hides=65, champion_reports=21, challenger_reports=402)
    )
    assert failed(result) == ["hide volume", "report volume"]
    assert "at least 0.67x needed" in detail(result, "hide volume")
    assert "visible" in detail(result, "hide volume")


@pytest.mark.parametrize(
    ("challenger_hides", "passed", "message"),
    [
        (151, False, "151 hides vs the champion's 100 .*at most 1.5x allowed"),
        (150, True, "0.67x to 1.5x allowed"),
        (67, True, "0.67x to 1.5x allowed"),
        (66, False, "66 hides vs the champion's 100 .*at least 0.67x needed"),
    ],
)
def test_hide_volume_is_bounded_both_ways(challenger_hides: int, passed: bool, message: str) -> None:
    result = gates(shadow(challenger_hides=challenger_hides))
    assert failed(result) == ([] if passed else ["hide volume"])
    assert re.search(message, detail(result, "hide volume"))


def test_a_champion_that_hides_nothing_bounds_the_challenger_at_zero_hides() -> None:
    assert failed(gates(shadow(champion_hides=0, challenger_hides=0))) == []
    result = gates(shadow(champion_hides=0, challenger_hides=1))
    assert failed(result) == ["hide volume"]
    assert "the champion hides none of them" in detail(result, "hide volume")


def test_review_load_over_the_capacity_share_blocks_without_a_daily_rate() -> None:
    """A burst (no hour of shadow): 250 review items on 900 listings = 27.8% > 50,000 / 200,000."""
    result = gates(shadow(n=900, challenger_hides=150, challenger_reports=100))
    assert failed(result) == ["review capacity"]
    assert "250 review items (reports + hides) on 900 listings = 27.8%" in detail(result, "review capacity")
    assert "= 25.0%" in detail(result, "review capacity")
    assert "no daily rate" in detail(result, "review capacity")


def test_review_load_per_day_blocks_at_the_observed_traffic() -> None:
    """A day of shadow at 300,000 listings/day: 200 of 1,000 listings flagged = 60,000 items/day,
    above 50,000, although 20% of listings is within the share the defaults allow."""
    sample = shadow(challenger_hides=140, hours=24, traffic=300_000)
    result = gates(sample)
    assert failed(result) == ["review capacity"]
    assert "~60,000 review items/day" in detail(result, "review capacity")
    assert failed(gates(sample, GateConfig(min_shadow=500, review_capacity_per_day=60_000))) == []


def test_review_load_over_capacity_but_not_above_the_champion_passes() -> None:
    result = gates(
        shadow(champion_hides=200, champion_reports=100, challenger_hides=210, challenger_reports=80)
    )
    assert failed(result) == []
    assert "no more than the champion's 300" in detail(result, "review capacity")


@pytest.mark.parametrize(
    ("champion_reports", "challenger_reports", "passed"),
    [
        (50, 101, False),
        (50, 100, True),
        (0, 41, False),  # a near-silent champion: counted as 20 reports
        (0, 40, True),
        (5, 40, True),
    ],
)
def test_a_flood_of_reports_blocks(champion_reports: int, challenger_reports: int, passed: bool) -> None:
    result = gates(shadow(n=3000, champion_reports=champion_reports, challenger_reports=challenger_reports))
    assert failed(result) == ([] if passed else ["report volume"])
    assert f"{challenger_reports} reports vs the champion's {champion_reports}" in detail(
        result, "report volume"
    )


def test_precision_more_than_the_allowed_drop_below_the_champions_blocks() -> None:
    """Champion 38 of 40 labelled flags confirmed (95%), challenger 34 of 40 (85%): 10 points lower."""
    labelled = [
        *labels(34, confirmed=34),
        *labels(4, confirmed=4, challenger=("report", "counterfeit")),  # CS: cash, not counterfeit
        *labels(2, confirmed=0),
    ]
    result = gates(shadow(), labelled=labelled)
    assert failed(result) == ["precision"]
    assert "85.0% of the challenger's 40 labelled flags vs 95.0% of the champion's 40" in detail(
        result, "precision"
    )


def test_precision_exactly_the_allowed_drop_below_passes() -> None:
    labelled = [*labels(36, confirmed=36), *labels(2, confirmed=2, challenger=("report", "adult"))]
    labelled += labels(2, confirmed=0)  # champion 38/40 = 95%, challenger 36/40 = 90%
    assert failed(gates(shadow(), labelled=labelled)) == []


def test_hide_precision_below_the_floor_blocks() -> None:
    """Both hide the same 40 labelled listings, 37 confirmed: no precision drop, 92.5% < 95%."""
    both_hide = labels(40, confirmed=37, champion=("hide", "cash"), challenger=("hide", "cash"))
    result = gates(shadow(), labelled=both_hide)
    assert failed(result) == ["hide precision"]
    assert "92.5% of the challenger's 40 labelled hides; at least 95% needed" in detail(
        result, "hide precision"
    )


def test_too_few_labels_pass_and_say_so() -> None:
    """The challenger hides 29 labelled listings as counterfeit, CS says cash: all wrong, yet below
    ``min_labelled`` (30) nothing is checked; the 30th label makes both precision gates count."""

    def wrong(n: int) -> list[LabelledPair]:
        return labels(n, confirmed=n, champion=("report", "cash"), challenger=("hide", "counterfeit"))

    result = gates(shadow(), labelled=wrong(29))
    assert failed(result) == []
    assert detail(result, "precision").startswith("not enough labels (29 < 30)")
    assert detail(result, "hide precision").startswith("not enough labels (29 < 30)")
    assert failed(gates(shadow(), labelled=wrong(30))) == ["precision", "hide precision"]


def test_precision_compares_with_the_champion_on_however_many_labels_its_flags_got() -> None:
    """The challenger's 30 labelled flags: 24 right (80%); the champion flagged 10 of them, all right."""
    right = labels(10, confirmed=10)
    only_challenger = labels(20, confirmed=14, champion=("allow", None))
    result = gates(shadow(), labelled=[*right, *only_challenger])
    assert failed(result) == ["precision"]
    assert "80.0% of the challenger's 30 labelled flags vs 100.0% of the champion's 10" in detail(
        result, "precision"
    )
    unlabelled_champion = gates(shadow(), labelled=labels(30, confirmed=0, champion=("allow", None)))
    assert failed(unlabelled_champion) == []
    assert "no labels to compare with" in detail(unlabelled_champion, "precision")


def test_without_a_shadow_every_volume_gate_fails_and_labels_are_not_enough() -> None:
    result = check_gates(CHALLENGER, None, CONFIG, verify=lambda record: None)
    assert failed(result) == ["shadow sample", "hide volume", "review capacity", "report volume"]
    assert detail(result, "precision").startswith("not enough labels (0 < 30)")


def test_the_gates_come_from_the_settings_and_options_override_them() -> None:
    s = Settings(
        promote_min_hide_ratio=0.5,
        review_capacity_per_day=10_000,
        daily_listings=40_000,
        promote_max_report_ratio=3.0,
        promote_report_floor=5,
        promote_min_labelled=50,
        promote_max_precision_drop=0.02,
        promote_min_hide_precision=0.9,
    )
    config = GateConfig.from_settings(s, min_shadow=7, max_hide_ratio=None)
    assert config == GateConfig(
        min_shadow=7,
        max_hide_ratio=1.5,
        min_hide_ratio=0.5,
        review_capacity_per_day=10_000,
        daily_listings=40_000,
        max_report_ratio=3.0,
        report_floor=5,
        min_labelled=50,
        max_precision_drop=0.02,
        min_hide_precision=0.9,
    )
    assert GateConfig.from_settings(Settings()) == GateConfig()
    with pytest.raises(ValueError, match="promote_min_hide_ratio"):
        Settings(promote_min_hide_ratio=2.0)
    with pytest.raises(ValueError, match="hide ratio bounds"):
        GateConfig(min_hide_ratio=2.0, max_hide_ratio=1.5)


def counterfeit(*, champion: int, challenger: int) -> CategoryComparison:
    """A category both models report in, the challenger's flags without CS labels."""
    return CategoryComparison(
        category="counterfeit",
        agreement=None,
        champion_hide=0,
        champion_report=champion,
        challenger_hide=0,
        challenger_report=challenger,
        flagged_by_both=champion,
        only_champion=0,
        only_challenger=challenger - champion,
        hide_delta_per_day=None,
        report_delta_per_day=None,
        champion_precision=None,
        champion_labelled=0,
        challenger_precision=None,
        challenger_labelled=0,
    )


def test_the_demo_loop_gates_block_the_issue_11_challenger_and_pass_a_better_one(tmp_path: Path) -> None:
    """The demo's settings (production gates; CS capacity of every listing while its reviewer labels
    every open item): the challenger that cut hides 368 -> 65 and raised reports 21 -> 402 is blocked,
    and the demo's override does not force it even where CS confirms its reports (fewer hides leave
    violations visible); one that hides the new slang too (334 -> 472, reports 21 -> 30: a quarter of
    the synthetic stream) passes; one that reports it (347 -> 330 hides, 36 -> 148 reports) is
    overridden on the evidence of the labels."""
    from demo.loop import Loop, LoopConfig, loop_settings
    from demo.loop_deploy import override_evidence

    settings = loop_settings(tmp_path, "local", LoopConfig())
    config = GateConfig.from_settings(settings)
    assert config == replace(GateConfig(), review_capacity_per_day=GateConfig().daily_listings)
    loop = Loop(tmp_path, "local", LoopConfig())
    loop.settings = settings
    confirmed = labels(40, confirmed=40, champion=("allow", None))

    def evidence(sample: ShadowSample) -> tuple[list[str], str | None]:
        result = gates(sample, config, labelled=confirmed)
        loop.comparison = compare(replace(sample, labelled=confirmed))
        lines = [f"{g.name}: {g.detail}" for g in result if not g.passed]
        return failed(result), override_evidence(loop, lines)

    issue = shadow(
        n=2000, champion_hides=368, challenger_hides=65, champion_reports=21, challenger_reports=402
    )
    assert evidence(issue) == (["hide volume", "report volume"], None)
    reporting = shadow(
        n=2000, champion_hides=347, challenger_hides=330, champion_reports=36, challenger_reports=148
    )
    names, why = evidence(reporting)
    assert names == ["report volume"] and why is not None and "cash 100% of 40" in why
    loop.comparison = replace(  # a few more unlabelled counterfeit flags are noise; 11% more are not
        loop.comparison, categories=[*loop.comparison.categories, counterfeit(champion=100, challenger=110)]
    )
    assert override_evidence(loop, ["report volume: ..."]) is not None
    loop.comparison.categories[-1] = counterfeit(champion=100, challenger=111)
    assert override_evidence(loop, ["report volume: ..."]) is None

    better = shadow(
        n=2000, champion_hides=334, challenger_hides=472, champion_reports=21, challenger_reports=30
    )
    assert failed(gates(better, config)) == []
    assert failed(gates(better, replace(config, review_capacity_per_day=50_000))) == ["review capacity"]


def test_the_evaluation_verdict_round_trips_and_only_true_is_eligible() -> None:
    from lovemachine.registry.verdict import EvaluationVerdict

    v = EvaluationVerdict(eligible=True, reasons=["beats live"], report_path="r/", clean_rows=10)
    assert EvaluationVerdict.of({"evaluation": v.to_metrics()}) == v
    assert EvaluationVerdict.of({}) is None and EvaluationVerdict.of({"evaluation": "x"}) is None
    assert EvaluationVerdict.of({"evaluation": {"reasons": []}}) is None  # no verdict at all
    for fake in ("yes", 1, "true", None):
        parsed = EvaluationVerdict.of({"evaluation": {"eligible": fake}})
        assert parsed is not None and parsed.eligible is False
    old = EvaluationVerdict.of({"evaluation": {"eligible": True, "report": "old/report.md"}})
    assert old is not None and old.report_location == "old/report.md"
