"""The action outbox: moderation actions CS labels queued, published after their transaction."""

from __future__ import annotations

from typing import Protocol

from lovemachine.dsa.strikes import AccountAction
from lovemachine.review.records import PendingAction


class ActionOutbox(Protocol):
    def pending_actions(self, *, limit: int = 100) -> list[PendingAction]:
        """Unpublished actions, oldest first."""

    def mark_action_published(self, action_id: int) -> None: ...

    def mark_action_failed(self, action_id: int, error: str) -> None: ...


class AccountActionOutbox(Protocol):
    """Account actions a lead confirmed, published after their transaction."""

    def pending_account_actions(self, *, limit: int = 100) -> list[AccountAction]: ...

    def mark_account_action(self, action_id: int, *, error: str | None = None) -> None: ...
