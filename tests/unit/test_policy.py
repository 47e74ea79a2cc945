import pytest

from lovemachine.policy import Action, Policy, Thresholds, decide
from lovemachine.rules import Rule, RuleSet

POLICY = Policy.uniform(report=0.5, hide=0.9)


def run(scores, matches=()):
    return decide(
        listing_id="L",
        listing_version=1,
        scores=scores,
        policy=POLICY,
        model_version="m1",
        rule_matches=matches,
    )


# decision table: (scores, expected action, expected driving category)
@pytest.mark.parametrize(
    ("scores", "action", "category"),
    [
        ({"counterfeit": 0.1, "adult": 0.1, "cash": 0.1, "keyword_stuffing": 0.1}, Action.ALLOW, None),
        ({"counterfeit": 0.5}, Action.REPORT, "counterfeit"),  # threshold is inclusive
        ({"counterfeit": 0.49999}, Action.ALLOW, None),
        ({"cash": 0.95}, Action.HIDE, "cash"),
        ({"cash": 0.6, "adult": 0.95}, Action.HIDE, "adult"),  # hide beats report
        ({"cash": 0.6, "adult": 0.7}, Action.REPORT, "adult"),  # higher score drives among equals
        ({"cash": 0.97, "adult": 0.92}, Action.HIDE, "cash"),
    ],
)
def test_decision_table(scores, action, category):
    d = run(scores)
    assert d.action is action
    assert d.category == category


def test_every_acting_category_gives_a_reason():
    d = run({"cash": 0.6, "adult": 0.95})
    assert any(r.startswith("adult: score 0.950 >= hide") for r in d.reasons)
    assert any(r.startswith("cash: score 0.600 >= report") for r in d.reasons)


def test_rule_can_escalate_and_is_explained():
    rules = RuleSet([Rule(id=7, pattern="アマギフ", kind="keyword", category="cash", action="hide")])
    matches = rules.match("アマギフ 5000円分")
    d = run({"cash": 0.2}, matches)
    assert d.action is Action.HIDE and d.category == "cash" and d.rule_ids == [7]
    assert any("rule #7" in r for r in d.reasons)


def test_rule_report_does_not_downgrade_model_hide():
    rules = RuleSet([Rule(id=1, pattern="n品", kind="keyword", category="counterfeit", action="report")])
    d = run({"adult": 0.99}, rules.match("n品 です"))
    assert d.action is Action.HIDE and d.category == "adult"


def test_thresholds_are_validated():
    with pytest.raises(ValueError, match="below report"):
        Thresholds(report=0.8, hide=0.5)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        Thresholds(report=-0.1, hide=0.5)
    with pytest.raises(ValueError, match="unknown categories"):
        Policy({"weapons": Thresholds(0.5, 0.9)})


def test_policy_round_trips_through_dict():
    p = Policy({"cash": Thresholds(0.3, 0.8), "adult": Thresholds(0.4, 0.99)})
    assert Policy.from_dict(p.to_dict()) == p


def test_rules_match_normalised_text_and_reject_bad_regex():
    from lovemachine.features.text import normalise

    rules = RuleSet(
        [
            Rule(id=1, pattern="ＡＭＡＺＯＮギフト", kind="keyword", category="cash", action="report"),
            Rule(id=2, pattern=r"line\s*id", kind="regex", category="adult", action="report"),
            Rule(id=3, pattern="off", kind="keyword", category="cash", action="report", enabled=False),
        ]
    )
    assert [m.rule_id for m in rules.match(normalise("amazonギフト 送ります LINE ID"))] == [1, 2]
    with pytest.raises(ValueError, match="invalid regex"):
        Rule(id=4, pattern="(unclosed", kind="regex", category="cash", action="report")
    with pytest.raises(ValueError, match="unknown category"):
        Rule(id=5, pattern="x", kind="keyword", category="weapons", action="report")
