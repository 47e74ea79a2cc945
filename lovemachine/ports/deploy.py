"""Deploys: the registry's aliases and history, and the shadow sample promotion judges."""

from __future__ import annotations

from typing import Protocol

from lovemachine.ports.registry import ANY_VERSION, AliasChange, ModelVersionRecord
from lovemachine.registry.comparison import ShadowSample


class DeployStore(Protocol):
    """What deploys need from the registry and the shadow decisions (``SqlStore`` implements it)."""

    def get_alias(self, alias: str) -> ModelVersionRecord | None: ...

    def get_model_version(self, version: str) -> ModelVersionRecord | None: ...

    def set_alias(
        self, alias: str, version: str, *, actor: str, reason: str, expected: str | None = ANY_VERSION
    ) -> AliasChange:
        """See :meth:`lovemachine.ports.ModelRegistry.set_alias` (compare-and-set with ``expected``)."""

    def alias_history(self, alias: str) -> list[AliasChange]:
        """Every move of ``alias``, oldest first."""

    def shadow_sample(self, *, champion: str, challenger: str) -> ShadowSample:
        """The challenger's shadow decisions paired with the champion's on the same listings."""
