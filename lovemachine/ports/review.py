"""The CS tool: review queues, staff and their credentials, CS rules, the audit log, training runs.

One Protocol per concern, each what one group of CS tool routes calls; ``CsToolStore`` is all of
them together with the deploy and outbox ports, what the CS tool's ``AppState`` holds (``SqlStore``
implements it).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from lovemachine.listings import Listing
from lovemachine.policy import Decision
from lovemachine.ports.deploy import DeployStore
from lovemachine.ports.enforcement import EnforcementRecord
from lovemachine.ports.outbox import AccountActionOutbox, ActionOutbox
from lovemachine.ports.quality import QualityStore
from lovemachine.ports.registry import ModelVersionRecord
from lovemachine.retraining import TrainingRun
from lovemachine.review.records import (
    ApiToken,
    AuditEntry,
    LabelOutcome,
    LabelRecord,
    Page,
    QueueSummary,
    ReportOutcome,
    ReviewItem,
    SellerViolation,
    StaffMember,
    StaffSession,
    StoredRule,
    UserReport,
)
from lovemachine.rules import Rule


class StoredListingView(Protocol):
    """The latest stored version of a listing with its moderation status (the SQL store's
    ``StoredListing``, read-only)."""

    @property
    def listing(self) -> Listing: ...
    @property
    def status(self) -> Literal["visible", "hidden"]: ...
    @property
    def first_seen_at(self) -> datetime: ...
    @property
    def updated_at(self) -> datetime: ...


class ReviewStore(Protocol):
    """Review queues, items and their claims, labels, customer reports, and what an item shows."""

    def queue_summaries(self, *, now: datetime | None = None) -> list[QueueSummary]:
        """Per queue with undone items: how many are free to take, under a live claim, the oldest."""

    def list_queue_items(
        self, queue: str, *, limit: int = 50, cursor: str | None = None, now: datetime | None = None
    ) -> Page[ReviewItem]:
        """Undone items of ``queue``, highest effective priority first (then oldest, then id)."""

    def get_review_item(self, item_id: int, *, now: datetime | None = None) -> ReviewItem | None: ...

    def claim_next(
        self, queue: str, *, username: str, ttl: timedelta, now: datetime | None = None
    ) -> ReviewItem | None:
        """Claim the top item of ``queue`` free to take; None if there is none."""

    def claim_item(
        self, item_id: int, *, username: str, ttl: timedelta, now: datetime | None = None
    ) -> ReviewItem:
        """Claim (or extend one's own claim on) an item. ``ConflictError`` ``claimed``/``done``."""

    def release_claim(self, item_id: int, *, username: str, now: datetime | None = None) -> ReviewItem:
        """Give one's claim back (idempotent when the item is already open)."""

    def record_label(
        self,
        item_id: int,
        *,
        reviewer: str,
        label: str,
        note: str = "",
        idempotency_key: str | None = None,
        now: datetime | None = None,
    ) -> LabelOutcome:
        """Label a claimed item and apply what the label does (hide/restore, outbox, audit), at once."""

    def get_listing(self, listing_id: str) -> StoredListingView | None: ...

    def get_decision(self, decision_id: int) -> Decision | None: ...

    def get_model_version(self, version: str) -> ModelVersionRecord | None: ...

    def rules_by_ids(self, rule_ids: Sequence[int]) -> list[StoredRule]: ...

    def seller_violations(
        self, seller_id: str, *, exclude_listing_id: str, limit: int = 20
    ) -> list[SellerViolation]:
        """Confirmed violations (labels) on the seller's other listings, newest first."""

    def user_reports_for(self, listing_id: str, listing_version: int) -> list[UserReport]: ...

    def labels_for_listing(self, listing_id: str) -> list[LabelRecord]: ...

    def add_user_report(
        self, *, listing_id: str, reporter_id: str, reason: str, actor: str, now: datetime | None = None
    ) -> ReportOutcome:
        """Record a customer's report on the listing's current version in the ``user_reports`` queue."""


class StaffStore(Protocol):
    """Staff members, their sign-in sessions and password hashes, and integrations' API tokens."""

    def create_staff(self, *, username: str, password_hash: str, role: str, actor: str) -> StaffMember:
        """Add a staff member (``AlreadyExistsError`` if the username is taken); audited as ``actor``."""

    def update_staff(
        self,
        username: str,
        *,
        actor: str,
        role: str | None = None,
        active: bool | None = None,
        password_hash: str | None = None,
    ) -> StaffMember:
        """Change role, active flag or password. Deactivating or a new password ends every session."""

    def staff_credentials(self, username: str) -> tuple[StaffMember, str] | None:
        """The member and their password hash, for sign-in only."""

    def set_password_hash(self, username: str, password_hash: str) -> None:
        """Replace a hash with a stronger one at sign-in (not a password change)."""

    def list_staff(self, *, limit: int = 50, cursor: str | None = None) -> Page[StaffMember]: ...

    def count_staff(self) -> int: ...

    def create_session(
        self, *, session_sha256: str, username: str, csrf_token: str, expires_at: datetime
    ) -> None: ...

    def get_session(self, session_sha256: str) -> StaffSession | None:
        """The live session with this hash whose member is still active, else None."""

    def delete_session(self, session_sha256: str) -> None: ...

    def create_api_token(
        self, *, name: str, token_sha256: str, prefix: str, scopes: Sequence[str], actor: str
    ) -> ApiToken: ...

    def list_api_tokens(self, *, limit: int = 50, cursor: str | None = None) -> Page[ApiToken]: ...

    def revoke_api_token(self, token_id: int, *, actor: str) -> ApiToken:
        """Revoke a token (idempotent); ``NotFoundError`` if unknown."""

    def find_api_token(self, token_sha256: str) -> ApiToken | None:
        """The unrevoked token with this hash (and note that it was used), else None."""


class RuleAdminStore(Protocol):
    """CS rules as staff change them (audited), and the listings a rule preview scans."""

    def add_rule(
        self,
        *,
        pattern: str,
        kind: Literal["keyword", "regex"],
        category: str,
        action: Literal["hide", "report"],
        owner: str,
        note: str = "",
        enabled: bool = True,
    ) -> Rule:
        """Validate and store a new rule (``ValueError`` if invalid); audited as ``owner``."""

    def update_rule(self, rule_id: int, *, actor: str, **changes: Any) -> StoredRule:
        """Change any of pattern, kind, category, action, enabled, note; ``NotFoundError`` if unknown."""

    def get_stored_rule(self, rule_id: int) -> StoredRule | None: ...

    def list_rules_page(self, *, limit: int = 50, cursor: str | None = None) -> Page[StoredRule]:
        """Every rule (enabled or not), in id order."""

    def recent_listings(
        self, *, since: datetime, max_rows: int
    ) -> Iterator[tuple[str, str, str, str | None]]:
        """(id, title, description, brand) of listings created or edited since ``since``, newest first."""


class AuditLogStore(Protocol):
    """The audit log: events with no other write (a sign-in), and reading it back."""

    def record_audit(
        self, *, actor: str, action: str, entity_type: str, entity_id: str, detail: Mapping[str, Any]
    ) -> None: ...

    def list_audit(
        self,
        *,
        limit: int = 50,
        cursor: str | None = None,
        entity_type: str | None = None,
        entity_id: str | None = None,
        actor: str | None = None,
        action: str | None = None,
    ) -> Page[AuditEntry]:
        """Newest first; every filter is an exact match."""


class TrainingRunStore(Protocol):
    """Retraining runs, as the CS tool shows them."""

    def get_training_run(self, run_id: int) -> TrainingRun | None: ...

    def list_training_runs(
        self, *, limit: int = 50, cursor: str | None = None, status: str | None = None
    ) -> Page[TrainingRun]:
        """Newest first (by id), keyset-paged."""


class ModelCatalogStore(Protocol):
    """The registered model versions (the aliases are :class:`DeployStore`'s)."""

    def list_model_versions(self, name: str | None = None) -> list[ModelVersionRecord]:
        """Versions of ``name`` (default: this store's model), oldest first."""


class HealthStore(Protocol):
    def ping(self) -> None:
        """Raise if the database cannot answer (health checks)."""


class OpsStore(Protocol):
    def ops_counts(self) -> Any:
        """Aggregates for ``/metrics`` (``lovemachine.adapters.sql.ops_store.OpsCounts``)."""


class CsToolStore(
    ReviewStore,
    StaffStore,
    RuleAdminStore,
    AuditLogStore,
    TrainingRunStore,
    ModelCatalogStore,
    HealthStore,
    DeployStore,
    ActionOutbox,
    AccountActionOutbox,
    EnforcementRecord,
    OpsStore,
    QualityStore,
    Protocol,
):
    """Everything the CS tool calls on its store (``cstool_api.state.AppState.store``)."""
