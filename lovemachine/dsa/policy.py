"""The operator's enforcement policy: what each category's restriction rests on, what the seller is
told, how long they may appeal, and how repeat violations count.

Everything here is the marketplace's to set (``LOVEMACHINE_DSA_POLICY_FILE``, a YAML file with any of
these keys; see ``docs/dsa.md``); the defaults are a working example for a marketplace whose terms
prohibit the four categories. The grounds are contractual (``DECISION_GROUND_INCOMPATIBLE_CONTENT``):
Lovemachine enforces a marketplace's terms, and whether a listing is also illegal is for the
operator's lawyers to say per category (``ground: illegal`` with the legal ground).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, ValidationError, model_validator

from lovemachine.categories import CATEGORIES
from lovemachine.dsa.tdb import Category, Keyword
from lovemachine.errors import ConfigurationError

LANGUAGES = ("en", "ja")


class _Config(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Ground(_Config):
    """What a restriction in one category rests on."""

    name: dict[str, str]
    """The policy's name as the seller reads it, per language."""
    ground: Literal["incompatible", "illegal"] = "incompatible"
    reference: str = Field(min_length=1, max_length=500)
    """The terms' clause (or, for ``illegal``, the legal ground)."""
    reference_url: HttpUrl | None = None
    explanation: str = Field(min_length=1, max_length=2000)
    """Why such content is incompatible with that clause (English: it goes to the Commission)."""
    tdb_category: Category
    tdb_keywords: tuple[Keyword, ...] = ()


_TEMPLATE_FIELDS = ("listing", "policy", "reference", "reference_url", "facts", "automation", "appeal_until")

DEFAULT_TEMPLATES: dict[str, dict[str, str]] = {
    "restriction": {
        "en": (
            "Your listing {listing} has been hidden from buyers because it breaks our rules on {policy} "
            "({reference}{reference_url}).\n\nWhy: {facts}\n{automation}\n\n"
            "If you think this is wrong, you can appeal free of charge until {appeal_until} from the "
            "listing's page; a person who did not make this decision will review it. You may also turn "
            "to a certified out-of-court dispute settlement body or to the courts."
        ),
        "ja": (
            "出品 {listing} は、{policy}に関する利用規約（{reference}{reference_url}）に違反するため、"
            "購入者に表示されなくなりました。\n\n理由: {facts}\n{automation}\n\n"
            "この判断に誤りがあるとお考えの場合は、{appeal_until}まで出品ページから無料で異議を申し立てる"
            "ことができます。この判断をしていない担当者が審査します。認定された裁判外紛争解決機関や"
            "裁判所に申し立てることもできます。"
        ),
    },
    "restore": {
        "en": (
            "Your listing {listing} is visible to buyers again. We reviewed our earlier decision on "
            "{policy} and reversed it: {facts}"
        ),
        "ja": (
            "出品 {listing} は再び購入者に表示されるようになりました。{policy}に関する以前の判断を見直し、"
            "取り消しました: {facts}"
        ),
    },
}

DEFAULT_AUTOMATION: dict[str, dict[str, str]] = {
    "fully": {
        "en": "This decision was made by automated means, without a person reviewing it first.",
        "ja": "この判断は、担当者の確認を経ずに自動システムによって行われました。",
    },
    "partially": {
        "en": "Automated means flagged the listing; a person on our team made the decision.",
        "ja": "自動システムが出品を検知し、当社の担当者が判断しました。",
    },
    "not": {
        "en": "A person on our team made this decision.",
        "ja": "この判断は当社の担当者が行いました。",
    },
}


def _default_grounds() -> dict[str, Ground]:
    terms = "https://marketplace.example/terms"
    return {
        "counterfeit": Ground(
            name={"en": "counterfeit goods", "ja": "偽ブランド品"},
            reference="Terms of Use, prohibited items: counterfeit or replica goods",
            reference_url=HttpUrl(f"{terms}#counterfeit"),
            explanation="The listing offers goods that imitate a brand's trademark without the brand "
            "owner's authorisation (counterfeits, replicas, 'inspired' copies), which the terms prohibit.",
            tdb_category=Category.INTELLECTUAL_PROPERTY_INFRINGEMENTS,
            tdb_keywords=(Keyword.TRADEMARK_INFRINGEMENT,),
        ),
        "adult": Ground(
            name={"en": "adult content", "ja": "アダルトコンテンツ"},
            reference="Terms of Use, prohibited items: sexual and adult content",
            reference_url=HttpUrl(f"{terms}#adult"),
            explanation="The listing offers or shows sexually explicit material, which the terms prohibit.",
            tdb_category=Category.OTHER_VIOLATION_TC,
            tdb_keywords=(Keyword.ADULT_SEXUAL_MATERIAL,),
        ),
        "cash": Ground(
            name={"en": "cash, gift cards and vouchers", "ja": "現金・ギフトカード・金券類"},
            reference="Terms of Use, prohibited items: cash, cash equivalents, gift cards and vouchers",
            reference_url=HttpUrl(f"{terms}#cash"),
            explanation="The listing sells money or a cash equivalent (banknotes, coins in circulation, "
            "gift cards, prepaid cards, vouchers, codes), which the terms prohibit.",
            tdb_category=Category.OTHER_VIOLATION_TC,
            tdb_keywords=(Keyword.GOODS_SERVICES_NOT_PERMITTED,),
        ),
        "keyword_stuffing": Ground(
            name={"en": "misleading keywords", "ja": "検索キーワードの羅列"},
            reference="Terms of Use, listing rules: brand names and search terms unrelated to the item",
            reference_url=HttpUrl(f"{terms}#keywords"),
            explanation="The description is padded with brand names and search terms that do not "
            "describe the item, which misleads buyers' searches and the terms prohibit.",
            tdb_category=Category.CONSUMER_INFORMATION,
            tdb_keywords=(Keyword.MISLEADING_INFO_GOODS_SERVICES,),
        ),
    }


