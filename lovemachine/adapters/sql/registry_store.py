"""The model registry: immutable model versions and movable aliases (champion, challenger, ...).

As in MLflow, an alias is keyed by (model name, alias) and points at exactly one version; every
move is kept in ``model_alias_history`` and the audit log, in the same transaction as the move.
"""

from __future__ import annotations

from sqlalchemy import select

from lovemachine.adapters.sql._base import SqlBase, dialect_insert, utcnow
from lovemachine.adapters.sql.records import (
    AliasChange,
    alias_change_from_row,
    model_version_from_row,
    model_version_to_row,
)
from lovemachine.adapters.sql.tables import model_alias_history, model_aliases, model_versions
from lovemachine.ports import ModelVersionRecord


class RegistryStoreMixin(SqlBase):
    def register_model_version(self, record: ModelVersionRecord) -> None:
        """Store a new version; versions are immutable. Registering the same record again is a no-op;
        one with a different name, artifact or training data raises ``ValueError``."""
        row = model_version_to_row(record)
        with self._write() as conn:
            inserted = conn.execute(
                dialect_insert(conn, model_versions)
                .on_conflict_do_nothing(index_elements=["version"])
                .returning(model_versions.c.version),
                row,
            ).first()
            if inserted is None:
                stored_row = (
                    conn.execute(select(model_versions).where(model_versions.c.version == record.version))
                    .mappings()
                    .one()
                )
                stored = model_version_from_row(stored_row)
                if _identity(stored) != _identity(record):
                    raise ValueError(f"model version {record.version!r} is already registered differently")
                return
            detail = {"name": record.name, "artifact_uri": record.artifact_uri}
            self._audit(conn, [("registry", "model.register", "model_version", record.version, detail)])

    def get_model_version(self, version: str) -> ModelVersionRecord | None:
        with self._read() as conn:
            row = (
                conn.execute(select(model_versions).where(model_versions.c.version == version))
                .mappings()
                .first()
            )
        return model_version_from_row(row) if row is not None else None

    def list_model_versions(self, name: str | None = None) -> list[ModelVersionRecord]:
        """Versions of ``name`` (default: this store's model), oldest first."""
        query = (
            select(model_versions)
            .where(model_versions.c.name == (name or self.model_name))
            .order_by(model_versions.c.created_at, model_versions.c.version)
        )
        with self._read() as conn:
            return [model_version_from_row(row) for row in conn.execute(query).mappings()]

    def set_alias(self, alias: str, version: str, *, actor: str, reason: str) -> None:
        """Point ``alias`` of the version's model at ``version`` (``LookupError`` if unknown)."""
        now = utcnow()
        with self._write() as conn:
            name = conn.execute(
                select(model_versions.c.name).where(model_versions.c.version == version)
            ).scalar_one_or_none()
            if name is None:
                raise LookupError(f"unknown model version {version!r}")
            current = conn.execute(
                select(model_aliases.c.version)
                .where(model_aliases.c.name == name, model_aliases.c.alias == alias)
                .with_for_update()
            ).scalar_one_or_none()
            stmt = dialect_insert(conn, model_aliases)
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["name", "alias"],
                    set_={"version": stmt.excluded.version, "updated_at": stmt.excluded.updated_at},
                ),
                {"name": name, "alias": alias, "version": version, "updated_at": now},
            )
            conn.execute(
                model_alias_history.insert(),
                {
                    "name": name,
                    "alias": alias,
                    "from_version": current,
                    "to_version": version,
                    "actor": actor,
                    "reason": reason,
                    "at": now,
                },
            )
            detail = {"name": name, "from_version": current, "to_version": version, "reason": reason}
            self._audit(conn, [(actor, "model.set_alias", "model_alias", f"{name}@{alias}", detail)], at=now)

    def get_alias(self, alias: str, *, name: str | None = None) -> ModelVersionRecord | None:
        """The version ``alias`` of model ``name`` (default: this store's model) points at."""
        query = (
            select(model_versions)
            .join(model_aliases, model_aliases.c.version == model_versions.c.version)
            .where(model_aliases.c.name == (name or self.model_name), model_aliases.c.alias == alias)
        )
        with self._read() as conn:
            row = conn.execute(query).mappings().first()
        return model_version_from_row(row) if row is not None else None

    def alias_history(self, alias: str, *, name: str | None = None) -> list[AliasChange]:
        """Every move of ``alias`` of model ``name`` (default: this store's model), oldest first."""
        query = (
            select(model_alias_history)
            .where(
                model_alias_history.c.name == (name or self.model_name),
                model_alias_history.c.alias == alias,
            )
            .order_by(model_alias_history.c.at, model_alias_history.c.id)
        )
        with self._read() as conn:
            return [alias_change_from_row(row) for row in conn.execute(query).mappings()]


def _identity(r: ModelVersionRecord) -> tuple[str, str, str, str]:
    return (r.name, r.artifact_uri, r.artifact_sha256, r.training_data_sha256)
