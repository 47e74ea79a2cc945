"""A statement of reasons in the DSA Transparency Database's API shape, validated as the API validates it.

The Transparency Database (TDB, ``digital-services-act/transparency-database`` on GitHub) takes one
statement per ``POST /api/v1/statement`` or up to 100 per ``POST /api/v1/statements``. Its rules
(``StatementStoreRequest`` / ``GroupedSubmissionsService::multi_rules``, ``Statement``'s enum
constants, ``resources/markdown/api-documentation-two.md``: the schema in force since 1 July 2025)
are mirrored here so that a statement that validates here is one the API accepts:

* enums are sent by their *keys* (``"DECISION_VISIBILITY_CONTENT_REMOVED"``, not the label), except
  ``automated_detection`` and ``incompatible_content_illegal``, which are ``"Yes"`` / ``"No"``;
* ``decision_ground`` decides which explanation is required: illegal content needs
  ``illegal_content_legal_ground`` (≤ 500) and ``illegal_content_explanation`` (≤ 2,000);
  incompatible content needs ``incompatible_content_ground`` (≤ 500) and
  ``incompatible_content_explanation`` (≤ 2,000);
* at least one of ``decision_visibility`` / ``decision_monetary`` / ``decision_provision`` /
  ``decision_account``; an ``*_OTHER`` choice needs its ``*_other`` text (≤ 500);
* ``decision_facts`` ≤ 5,000; ``puid`` ≤ 500 of ``[A-Za-z0-9_-]``; dates are ``YYYY-MM-DD``
  (``content_date`` from 2000-01-01, ``application_date`` from 2020-01-01, all up to 2038-01-01);
* input is read as Laravel reads it: strings are trimmed, and empty strings and lists count as absent.

Two deliberate differences, both stricter: the API silently *drops* a field that does not apply
(``exclude_unless``: an illegal-content explanation on an incompatible-content statement, an
``*_other`` text without the ``OTHER`` choice, ``source_identity`` on a voluntary decision...);
constructing a ``TdbStatement`` refuses it instead, since text that would vanish is a bug upstream.
``TdbStatement.from_api`` reads a request body with the API's semantics (drops those fields and
unknown keys) for code that must answer as the API does. And an end date before the application
date is refused, as the API's documentation says (its validator no longer checks it).

Statements carry no personal data (Art. 24(5)): build the free texts from policy wording, never from
listing or user text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from lovemachine.dsa.tdb_vocabulary import (
    CONTENT_ID_KEYS,
    EARLIEST_APPLICATION_DATE,
    EARLIEST_CONTENT_DATE,
    EUROPEAN_COUNTRY_CODES,
    EUROPEAN_UNION_COUNTRY_CODES,
    LANGUAGE_CODES,
    LATEST_DATE,
    MAX_STATEMENTS_PER_CALL,
    PUID_PATTERN,
    AccountType,
    AutomatedDecision,
    Category,
    ContentType,
    DecisionAccount,
    DecisionGround,
    DecisionMonetary,
    DecisionProvision,
    DecisionVisibility,
    Keyword,
    SourceType,
    YesNo,
)

__all__ = [
    "EUROPEAN_COUNTRY_CODES",
    "EUROPEAN_UNION_COUNTRY_CODES",
    "LANGUAGE_CODES",
    "MAX_STATEMENTS_PER_CALL",
    "PUID_PATTERN",
    "AccountType",
    "AutomatedDecision",
    "Category",
    "ContentType",
    "DecisionAccount",
    "DecisionGround",
    "DecisionMonetary",
    "DecisionProvision",
    "DecisionVisibility",
    "Keyword",
    "SourceType",
    "TdbStatement",
    "YesNo",
    "api_errors",
]


RULES_ERROR = "tdb_rules"
"""The pydantic error type of the cross-field rules: ``ctx["problems"]`` is ``((field, message), ...)``."""
FIELD_ERROR = "tdb_field"
"""The pydantic error type of a single field's API rule; its message is the API's own wording."""

_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_EAN13_RE = re.compile(r"\d{13}")

Text500 = Annotated[str, StringConstraints(min_length=1, max_length=500)]
Text2000 = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
Text5000 = Annotated[str, StringConstraints(min_length=1, max_length=5000)]
Puid = Annotated[str, StringConstraints(min_length=1, max_length=500, pattern=PUID_PATTERN)]

_DATE_LABELS = {
    "content_date": "content date",
    "application_date": "application date",
    "end_date_account_restriction": "end date of account restriction",
    "end_date_monetary_restriction": "end date of monetary restriction",
    "end_date_service_restriction": "end date of service restriction",
    "end_date_visibility_restriction": "end date of visibility restriction",
}
_DECISIONS = ("decision_visibility", "decision_monetary", "decision_provision", "decision_account")


def _attr(field: str) -> str:
    """Laravel's attribute name in messages: ``decision_facts`` -> ``decision facts``."""
    return field.replace("_", " ")


