"""``TdbStatement``: the Transparency Database's statement shape and its validation rules
(``StatementStoreRequest`` / ``GroupedSubmissionsService::multi_rules`` of the TDB's source)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from lovemachine.dsa.tdb import (
    Category,
    ContentType,
    DecisionGround,
    DecisionMonetary,
    DecisionVisibility,
    Keyword,
    TdbStatement,
    YesNo,
    api_errors,
)


def fields(**overrides: Any) -> dict[str, Any]:
    """A valid listing statement's fields (incompatible with the terms), with ``overrides``."""
    base: dict[str, Any] = {
        "decision_visibility": ["DECISION_VISIBILITY_CONTENT_DISABLED"],
        "decision_ground": "DECISION_GROUND_INCOMPATIBLE_CONTENT",
        "decision_ground_reference_url": "https://market.example/terms#prohibited-items",
        "incompatible_content_ground": "Terms of sale, section 4.2: prohibited items",
        "incompatible_content_explanation": "The listing offers an item the terms prohibit.",
        "content_type": ["CONTENT_TYPE_PRODUCT"],
        "category": "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS",
        "category_specification": ["KEYWORD_PROHIBITED_PRODUCTS"],
        "territorial_scope": ["DE", "FR"],
        "content_language": "DE",
        "content_date": "2025-07-01",
        "application_date": "2025-07-02",
        "decision_facts": "Hidden automatically: the prohibited-items classifier scored it above threshold.",
        "source_type": "SOURCE_VOLUNTARY",
        "automated_detection": "Yes",
        "automated_decision": "AUTOMATED_DECISION_FULLY",
        "puid": "lm-listing-42_v1",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def illegal(**overrides: Any) -> dict[str, Any]:
    """A valid statement on the illegal-content ground, with ``overrides``."""
    ground: dict[str, Any] = {
        "decision_ground": "DECISION_GROUND_ILLEGAL_CONTENT",
        "incompatible_content_ground": None,
        "incompatible_content_explanation": None,
        "illegal_content_legal_ground": "Weapons Act, section 2",
        "illegal_content_explanation": "The item may not be sold to the public.",
    }
    return fields(**{**ground, **overrides})


def refused(data: dict[str, Any]) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as info:
        TdbStatement.model_validate(data)
    return api_errors(info.value)


# -- shape and round trip ---------------------------------------------------------------------------


def test_valid_statement_to_api_is_the_api_body() -> None:
    s = TdbStatement.model_validate(fields())
    assert s.to_api() == {
        "decision_visibility": ["DECISION_VISIBILITY_CONTENT_DISABLED"],
        "decision_ground": "DECISION_GROUND_INCOMPATIBLE_CONTENT",
        "decision_ground_reference_url": "https://market.example/terms#prohibited-items",
        "incompatible_content_ground": "Terms of sale, section 4.2: prohibited items",
        "incompatible_content_explanation": "The listing offers an item the terms prohibit.",
        "content_type": ["CONTENT_TYPE_PRODUCT"],
        "category": "STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS",
        "category_specification": ["KEYWORD_PROHIBITED_PRODUCTS"],
        "territorial_scope": ["DE", "FR"],
        "content_language": "DE",
        "content_date": "2025-07-01",
        "application_date": "2025-07-02",
        "decision_facts": "Hidden automatically: the prohibited-items classifier scored it above threshold.",
        "source_type": "SOURCE_VOLUNTARY",
        "automated_detection": "Yes",
        "automated_decision": "AUTOMATED_DECISION_FULLY",
        "puid": "lm-listing-42_v1",
    }


def test_round_trip_through_json() -> None:
    s = TdbStatement.model_validate(illegal(content_id={"EAN-13": "4006381333931"}))
    wire = json.loads(json.dumps(s.to_api()))
    assert TdbStatement.from_api(wire) == s
    assert TdbStatement.model_validate(wire) == s
    assert s.to_api()["content_id"] == {"EAN-13": "4006381333931"}


def test_to_api_omits_unset_fields() -> None:
    body = TdbStatement.model_validate(fields(territorial_scope=None, content_language=None)).to_api()
    assert "territorial_scope" not in body and "content_language" not in body
    assert None not in body.values()
    assert "decision_monetary" not in body and "illegal_content_explanation" not in body


def test_enums_take_the_api_keys() -> None:
    s = TdbStatement.model_validate(fields())
    assert s.decision_visibility == (DecisionVisibility.CONTENT_DISABLED,)
    assert s.decision_ground is DecisionGround.INCOMPATIBLE_CONTENT
    assert s.category is Category.UNSAFE_AND_PROHIBITED_PRODUCTS
    assert s.automated_detection is YesNo.YES
    assert Category.SCAMS_AND_FRAUD == "STATEMENT_CATEGORY_SCAMS_AND_FRAUD"
    assert Keyword.TRADEMARK_INFRINGEMENT == "KEYWORD_TRADEMARK_INFRINGEMENT"


def test_for_listing_puts_the_product_content_type_first() -> None:
    data = fields()
    del data["content_type"]
    s = TdbStatement.for_listing(content_type=["CONTENT_TYPE_IMAGE", "CONTENT_TYPE_PRODUCT"], **data)
    assert s.content_type == (ContentType.PRODUCT, ContentType.IMAGE)
    assert TdbStatement.for_listing(**data).content_type == (ContentType.PRODUCT,)


def test_strings_are_read_like_laravel() -> None:
    s = TdbStatement.model_validate(
        fields(decision_facts="  facts  ", content_language="", territorial_scope=[])
    )
    assert s.decision_facts == "facts"
    assert s.content_language is None and s.territorial_scope is None
    assert refused(fields(decision_facts="   ")) == {
        "decision_facts": ["The decision facts field is required."]
    }


def test_statement_is_immutable() -> None:
    s = TdbStatement.model_validate(fields())
    with pytest.raises(ValidationError):
        s.puid = "other"


# -- required fields --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "field",
    [
        "decision_ground",
        "content_type",
        "category",
        "content_date",
        "application_date",
        "decision_facts",
        "source_type",
        "automated_detection",
        "automated_decision",
        "puid",
    ],
)
def test_required_fields(field: str) -> None:
    data = fields()
    del data[field]
    errors = refused(data)
    assert errors[field] == [f"The {field.replace('_', ' ')} field is required."]


