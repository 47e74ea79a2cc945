"""The operator's DSA policy and the statements of reasons built from it (pure, no database)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from lovemachine.dsa.policy import DsaPolicy, add_months, load_dsa_policy
from lovemachine.dsa.statements import (
    Automation,
    Kind,
    Source,
    StatementCause,
    build_statement,
    decision_puid,
    model_facts,
)
from lovemachine.dsa.tdb import TdbStatement
from lovemachine.errors import ConfigurationError

T = datetime(2026, 8, 31, 12, 0, tzinfo=UTC)


def cause(**over: object) -> StatementCause:
    base: dict[str, object] = dict(
        kind=Kind.RESTRICTION,
        listing_id="m1",
        listing_version=3,
        category="cash",
        locale="en-GB",
        content_date=T,
        decided_at=T,
        automated_detection=True,
        automation=Automation.FULLY,
        source=Source.OWN_INITIATIVE,
        facts=model_facts("lm-1", {"cash": 0.991}, ["cash: score 0.991 >= hide threshold 0.95"], "cash"),
    )
    base.update(over)
    return StatementCause(**base)  # type: ignore[arg-type]


def test_six_calendar_months_clamp_to_the_end_of_the_month() -> None:
    assert add_months(T, 6) == datetime(2027, 2, 28, 12, 0, tzinfo=UTC)
    assert add_months(datetime(2027, 8, 31, tzinfo=UTC), 6) == datetime(2028, 2, 29, tzinfo=UTC)
    assert DsaPolicy().appeal_until(T) == datetime(2027, 2, 28, 12, 0, tzinfo=UTC)


def test_the_sellers_language_comes_from_the_listing_locale() -> None:
    policy = DsaPolicy()
    assert [policy.language(x) for x in ("ja-JP", "ja", "en-US", "EN_gb", "fr-FR", "")] == [
        "ja",
        "ja",
        "en",
        "en",
        "en",
        "en",
    ]


def test_a_restriction_statement_in_english_and_in_japanese() -> None:
    policy = DsaPolicy()
    en = build_statement(cause(), policy, decision_puid("m1", 3, "lm-1"))
    assert en.language == "en" and "cash, gift cards and vouchers" in en.text and "2027-02-28" in en.text
    assert "automated means" in en.text and "out-of-court" in en.text
    assert en.puid.startswith("lm-h-") and en.puid == decision_puid("m1", 3, "lm-1")
    tdb = TdbStatement.model_validate(en.tdb)
    assert tdb.category == "STATEMENT_CATEGORY_OTHER_VIOLATION_TC"
    assert tdb.category_specification == ("KEYWORD_GOODS_SERVICES_NOT_PERMITTED",)
    assert tdb.decision_visibility == ("DECISION_VISIBILITY_CONTENT_DISABLED",)
    assert tdb.automated_detection == "Yes" and tdb.automated_decision == "AUTOMATED_DECISION_FULLY"
    assert "0.99" in tdb.decision_facts and tdb.content_language == "EN"
    ja = build_statement(cause(locale="ja-JP"), policy, "p")
    assert ja.language == "ja" and "現金・ギフトカード・金券類" in ja.text and "異議" in ja.text


def test_a_restore_reaches_the_seller_but_not_the_transparency_database() -> None:
    plan = build_statement(
        cause(kind=Kind.RESTORE, automation=Automation.NOT, automated_detection=False, supersedes="lm-h-x"),
        DsaPolicy(),
        "lm-l-y",
    )
    assert (
        plan.tdb is None and plan.record["supersedes"] == "lm-h-x" and "visible to buyers again" in plan.text
    )


def test_an_operator_policy_file_overrides_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "dsa.yaml"
    grounds = DsaPolicy().model_dump(mode="json")["grounds"]
    grounds["counterfeit"].update(
        ground="illegal",
        reference="Trademark Act, art. 25",
        explanation="A counterfeit of a registered mark.",
    )
    import yaml

    path.write_text(
        yaml.safe_dump(
            {
                "appeal_months": 12,
                "grounds": grounds,
                "templates": {
                    "restriction": {
                        "en": "Hidden: {listing} ({policy}). Appeal by {appeal_until}.",
                        "ja": "{listing}",
                    },
                    "restore": {"en": "Back: {listing}", "ja": "{listing}"},
                },
            }
        )
    )
    policy = load_dsa_policy(path)
    plan = build_statement(cause(category="counterfeit"), policy, "p")
    assert plan.text == "Hidden: m1 (v3) (counterfeit goods). Appeal by 2027-08-31."
    assert plan.tdb is not None and plan.tdb["decision_ground"] == "DECISION_GROUND_ILLEGAL_CONTENT"
    assert plan.tdb["illegal_content_legal_ground"] == "Trademark Act, art. 25"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("appeal_months: 3\n", "appeal_months"),
        ("templates: {restriction: {en: 'Hi {name}', ja: x}, restore: {en: x, ja: x}}\n", "placeholders"),
        ("grounds: {}\n", "no ground for categories"),
        ("- a list\n", "mapping"),
        ("appeal_months: [\n", "cannot read"),
    ],
)
def test_a_bad_policy_file_is_a_clear_error(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "dsa.yaml"
    path.write_text(content)
    with pytest.raises(ConfigurationError, match=expected):
        load_dsa_policy(path)