def _field_error(message: str) -> PydanticCustomError:
    return PydanticCustomError(FIELD_ERROR, "{message}", {"message": message})


def _laravel_input(value: object) -> object:
    """Laravel's TrimStrings and ConvertEmptyStringsToNull, and an empty list counted as absent."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, list | tuple):
        items = [_laravel_input(v) for v in value]
        return items or None
    return value


class TdbStatement(BaseModel):
    """One statement of reasons, field for field as ``POST /api/v1/statement(s)`` takes it.

    Field names, enum keys, limits and date formats are the API's. ``to_api()`` is the JSON body
    (absent fields omitted). Build listing statements with ``for_listing`` (content type PRODUCT).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    # the restriction(s): at least one of the four
    decision_visibility: tuple[DecisionVisibility, ...] | None = None
    decision_visibility_other: Text500 | None = None
    decision_monetary: DecisionMonetary | None = None
    decision_monetary_other: Text500 | None = None
    decision_provision: DecisionProvision | None = None
    decision_account: DecisionAccount | None = None
    account_type: AccountType | None = None

    # the ground
    decision_ground: DecisionGround
    decision_ground_reference_url: Text500 | None = None
    illegal_content_legal_ground: Text500 | None = None
    illegal_content_explanation: Text2000 | None = None
    incompatible_content_ground: Text500 | None = None
    incompatible_content_explanation: Text2000 | None = None
    incompatible_content_illegal: YesNo | None = None

    # the content
    content_type: tuple[ContentType, ...]
    content_type_other: Text500 | None = None
    category: Category
    category_addition: tuple[Category, ...] | None = None
    category_specification: tuple[Keyword, ...] | None = None
    category_specification_other: Text500 | None = None
    content_id: dict[str, str] | None = None
    territorial_scope: tuple[str, ...] | None = None
    content_language: str | None = None

    # the dates (YYYY-MM-DD on the wire)
    content_date: date
    application_date: date
    end_date_account_restriction: date | None = None
    end_date_monetary_restriction: date | None = None
    end_date_service_restriction: date | None = None
    end_date_visibility_restriction: date | None = None

    # facts, source, automation, identity
    decision_facts: Text5000
    source_type: SourceType
    source_identity: Text500 | None = None
    automated_detection: YesNo
    automated_decision: AutomatedDecision
    puid: Puid = Field(description="Unique within the platform: the TDB refuses a second statement for it.")

    # -- construction -------------------------------------------------------------------------------

    @classmethod
    def for_listing(cls, **fields: Any) -> TdbStatement:
        """A statement about a marketplace listing: ``content_type`` starts with CONTENT_TYPE_PRODUCT
        (any other types given, such as IMAGE or TEXT, follow it)."""
        given = fields.pop("content_type", None) or ()
        others = [c for c in given if c != ContentType.PRODUCT]  # the rest is validated as usual
        return cls(content_type=(ContentType.PRODUCT, *others), **fields)

    @classmethod
    def from_api(cls, payload: Mapping[str, object]) -> TdbStatement:
        """A statement from a request body, read as the API reads it: unknown keys are ignored and the
        fields that do not apply are dropped (the API's ``exclude_unless``) before validation."""
        data: dict[str, object] = {}
        for key, value in payload.items():
            if key in cls.model_fields:
                cleaned = _laravel_input(value)
                if cleaned is not None:
                    data[key] = cleaned

        def has(field: str, key: str) -> bool:
            value = data.get(field)
            return value == key or (isinstance(value, list) and key in value)

        drop: list[str] = []
        if not has("decision_ground", DecisionGround.ILLEGAL_CONTENT):
            drop += ["illegal_content_legal_ground", "illegal_content_explanation"]
        if not has("decision_ground", DecisionGround.INCOMPATIBLE_CONTENT):
            drop += ["incompatible_content_ground", "incompatible_content_explanation"]
            drop += ["incompatible_content_illegal"]
        if not has("decision_visibility", DecisionVisibility.OTHER):
            drop.append("decision_visibility_other")
        if not has("decision_monetary", DecisionMonetary.OTHER):
            drop.append("decision_monetary_other")
        if not has("content_type", ContentType.OTHER):
            drop.append("content_type_other")
        if not has("category_specification", Keyword.OTHER):
            drop.append("category_specification_other")
        if has("source_type", SourceType.VOLUNTARY):
            drop.append("source_identity")
        for field in drop:
            data.pop(field, None)
        return cls.model_validate(data)

    def to_api(self) -> dict[str, object]:
        """The JSON body the API takes for this statement: enum keys, ``YYYY-MM-DD`` dates, lists for
        the array fields; fields that are not set are left out."""
        body: dict[str, object] = self.model_dump(mode="json", exclude_none=True)
        return body

    # -- the API's rules ----------------------------------------------------------------------------

    @model_validator(mode="before")
    @classmethod
    def _read_like_laravel(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            return {key: _laravel_input(value) for key, value in data.items()}
        return data

    @field_validator(*_DATE_LABELS, mode="before")
    @classmethod
    def _date_format(cls, value: object, info: ValidationInfo) -> object:
        label = _DATE_LABELS[str(info.field_name)]
        if value is None:
            return None
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        if isinstance(value, str) and _DATE_RE.fullmatch(value):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        raise _field_error(f"The {label} does not match the format YYYY-MM-DD.")

    @field_validator(*_DATE_LABELS)
    @classmethod
    def _date_range(cls, value: date | None, info: ValidationInfo) -> date | None:
        if value is None:
            return None
        attr = _attr(str(info.field_name))
        earliest = {"content_date": EARLIEST_CONTENT_DATE, "application_date": EARLIEST_APPLICATION_DATE}
        first = earliest.get(str(info.field_name))
        if first is not None and value < first:
            raise _field_error(f"The {attr} field must be a date after or equal to {first.isoformat()}.")
        if value > LATEST_DATE:
            raise _field_error(
                f"The {attr} field must be a date before or equal to {LATEST_DATE.isoformat()}."
            )
        return value

    @field_validator("territorial_scope")
    @classmethod
    def _countries(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is not None and any(code not in EUROPEAN_COUNTRY_CODES for code in value):
            raise _field_error("The selected territorial scope is invalid.")
        return value

    @field_validator("content_language")
    @classmethod
    def _language(cls, value: str | None) -> str | None:
        if value is not None and value not in LANGUAGE_CODES:
            raise _field_error("The selected content language is invalid.")
        return value

    @field_validator("decision_ground_reference_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None:
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in value):
                raise _field_error("The decision ground reference url field must be a valid URL.")
        return value

    @field_validator("content_id")
    @classmethod
    def _content_id(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        if value is not None:
            if not value or not set(value) <= CONTENT_ID_KEYS:
                raise _field_error('The content id field accepts only the key "EAN-13".')
            if not all(_EAN13_RE.fullmatch(v) for v in value.values()):
                raise _field_error("The content id EAN-13 must be 13 digits.")
        return value

    @model_validator(mode="after")
    def _cross_field_rules(self) -> TdbStatement:
        problems: list[tuple[str, str]] = []

        def need(field: str, when: str) -> None:
            if getattr(self, field) is None:
                problems.append((field, f"The {_attr(field)} field is required when {when}."))

        def only(field: str, when: str) -> None:
            if getattr(self, field) is not None:
                problems.append(
                    (field, f"The {_attr(field)} field applies only when {when} (the API would drop it).")
                )

        illegal, incompatible = (
            "decision ground is illegal content",
            "decision ground is incompatible content",
        )
        for field in ("illegal_content_legal_ground", "illegal_content_explanation"):
            (need if self.decision_ground is DecisionGround.ILLEGAL_CONTENT else only)(field, illegal)
        for field in ("incompatible_content_ground", "incompatible_content_explanation"):
            (need if self.decision_ground is DecisionGround.INCOMPATIBLE_CONTENT else only)(
                field, incompatible
            )
        if self.decision_ground is not DecisionGround.INCOMPATIBLE_CONTENT:
            only("incompatible_content_illegal", incompatible)

        if all(getattr(self, field) is None for field in _DECISIONS):
            for field in _DECISIONS:
                others = " / ".join(_attr(f) for f in _DECISIONS if f != field)
                problems.append(
                    (field, f"The {_attr(field)} field is required when none of {others} are present.")
                )

        visibility_other = DecisionVisibility.OTHER in (self.decision_visibility or ())
        (need if visibility_other else only)("decision_visibility_other", "decision visibility is other")
        monetary_other = self.decision_monetary is DecisionMonetary.OTHER
        (need if monetary_other else only)("decision_monetary_other", "decision monetary is other")
        (need if ContentType.OTHER in self.content_type else only)("content_type_other", "content is other")
        if Keyword.OTHER not in (self.category_specification or ()):
            only("category_specification_other", "category specification includes KEYWORD_OTHER")
        if self.source_type is SourceType.VOLUNTARY:
            only("source_identity", "the source is a notice (not SOURCE_VOLUNTARY)")

        for field, label in _DATE_LABELS.items():
            end = getattr(self, field)
            if field.startswith("end_date_") and end is not None and end < self.application_date:
                problems.append(
                    (field, f"The {label} must be a date after or equal to the application date.")
                )

        if problems:
            summary = " ".join(message for _, message in problems)
            raise PydanticCustomError(
                RULES_ERROR, "{summary}", {"summary": summary, "problems": tuple(problems)}
            )
        return self


def api_errors(error: ValidationError) -> dict[str, list[str]]:
    """A ``TdbStatement`` validation error as the API words it: ``{field: [message, ...]}``, the
    ``errors`` object of its 422 answers (``"The selected category is invalid."`` ...)."""
    out: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        messages = out.setdefault(field, [])
        if message not in messages:
            messages.append(message)

    for e in error.errors():
        ctx: dict[str, Any] = dict(e.get("ctx") or {})
        if e["type"] == RULES_ERROR:
            for field, message in ctx.get("problems", ()):
                add(field, message)
            continue
        field = str(e["loc"][0]) if e["loc"] else "statement"
        add(field, _laravel_message(field, e["type"], e["msg"], e.get("input"), ctx))
    return out


def _laravel_message(field: str, kind: str, msg: str, value: object, ctx: Mapping[str, Any]) -> str:
    attr = _attr(field)
    if kind == FIELD_ERROR:
        return msg
    if kind in ("missing", "string_too_short", "too_short") or value is None:
        return f"The {attr} field is required."
    if kind == "string_too_long":
        return f"The {attr} field must not be greater than {ctx.get('max_length')} characters."
    if kind == "string_pattern_mismatch":
        return f"The {attr} field format is invalid."
    if kind in ("enum", "literal_error"):
        return f"The selected {attr} is invalid."
    if kind in ("list_type", "tuple_type", "dict_type"):
        return f"The {attr} field must be an array."
    if kind == "string_type":
        return f"The {attr} field must be a string."
    if kind == "extra_forbidden":
        return f"The {attr} field is not a statement attribute."
    return f"The {attr} field is invalid: {msg}."