def _general_ground() -> Ground:
    return Ground(
        name={"en": "our listing rules", "ja": "出品ルール"},
        reference="Terms of Use, listing rules",
        reference_url=HttpUrl("https://marketplace.example/terms#listing-rules"),
        explanation="The listing breaks the marketplace's listing rules.",
        tdb_category=Category.OTHER_VIOLATION_TC,
        tdb_keywords=(Keyword.GOODS_SERVICES_NOT_PERMITTED,),
    )


class DsaPolicy(_Config):
    """See the module docstring. Loaded once per process (``load_dsa_policy``)."""

    grounds: dict[str, Ground] = Field(default_factory=_default_grounds)
    general_ground: Ground = Field(default_factory=_general_ground)
    """For a restriction in no category of ``grounds`` (an uncategorised rule)."""
    templates: dict[str, dict[str, str]] = Field(default_factory=lambda: DEFAULT_TEMPLATES)
    automation: dict[str, dict[str, str]] = Field(default_factory=lambda: DEFAULT_AUTOMATION)
    default_language: str = "en"
    territorial_scope: tuple[str, ...] = ()
    """ISO country codes the restriction applies in; empty: where the listing is shown (not stated)."""
    appeal_months: int = Field(default=6, ge=6, le=60)
    """How long after the statement a complaint is accepted: at least six months (Art. 20(1))."""
    appeal_due_hours: int = Field(default=72, ge=1, le=24 * 90)
    """The appeals queue's target: a complaint decided within this many hours of arriving."""
    strike_weights: dict[str, float] = Field(
        default_factory=lambda: {"counterfeit": 3.0, "adult": 2.0, "cash": 2.0, "keyword_stuffing": 1.0}
    )
    strike_days: int = Field(default=180, ge=1, le=3650)
    """How long a strike counts."""
    account_action_threshold: float = Field(default=6.0, gt=0)
    """Active strike weight at which a suspension is recommended to a lead (never applied on its own)."""

    @model_validator(mode="after")
    def _complete(self) -> DsaPolicy:
        missing = [c for c in CATEGORIES if c not in self.grounds]
        if missing:
            raise ValueError(f"grounds: no ground for categories {missing}")
        for cat, g in self.grounds.items():
            if lacking := [lang for lang in LANGUAGES if lang not in g.name]:
                raise ValueError(f"grounds.{cat}.name: no name in {lacking}")
        for kind in ("restriction", "restore"):
            for lang in LANGUAGES:
                text = self.templates.get(kind, {}).get(lang)
                if not text:
                    raise ValueError(f"templates.{kind}.{lang}: missing")
                try:
                    text.format(**dict.fromkeys(_TEMPLATE_FIELDS, ""))
                except (KeyError, IndexError, ValueError) as exc:
                    raise ValueError(
                        f"templates.{kind}.{lang}: {exc!r}; placeholders: {', '.join(_TEMPLATE_FIELDS)}"
                    ) from None
        if self.default_language not in LANGUAGES:
            raise ValueError(f"default_language must be one of {LANGUAGES}")
        return self

    def ground(self, category: str) -> Ground:
        return self.grounds.get(category, self.general_ground)

    def language(self, locale: str) -> str:
        """The seller's language from a listing's locale (``ja-JP`` -> ``ja``)."""
        lang = locale.split("-")[0].split("_")[0].lower()
        return lang if lang in LANGUAGES else self.default_language

    def appeal_until(self, stated_at: datetime) -> datetime:
        """The last moment a complaint about a statement made at ``stated_at`` is accepted."""
        return add_months(stated_at, self.appeal_months)

    def strike_weight(self, category: str | None) -> float:
        return self.strike_weights.get(category or "", 1.0)

    def strike_window(self) -> timedelta:
        return timedelta(days=self.strike_days)


def add_months(t: datetime, months: int) -> datetime:
    """``t`` plus calendar months, the day clamped to the month's end (31 Aug + 6 months = 28/29 Feb)."""
    y, m = divmod(t.month - 1 + months, 12)
    year, month = t.year + y, m + 1
    first_of_next = date(year + month // 12, month % 12 + 1, 1)
    last_day = (first_of_next - timedelta(days=1)).day
    return t.replace(year=year, month=month, day=min(t.day, last_day))


def load_dsa_policy(path: Path | None) -> DsaPolicy:
    """The policy from a YAML file (any subset of the keys), or the defaults; a clear error otherwise."""
    if path is None:
        return DsaPolicy()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"cannot read the DSA policy {path}: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigurationError(f"the DSA policy {path} must be a mapping of settings")
    try:
        return DsaPolicy.model_validate(raw)
    except ValidationError as exc:
        raise ConfigurationError(f"the DSA policy {path} is invalid: {exc}") from None