# -- decision ground --------------------------------------------------------------------------------


@pytest.mark.parametrize("missing", ["illegal_content_legal_ground", "illegal_content_explanation"])
def test_illegal_content_needs_its_ground_and_explanation(missing: str) -> None:
    with pytest.raises(ValidationError, match="field is required when decision ground is illegal content"):
        TdbStatement.model_validate(illegal(**{missing: None}))
    assert refused(illegal(**{missing: None})) == {
        missing: [
            f"The {missing.replace('_', ' ')} field is required when decision ground is illegal content."
        ]
    }


@pytest.mark.parametrize("missing", ["incompatible_content_ground", "incompatible_content_explanation"])
def test_incompatible_content_needs_its_ground_and_explanation(missing: str) -> None:
    with pytest.raises(ValidationError, match="required when decision ground is incompatible content"):
        TdbStatement.model_validate(fields(**{missing: None}))


@pytest.mark.parametrize(
    ("field", "limit", "make"),
    [
        ("illegal_content_legal_ground", 500, illegal),
        ("illegal_content_explanation", 2000, illegal),
        ("incompatible_content_ground", 500, fields),
        ("incompatible_content_explanation", 2000, fields),
        ("decision_facts", 5000, fields),
        ("decision_visibility_other", 500, None),
        ("decision_monetary_other", 500, None),
        ("content_type_other", 500, None),
        ("source_identity", 500, None),
    ],
)
def test_length_limits(field: str, limit: int, make: Any) -> None:
    def data(text: str) -> dict[str, Any]:
        if field == "decision_visibility_other":
            return fields(decision_visibility=["DECISION_VISIBILITY_OTHER"], decision_visibility_other=text)
        if field == "decision_monetary_other":
            return fields(decision_monetary="DECISION_MONETARY_OTHER", decision_monetary_other=text)
        if field == "content_type_other":
            return fields(
                content_type=["CONTENT_TYPE_PRODUCT", "CONTENT_TYPE_OTHER"], content_type_other=text
            )
        if field == "source_identity":
            return fields(source_type="SOURCE_ARTICLE_16", source_identity=text)
        return make(**{field: text})

    assert len(getattr(TdbStatement.model_validate(data("x" * limit)), field)) == limit
    assert refused(data("x" * (limit + 1))) == {
        field: [f"The {field.replace('_', ' ')} field must not be greater than {limit} characters."]
    }


