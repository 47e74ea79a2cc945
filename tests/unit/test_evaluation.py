"""Offline evaluation (``lovemachine evaluate``): config, splits, capacity cap, keyword baseline,
metrics on arrays whose answers are known by construction, the eligibility rule, the report, the CLI.

One small model is trained (in the end-to-end CLI run); everything else runs on hand-built arrays
or on generated rows without a model.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from lovemachine.categories import CATEGORIES
from lovemachine.listings import LabelledListing, Listing, parse_labelled
from synth import generate
from trainers.evaluation.baselines import RULE_CUT, KeywordRulesModel, load_rules
from trainers.evaluation.config import ConfigError, EvaluationError, load_config, parse_config
from trainers.evaluation.data import load_test_sets, split_rows, time_split_indices
from trainers.evaluation.metrics import (
    Cut,
    at_cut,
    brier,
    category_metrics,
    confusion,
    daily_volume,
    pr_auc,
    recall_at_precision,
)
from trainers.evaluation.models import capacity_shares, choose_cuts
from trainers.evaluation.slices import worst_examples

REPO = Path(__file__).resolve().parents[2]
SHIPPED_RULES = REPO / "eval" / "baseline_rules.yaml"


def raw_config(**overrides: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "name": "t",
        "data": {"synthetic": {"n": 1000, "seed": 1}},
        "split": {"kind": "random", "valid_fraction": 0.2, "test_fraction": 0.2},
        "candidates": [{"name": "cand", "source": "train"}],
        "baselines": {"keyword_rules": "rules.yaml"},
        "primary_metric": "pr_auc",
        "thresholds": {"review_capacity_per_day": 1000, "daily_listings": 10_000},
    }
    raw.update(overrides)
    return raw


@pytest.fixture(scope="module")
def rows() -> list[LabelledListing]:
    return [parse_labelled(d) for d in generate(3000, seed=5)]


# --------------------------------------------------------------------------- config
def test_a_valid_config_resolves_paths_against_its_own_directory(tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "e.yaml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump(raw_config(split="time")))
    cfg = load_config(path)
    assert cfg.baselines.keyword_rules == path.parent / "rules.yaml"
    assert cfg.split.kind == "time"  # the `split: time` shorthand
    assert cfg.thresholds.max_flag_rate == pytest.approx(0.1)
    assert cfg.thresholds.hide_precision == 0.99


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"primry_metric": "pr_auc"}, "primry_metric: Extra inputs are not permitted"),
        ({"primary_metric": "auc"}, "primary_metric: Input should be"),
        ({"data": {"path": "x.jsonl", "synthetic": {"n": 500}}}, "data: give exactly one"),
        ({"data": {}}, "data: give exactly one"),
        ({"candidates": [{"name": "c", "source": "trian"}]}, "candidates.0"),
        ({"candidates": [{"name": "c", "source": "train", "path": "x"}]}, "candidates.0.path: Extra inputs"),
        ({"candidates": [{"name": "c", "source": "artifact"}]}, "candidates.0.path: Field required"),
        (
            {"candidates": [{"name": "c", "source": "train", "train_options": {"calbration": "isotonic"}}]},
            "candidates.0.train_options: unknown option 'calbration'",
        ),
        (
            {"candidates": [{"name": "c", "source": "train", "train_options": {"hide_precision": 0.9}}]},
            "'hide_precision' is set by the 'split' or 'thresholds' section",
        ),
        ({"candidates": []}, "candidates: List should have at least 1 item"),
        ({"thresholds": {"review_capacity_per_day": 10}}, "thresholds.daily_listings: Field required"),
        (
            {"thresholds": {"review_capacity_per_day": 1, "daily_listings": 2, "report_precision": 0.995}},
            "report_precision must not exceed hide_precision",
        ),
        ({"split": {"kind": "time", "valid_fraction": 0.5, "test_fraction": 0.45}}, "split: valid_fraction"),
        ({"eligibility": {"test_set": "nope"}}, "eligibility.test_set 'nope'"),
        ({"candidates": [{"name": "keyword_rules", "source": "train"}]}, "model names must be unique"),
    ],
)
def test_config_errors_name_the_bad_key(change: dict[str, Any], expected: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(raw_config(**change), base_dir=Path("."), origin="e.yaml")
    assert expected in str(err.value)
    assert str(err.value).startswith("e.yaml: ")


def test_config_file_problems_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.yaml")
    (tmp_path / "bad.yaml").write_text("name: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(tmp_path / "bad.yaml")
    (tmp_path / "list.yaml").write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="expected a mapping"):
        load_config(tmp_path / "list.yaml")


def test_shipped_configs_are_valid() -> None:
    for name in ("synthetic_random.yaml", "time_split.yaml"):
        cfg = load_config(REPO / "eval" / name)
        assert cfg.baselines.keyword_rules == REPO / "eval" / "baseline_rules.yaml"
    assert load_config(REPO / "eval" / "time_split.yaml").split.kind == "time"


# --------------------------------------------------------------------------- splits
def test_random_split_is_a_seeded_partition(rows: list[LabelledListing]) -> None:
    cfg = parse_config(raw_config(), base_dir=Path(".")).split
    a, b = split_rows(rows, cfg), split_rows(rows, cfg)
    ids = [r.listing.id for part in (a.train, a.valid, a.test) for r in part]
    assert sorted(ids) == sorted(r.listing.id for r in rows)  # every row exactly once
    assert [r.listing.id for r in a.test] == [r.listing.id for r in b.test]  # same seed, same split
    assert len(a.test) == 600 and len(a.valid) == 600
    other = split_rows(rows, cfg.model_copy(update={"seed": 1}))
    assert [r.listing.id for r in other.test] != [r.listing.id for r in a.test]


def test_time_split_trains_on_the_past_and_tests_on_the_future(rows: list[LabelledListing]) -> None:
    shuffled = [rows[i] for i in np.random.default_rng(0).permutation(len(rows))]
    cfg = parse_config(raw_config(split="time"), base_dir=Path(".")).split
    s = split_rows(shuffled, cfg)
    newest_train = max(r.occurred_at for r in s.train)
    assert all(r.occurred_at > newest_train for r in s.valid)
    assert min(r.occurred_at for r in s.test) > max(r.occurred_at for r in s.valid)
    assert len(s.train) + len(s.valid) + len(s.test) == len(rows)
    assert abs(len(s.test) - 600) <= 5


def test_time_split_never_puts_equal_timestamps_on_both_sides(rows: list[LabelledListing]) -> None:
    # a burst: the listings from 50% to 65% of the way through share one timestamp, across the 60% cut
    by_time = sorted(rows, key=lambda r: r.occurred_at)
    burst = by_time[len(rows) // 2].occurred_at
    tied = [
        r.model_copy(update={"occurred_at": burst}) if 0.5 <= i / len(rows) < 0.65 else r
        for i, r in enumerate(by_time)
    ]
    tr, va, te = time_split_indices(tied, valid=0.2, test=0.2)
    ts = np.array([r.occurred_at.timestamp() for r in tied])
    assert len(tr) and len(va) and len(te)
    assert ts[tr].max() < ts[va].min() and ts[va].max() < ts[te].min()
    assert len(tr) + len(va) + len(te) == len(tied)
    assert len(tr) == len(rows) // 2  # the whole burst moved to validation, none left in training


def test_optional_test_set_that_does_not_exist_is_skipped_with_a_note(tmp_path: Path) -> None:
    raw = raw_config(
        data={"synthetic": {"n": 500}, "test_data": [{"name": "handwritten", "path": "nope.jsonl"}]}
    )
    sets, notes = load_test_sets(parse_config(raw, base_dir=tmp_path).data)
    assert sets == [] and "handwritten" in notes[0] and "does not exist" in notes[0]
    raw["data"]["test_data"][0]["required"] = True
    with pytest.raises(EvaluationError, match="required"):
        load_test_sets(parse_config(raw, base_dir=tmp_path).data)


# --------------------------------------------------------------------------- thresholds and capacity
def test_thresholds_keep_all_categories_together_within_the_review_capacity() -> None:
    rng = np.random.default_rng(0)
    n = 5000
    y = (rng.random((n, 4)) < [0.08, 0.04, 0.05, 0.05]).astype(np.int8)
    s = np.clip(y * rng.uniform(0.3, 1.0, (n, 4)) + (1 - y) * rng.beta(1, 6, (n, 4)), 0, 1)
    # base rates = the data's own: precision and flag rates are judged at this very mix
    rates = {c: float(y[:, k].mean()) for k, c in enumerate(CATEGORIES)}
    cfg = parse_config(
        raw_config(
            thresholds={"review_capacity_per_day": 10_000, "daily_listings": 100_000, "base_rates": rates}
        ),
        base_dir=Path("."),
    )
    shares = capacity_shares(y, cfg.thresholds)
    assert shares.sum() == pytest.approx(1.0) and shares[0] > shares[1]
    cuts = choose_cuts(y, s, cfg.thresholds)
    for k, c in enumerate(CATEGORIES):
        assert (s[:, k] >= cuts[c].report).mean() <= 0.1 * shares[k] + 1e-12
        assert cuts[c].report <= cuts[c].hide
    vol = daily_volume(s, [cuts[c] for c in CATEGORIES], 100_000)
    assert vol["review_items_per_day"] <= 10_000
    loose = choose_cuts(y, s, cfg.thresholds.model_copy(update={"review_capacity_per_day": 100_000}))
    assert daily_volume(s, [loose[c] for c in CATEGORIES], 100_000)["review_items_per_day"] > 10_000


# --------------------------------------------------------------------------- keyword baseline
def listing(title: str, description: str = "", brand: str | None = None) -> Listing:
    return Listing(
        id="x", version=1, seller_id="u", title=title, description=description, price=1000,
        currency="JPY", category="other", brand=brand,
    )  # fmt: skip


def test_keyword_rules_match_normalised_text_by_category(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("cash:\n  keywords: [amazonギフト]\ncounterfeit:\n  regex: ['\\bn(品|級)']\n")
    model = KeywordRulesModel(load_rules(path))
    s = model.predict_scores(
        [listing("ＡＭＡＺＯＮギフト券 5000円分"), listing("Ｎ級 ヴィトン 財布"), listing("ギフトボックス")]
    )
    assert s.tolist() == [[0, 0, 1, 0], [1, 0, 0, 0], [0, 0, 0, 0]]
    assert model.rule_counts == {"counterfeit": 1, "adult": 0, "cash": 1, "keyword_stuffing": 0}
    assert RULE_CUT.report == 1.0 and math.isinf(RULE_CUT.hide)  # every match reported, none hidden


def test_shipped_keyword_rules_catch_the_obvious_and_miss_the_disguised() -> None:
    model = KeywordRulesModel(load_rules(SHIPPED_RULES))
    s = model.predict_scores(
        [
            listing("スーパーコピー ルイヴィトン 長財布"),
            listing("Amazonギフト券 1万円分", "未使用です。"),
            listing("18禁 ゲーム まとめ売り"),
            listing("ワンピース", "検索用：シャネル グッチ プラダ エルメス セリーヌ"),
            listing("アマ◯ン カード 5000", "察してください。"),  # masked: the rules miss it
            listing("革 カードケース ハンドメイド", "名刺入れにも。"),
        ]
    )
    assert s[:, 0].tolist()[:1] == [1.0]
    assert s[1, 2] == 1.0 and s[2, 1] == 1.0 and s[3, 3] == 1.0
    assert s[4].sum() == 0 and s[5].sum() == 0


def test_keyword_rule_file_errors_are_named(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text("weapons:\n  keywords: [gun]\n")
    with pytest.raises(EvaluationError, match="unknown category 'weapons'"):
        load_rules(path)
    path.write_text("cash:\n  regex: ['(unclosed']\n")
    with pytest.raises(EvaluationError, match=r"cash\.regex: .*invalid regex"):
        load_rules(path)
    path.write_text("cash:\n  keyword: [x]\n")
    with pytest.raises(EvaluationError, match="use the keys"):
        load_rules(path)


# --------------------------------------------------------------------------- metrics by construction
def test_perfect_ranking_has_pr_auc_one_and_full_recall_at_any_precision() -> None:
    y = np.r_[np.ones(30), np.zeros(70)]
    s = np.r_[np.linspace(0.6, 1.0, 30), np.linspace(0.0, 0.5, 70)]
    assert pr_auc(y, s) == pytest.approx(1.0, abs=1e-12)
    assert recall_at_precision(y, s, 0.99) == (1.0, pytest.approx(0.6))
    assert pr_auc(np.zeros(5), np.ones(5)) is None


def test_inverted_ranking_and_ties() -> None:
    y = np.array([1, 1, 0, 0])
    assert pr_auc(y, np.array([0.1, 0.2, 0.8, 0.9])) == pytest.approx((1 / 3 + 2 / 4) / 2)
    # all tied: one cut, precision 0.5 -> no cut reaches 0.9, and AP is the prevalence
    assert recall_at_precision(y, np.full(4, 0.5), 0.9) == (0.0, None)
    assert pr_auc(y, np.full(4, 0.5)) == pytest.approx(0.5)


def test_pr_auc_agrees_with_scikit_learn() -> None:
    from sklearn.metrics import average_precision_score

    rng = np.random.default_rng(1)
    y = rng.random(500) < 0.2
    s = np.round(rng.random(500) * 0.6 + y * 0.3, 2)  # coarse scores: many ties
    assert pr_auc(y, s) == pytest.approx(average_precision_score(y, s), abs=1e-12)


def test_confusion_counts_and_daily_volume_at_the_cuts() -> None:
    y = np.array([1, 1, 0, 0, 0])
    s = np.array([0.9, 0.4, 0.8, 0.1, 0.0])
    cut = Cut(report=0.5, hide=0.85)
    assert confusion(y, s >= 0.5) == {"tp": 1, "fp": 1, "fn": 1, "tn": 2}
    m = category_metrics(y, s, cut, hide_precision=0.99, report_precision=0.8, daily_listings=1000)
    assert {k: m["report"][k] for k in ("tp", "fp", "fn", "tn")} == {"tp": 1, "fp": 1, "fn": 1, "tn": 2}
    assert {k: m["hide"][k] for k in ("tp", "fp", "fn", "tn")} == {"tp": 1, "fp": 0, "fn": 1, "tn": 3}
    assert m["report"]["precision"] == 0.5 and m["hide"]["precision"] == 1.0 and m["hide"]["recall"] == 0.5
    assert m["hides_per_day"] == pytest.approx(200) and m["reports_per_day"] == pytest.approx(200)
    assert m["hide_precision_held"] is True
    never = at_cut(y, s, math.inf, 1000)
    assert never["tp"] + never["fp"] == 0 and never["threshold"] is None and never["precision"] is None


def test_daily_volume_counts_each_listing_once_by_its_strongest_action() -> None:
    s = np.array([[0.9, 0.6, 0, 0], [0.6, 0, 0, 0], [0, 0, 0, 0.95], [0.1, 0.1, 0.1, 0.1]])
    cuts = [Cut(0.5, 0.8)] * 4
    v = daily_volume(s, cuts, 400)
    assert v == {"hides_per_day": 200.0, "reports_per_day": 100.0, "review_items_per_day": 300.0}


def test_calibration_numbers() -> None:
    y = np.array([0, 1] * 50)
    m = category_metrics(
        y, np.full(100, 0.5), Cut(1.0, 1.0), hide_precision=0.99, report_precision=0.8, daily_listings=1
    )
    assert m["brier"] == pytest.approx(0.25) and m["ece"] == pytest.approx(0.0)
    filled = [b for b in m["reliability"] if b["count"]]
    assert len(filled) == 1 and filled[0]["count"] == 100 and filled[0]["observed_rate"] == 0.5
    assert brier(np.array([1, 0]), np.array([1.0, 0.0])) == 0.0


def test_worst_examples_are_top_scoring_negatives_and_bottom_scoring_positives(
    rows: list[LabelledListing],
) -> None:
    sub = rows[:50]
    y = np.array([i % 5 == 0 for i in range(50)])
    s = np.linspace(0, 1, 50)
    ex = worst_examples(sub, y, s, Cut(0.5, 0.9), 3)
    assert [e["id"] for e in ex["false_positives"]] == [sub[i].listing.id for i in (49, 48, 47)]
    assert [e["id"] for e in ex["false_negatives"]] == [sub[i].listing.id for i in (0, 5, 10)]
    assert ex["false_positives"][0]["action"] == "hide" and ex["false_negatives"][0]["action"] == "allow"
    assert {"title", "description", "score", "tags", "locale"} <= set(ex["false_positives"][0])


# --------------------------------------------------------------------------- eligibility
@pytest.fixture(scope="module")
def cli_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    """One real run: a trained candidate, a champion and an artifact from a SQLite registry, the
    shipped keyword rules, an extra test set, and a missing optional one."""
    from datetime import UTC, datetime

    from cli import app
    from lovemachine.adapters.sql import SqlStore, make_engine
    from lovemachine.adapters.sql.migrate import upgrade
    from lovemachine.policy import Policy
    from lovemachine.ports import ModelVersionRecord
    from lovemachine.registry import save_artifact
    from synth import write_jsonl

    home = tmp_path_factory.mktemp("eval")
    url = f"sqlite:///{home / 'lm.db'}"
    upgrade(url)
    live = KeywordRulesModel(load_rules(SHIPPED_RULES))  # a cheap stand-in for the live model
    thresholds = Policy.uniform(report=0.5, hide=1.0).to_dict()
    uri, sha = save_artifact(
        live, version="live-1", artifact_dir=home / "artifacts", metadata={"thresholds": thresholds}
    )
    store = SqlStore(make_engine(url))
    store.register_model_version(
        ModelVersionRecord("live-1", "lovemachine", uri, sha, "f" * 64, {}, thresholds, datetime.now(UTC))
    )
    store.set_alias("champion", "live-1", actor="test", reason="test")
    store.dispose()
    write_jsonl(home / "extra.jsonl", 300, seed=9, id_prefix="X")
    config = {
        "name": "e2e",
        "data": {
            "synthetic": {"n": 2000, "seed": 4},
            "test_data": [
                {"name": "extra", "path": "extra.jsonl"},
                {"name": "handwritten", "path": "data/handwritten.jsonl"},
            ],
        },
        "split": {"kind": "time", "valid_fraction": 0.2, "test_fraction": 0.25},
        "candidates": [
            {"name": "cand", "source": "train", "train_options": {"calibration": "sigmoid"}},
            {"name": "live", "source": "champion"},
            {"name": "disk", "source": "artifact", "path": str(Path(uri))},
        ],
        "baselines": {"keyword_rules": str(SHIPPED_RULES)},
        "primary_metric": "pr_auc",
        "thresholds": {"review_capacity_per_day": 5000, "daily_listings": 20_000},
        "eligibility": {"bootstrap_resamples": 30},
        "report": {"examples": 3},
    }
    (home / "e2e.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    out = home / "out"
    result = CliRunner().invoke(
        app, ["evaluate", "--config", str(home / "e2e.yaml"), "--output", str(out), "--database-url", url]
    )
    return out, result


def test_cli_writes_markdown_html_json_and_plots(cli_run: tuple[Path, Any]) -> None:
    out, result = cli_run
    assert result.exit_code == 0, result.output
    for name in ("report.md", "report.html", "metrics.json", "config.yaml"):
        assert (out / name).stat().st_size > 0
    md = (out / "report.md").read_text(encoding="utf-8")
    for png in ("plots/split-pr.png", "plots/split-calibration.png", "plots/extra-pr.png"):
        assert f"]({png})" in md and (out / png).read_bytes().startswith(b"\x89PNG")
    page = (out / "report.html").read_text(encoding="utf-8")
    assert page.count('src="data:image/png;base64,') == 4 and 'src="plots/' not in page  # self-contained


def test_report_covers_every_category_model_and_test_set(cli_run: tuple[Path, Any]) -> None:
    out, _ = cli_run
    m = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert set(m["results"]) == {"split", "extra"}
    assert set(m["results"]["split"]) == {"cand", "live", "disk", "keyword_rules"}
    for per_model in m["results"].values():
        for r in per_model.values():
            assert set(r["categories"]) == set(CATEGORIES)
            assert {
                "pr_auc",
                "recall_at_hide_precision",
                "report",
                "hide",
                "reliability",
                "brier",
                "slices",
            } <= set(r["categories"]["cash"])
    assert m["models"]["cand"]["info"]["train_options"] == {"calibration": "sigmoid"}
    assert m["models"]["live"]["info"]["version"] == "live-1"
    md = (out / "report.md").read_text(encoding="utf-8")
    html = (out / "report.html").read_text(encoding="utf-8")
    for text in (md, html):
        for c in CATEGORIES:
            assert f"Worst false positives ({c})" in text and f"Worst false negatives ({c})" in text
        assert "Expected daily review volume" in text and "Reliability table" in text
    assert "cash:" in md and "hard_negative:" in md  # tag slices
    assert "| ja |" in md and "| en |" in md  # language slices


def test_decision_is_taken_against_the_live_model_and_explained(cli_run: tuple[Path, Any]) -> None:
    out, result = cli_run
    m = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    d = m["decision"]
    assert d["incumbent"] == "live" and set(d["candidates"]) == {"cand", "disk"}
    assert d["candidates"]["cand"]["eligible"] is True  # a trained model beats the keyword rules
    assert d["candidates"]["disk"]["eligible"] is False  # the same model as the live one is no better
    assert len(d["candidates"]["cand"]["reasons"]) == 3
    assert "eligible for deployment only if" in (out / "report.md").read_text(encoding="utf-8")
    assert "ELIGIBLE" in result.output
    notes = " ".join(m["notes"])
    assert "handwritten" in notes and "does not exist" in notes


def test_cli_reports_config_errors_by_key(tmp_path: Path) -> None:
    from cli import app

    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(raw_config(primary_metric="auc")))
    result = CliRunner().invoke(app, ["evaluate", "--config", str(tmp_path / "bad.yaml")])
    assert result.exit_code == 1
    assert "primary_metric" in result.output


# --------------------------------------------------------------------------- clean listings (issue 11)
