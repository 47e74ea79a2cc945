"""The model registry: immutable model versions and movable aliases (champion, challenger, ...).

As in MLflow, an alias is keyed by (model name, alias) and points at exactly one version; every
move is kept in ``model_alias_history`` and the audit log, in the same transaction as the move.
A move can be conditional (compare-and-set on where the alias points now): that is how a promotion
moves ``champion`` only if it still points at the version its gates were checked against.
"""

from __future__ import annotations

from dataclasses import asdict

from sqlalchemy import Connection, select, update

from lovemachine.adapters.sql._base import SqlBase, dialect_insert, utcnow
from lovemachine.adapters.sql.records import (
    alias_change_from_row,
    model_version_from_row,
    model_version_to_row,
)
from lovemachine.adapters.sql.tables import model_alias_history, model_aliases, model_versions
from lovemachine.errors import AliasConflictError
from lovemachine.ports import ANY_VERSION, AliasChange, ModelVersionRecord


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

    def set_alias(
        self, alias: str, version: str, *, actor: str, reason: str, expected: str | None = ANY_VERSION
    ) -> AliasChange:
        """See :meth:`lovemachine.ports.ModelRegistry.set_alias`.

        The alias row is locked (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's ``BEGIN
        IMMEDIATE`` serialises every writer) before it is compared, so two concurrent conditional
        moves from the same version cannot both succeed. A move to where the alias already points is
        still recorded: the history says who confirmed it and why.
        """
        now = utcnow()
        with self._write() as conn:
            name = conn.execute(
                select(model_versions.c.name).where(model_versions.c.version == version)
            ).scalar_one_or_none()
            if name is None:
                raise LookupError(f"unknown model version {version!r}")
            current = self._lock_alias(conn, name, alias)
            if expected != ANY_VERSION and current != expected:
                raise AliasConflictError(
                    f"{alias} of {name} points at {current or 'nothing'}, not {expected or 'nothing'} "
                    "(someone moved it meanwhile); nothing was changed"
                )
            if current is None:
                created = conn.execute(
                    dialect_insert(conn, model_aliases)
                    .on_conflict_do_nothing(index_elements=["name", "alias"])
                    .returning(model_aliases.c.version),
                    {"name": name, "alias": alias, "version": version, "updated_at": now},
                ).first()
                if created is None:  # a concurrent transaction created it after our read (PostgreSQL)
                    if expected != ANY_VERSION:
                        raise AliasConflictError(
                            f"{alias} of {name} was created meanwhile; nothing was changed"
                        )
                    current = self._lock_alias(conn, name, alias)
            if current is not None:
                conn.execute(
                    update(model_aliases)
                    .where(model_aliases.c.name == name, model_aliases.c.alias == alias)
                    .values(version=version, updated_at=now)
                )
            change = AliasChange(
                name=name,
                alias=alias,
                from_version=current,
                to_version=version,
                actor=actor,
                reason=reason,
                at=now,
            )
            conn.execute(model_alias_history.insert(), asdict(change))
            detail = {"name": name, "from_version": current, "to_version": version, "reason": reason}
            self._audit(conn, [(actor, "model.set_alias", "model_alias", f"{name}@{alias}", detail)], at=now)
        return change

    @staticmethod
    def _lock_alias(conn: Connection, name: str, alias: str) -> str | None:
        return conn.execute(
            select(model_aliases.c.version)
            .where(model_aliases.c.name == name, model_aliases.c.alias == alias)
            .with_for_update()
        ).scalar_one_or_none()

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