def test_fields_of_the_other_ground_are_refused_but_dropped_from_an_api_body() -> None:
    data = illegal(incompatible_content_ground="Terms 4.2", incompatible_content_illegal="Yes")
    errors = refused(data)
    assert set(errors) == {"incompatible_content_ground", "incompatible_content_illegal"}
    assert (
        "applies only when decision ground is incompatible content"
        in errors["incompatible_content_ground"][0]
    )
    # the API's exclude_unless: what it receives it drops, silently
    s = TdbStatement.from_api(data)
    assert s.incompatible_content_ground is None and s.incompatible_content_illegal is None
    assert s.to_api() == TdbStatement.model_validate(illegal()).to_api()


def test_unknown_ground_is_invalid() -> None:
    assert refused(fields(decision_ground="Illegal Content")) == {
        "decision_ground": ["The selected decision ground is invalid."]
    }


# -- decisions and their "other" texts --------------------------------------------------------------


def test_at_least_one_decision() -> None:
    errors = refused(fields(decision_visibility=None))
    assert errors["decision_visibility"] == [
        "The decision visibility field is required when none of "
        "decision monetary / decision provision / decision account are present."
    ]
    assert set(errors) == {
        "decision_visibility",
        "decision_monetary",
        "decision_provision",
        "decision_account",
    }


@pytest.mark.parametrize(
    "decision",
    [
        {"decision_monetary": "DECISION_MONETARY_SUSPENSION"},
        {"decision_provision": "DECISION_PROVISION_PARTIAL_SUSPENSION"},
        {"decision_account": "DECISION_ACCOUNT_SUSPENDED", "account_type": "ACCOUNT_TYPE_PRIVATE"},
    ],
)
def test_any_one_decision_will_do(decision: dict[str, str]) -> None:
    s = TdbStatement.model_validate(fields(decision_visibility=None, **decision))
    assert s.to_api().items() >= decision.items()


def test_other_visibility_needs_its_text() -> None:
    data = fields(decision_visibility=["DECISION_VISIBILITY_OTHER"])
    assert refused(data) == {
        "decision_visibility_other": [
            "The decision visibility other field is required when decision visibility is other."
        ]
    }
    s = TdbStatement.model_validate({**data, "decision_visibility_other": "Listing paused for review"})
    assert s.to_api()["decision_visibility_other"] == "Listing paused for review"


def test_other_monetary_needs_its_text() -> None:
    data = fields(decision_monetary="DECISION_MONETARY_OTHER")
    with pytest.raises(ValidationError, match="decision monetary other field is required"):
        TdbStatement.model_validate(data)
    s = TdbStatement.model_validate({**data, "decision_monetary_other": "Payout held"})
    assert s.decision_monetary is DecisionMonetary.OTHER


def test_other_content_type_needs_its_text() -> None:
    data = fields(content_type=["CONTENT_TYPE_PRODUCT", "CONTENT_TYPE_OTHER"])
    with pytest.raises(ValidationError, match="content type other field is required when content is other"):
        TdbStatement.model_validate(data)


def test_other_texts_without_other_are_refused() -> None:
    errors = refused(fields(decision_visibility_other="text", content_type_other="text"))
    assert set(errors) == {"decision_visibility_other", "content_type_other"}
    assert TdbStatement.from_api(fields(decision_visibility_other="text")).decision_visibility_other is None


def test_source_identity_is_not_for_voluntary_decisions() -> None:
    assert set(refused(fields(source_identity="a trusted flagger"))) == {"source_identity"}
    s = TdbStatement.model_validate(fields(source_type="SOURCE_TRUSTED_FLAGGER", source_identity="A flagger"))
    assert s.to_api()["source_identity"] == "A flagger"


# -- enums and lists --------------------------------------------------------------------------------


def test_category_specification_takes_the_keywords() -> None:
    s = TdbStatement.model_validate(
        fields(category_specification=["KEYWORD_PROHIBITED_PRODUCTS", "KEYWORD_UNSAFE_PRODUCTS"])
    )
    assert s.category_specification == (Keyword.PROHIBITED_PRODUCTS, Keyword.UNSAFE_PRODUCTS)
    assert refused(fields(category_specification=["KEYWORD_PROHIBITED_PRODUCTS", "KEYWORD_GUNS"])) == {
        "category_specification": ["The selected category specification is invalid."]
    }
    assert set(refused(fields(category_specification_other="guns"))) == {"category_specification_other"}
    with_other = fields(category_specification=["KEYWORD_OTHER"], category_specification_other="Replica guns")
    assert TdbStatement.model_validate(with_other).to_api()["category_specification_other"] == "Replica guns"


