"""The enforcement record (DSA): listing versions, statements of reasons, appeals, strikes, account
actions and the numbers. The SQL store implements them (``lovemachine.adapters.sql``); the CS tool's
routes and ``lovemachine dsa`` call them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from lovemachine.dsa.appeals import Appeal
from lovemachine.dsa.policy import DsaPolicy
from lovemachine.dsa.records import StoredStatement, SubmissionResult
from lovemachine.dsa.strikes import AccountAction, Strikes
from lovemachine.listings import Listing


class StatementStore(Protocol):
    dsa: DsaPolicy

    def listing_version(self, listing_id: str, version: int) -> Listing | None:
        """The listing exactly as it was at ``version``."""

    def get_statement(self, puid: str) -> StoredStatement | None: ...

    def statements_for(self, listing_id: str) -> list[StoredStatement]: ...

    def statements_between(
        self, since: datetime, until: datetime | None = None, *, kind: str | None = None, limit: int = 10_000
    ) -> list[StoredStatement]: ...

    def statements_to_submit(
        self, *, limit: int = 1_000, retry_rejected: bool = False
    ) -> list[StoredStatement]: ...

    def record_submissions(self, results: Sequence[SubmissionResult]) -> None: ...


class AppealStore(Protocol):
    def create_appeal(
        self,
        *,
        appellant: str,
        text: str,
        submitted_by: str,
        listing_id: str | None = None,
        listing_version: int | None = None,
        statement_puid: str | None = None,
        external_id: str | None = None,
        now: datetime | None = None,
    ) -> tuple[Appeal, bool]: ...

    def get_appeal(self, appeal_id: int) -> Appeal | None: ...

    def list_appeals(self, *, status: str | None = None, limit: int = 100) -> list[Appeal]: ...

    def claim_next_appeal(self, staff: str, *, now: datetime | None = None) -> Appeal | None: ...

    def decide_appeal(
        self,
        appeal_id: int,
        *,
        staff: str,
        outcome: str,
        reason: str,
        category: str | None = None,
        now: datetime | None = None,
    ) -> tuple[Appeal, tuple[int, ...]]:
        """Returns the decided appeal and the outbox ids of the action it queued (publish them)."""


class EnforcementStore(Protocol):
    def seller_seen(self, seller_id: str) -> bool: ...

    def seller_strikes(self, seller_id: str, *, now: datetime | None = None) -> Strikes: ...

    def list_account_actions(self, *, status: str | None = None, limit: int = 100) -> list[AccountAction]: ...

    def decide_account_action(
        self, action_id: int, *, staff: str, confirm: bool, reason: str, now: datetime | None = None
    ) -> AccountAction: ...

    def pending_account_actions(self, *, limit: int = 100) -> list[AccountAction]: ...

    def mark_account_action(self, action_id: int, *, error: str | None = None) -> None: ...

    def enforcement_report(self, since: datetime, until: datetime) -> list[dict[str, Any]]: ...


class EnforcementRecord(StatementStore, AppealStore, EnforcementStore, Protocol):
    """All of the enforcement record."""