def test_retired_v1_categories_and_keywords_are_invalid() -> None:
    assert set(refused(fields(category="STATEMENT_CATEGORY_UNSAFE_AND_ILLEGAL_PRODUCTS"))) == {"category"}
    assert set(refused(fields(category_specification=["KEYWORD_DANGEROUS_TOYS"]))) == {
        "category_specification"
    }


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("content_type", ["CONTENT_TYPE_LISTING"]),
        ("content_type", "CONTENT_TYPE_PRODUCT"),
        ("category", "Scams and/or fraud"),
        ("category_addition", ["STATEMENT_CATEGORY_NOPE"]),
        ("source_type", "SOURCE_OTHER"),
        ("automated_detection", "yes"),
        ("automated_decision", "Yes"),
        ("territorial_scope", ["DE", "US"]),
        ("content_language", "de"),
        ("account_type", "ACCOUNT_TYPE_ROBOT"),
    ],
)
def test_invalid_choices(field: str, value: object) -> None:
    errors = refused(fields(**{field: value}))
    assert list(errors) == [field]


def test_content_type_must_not_be_empty() -> None:
    assert refused(fields(content_type=[])) == {"content_type": ["The content type field is required."]}


def test_territorial_scope_takes_eea_countries() -> None:
    s = TdbStatement.model_validate(fields(territorial_scope=["NO", "IS", "LI", "AT"]))
    assert s.territorial_scope == ("NO", "IS", "LI", "AT")


def test_content_id_is_an_ean13() -> None:
    assert set(refused(fields(content_id={"EAN-13": "123"}))) == {"content_id"}
    assert set(refused(fields(content_id={"GTIN": "4006381333931"}))) == {"content_id"}


def test_reference_url_must_be_a_url() -> None:
    assert set(refused(fields(decision_ground_reference_url="see our terms"))) == {
        "decision_ground_reference_url"
    }


# -- puid -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("puid", ["a", "lm-123_ABC", "0", "-_-", "x" * 500])
def test_valid_puids(puid: str) -> None:
    assert TdbStatement.model_validate(fields(puid=puid)).puid == puid


@pytest.mark.parametrize("puid", ["a b", "a/b", "a.b", "lm:1", "é", "a\nb", "a+b", "%41"])
def test_invalid_puids(puid: str) -> None:
    assert refused(fields(puid=puid)) == {"puid": ["The puid field format is invalid."]}


def test_puid_limit() -> None:
    assert refused(fields(puid="x" * 501)) == {
        "puid": ["The puid field must not be greater than 500 characters."]
    }


# -- dates ------------------------------------------------------------------------------------------


def test_dates_go_out_as_year_month_day() -> None:
    s = TdbStatement.model_validate(
        fields(content_date=date(2024, 1, 5), end_date_visibility_restriction="2025-08-01")
    )
    body = s.to_api()
    assert body["content_date"] == "2024-01-05"
    assert body["end_date_visibility_restriction"] == "2025-08-01"


@pytest.mark.parametrize(
    "value", ["2025-7-1", "01-07-2025", "2025-07-01T00:00:00", "2025-07-01-12", "2025-02-30"]
)
def test_date_format(value: str) -> None:
    assert refused(fields(content_date=value)) == {
        "content_date": ["The content date does not match the format YYYY-MM-DD."]
    }


def test_a_datetime_is_not_a_date() -> None:
    assert set(refused(fields(application_date=datetime(2025, 7, 2, 12, 0)))) == {"application_date"}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("content_date", "1999-12-31", "The content date field must be a date after or equal to 2000-01-01."),
        (
            "application_date",
            "2019-12-31",
            "The application date field must be a date after or equal to 2020-01-01.",
        ),
        (
            "application_date",
            "2038-01-02",
            "The application date field must be a date before or equal to 2038-01-01.",
        ),
    ],
)
def test_date_bounds(field: str, value: str, message: str) -> None:
    assert refused(fields(**{field: value})) == {field: [message]}


def test_end_date_not_before_application() -> None:
    errors = refused(fields(end_date_visibility_restriction="2025-07-01"))
    assert errors == {
        "end_date_visibility_restriction": [
            "The end date of visibility restriction must be a date after or equal to the application date."
        ]
    }


# -- the domain core stays free of I/O --------------------------------------------------------------


def test_tdb_module_imports_no_adapter_or_framework() -> None:
    code = (
        "import sys, lovemachine.dsa.tdb\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'httpx', 'fastapi', 'starlette')"
        " or m.startswith('lovemachine.adapters')]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
