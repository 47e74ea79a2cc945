"""A PRIVATE PostgreSQL cluster that a test may stop and start (outage tests).

The shared server on 127.0.0.1:5432 serves every other test (and other test sessions): never stop it.
``private_postgres`` starts a throwaway cluster (``initdb`` in a temporary directory, a free port,
trust auth, user ``postgres``) once per session, makes sure it is running before each test, and hands
out a fresh database migrated to head. ``PrivatePostgres.stop()`` / ``start()`` simulate an outage:
``pg_ctl stop -m fast`` ends every connection, as a crash or failover would. Run as root (CI), the
server runs as the ``postgres`` system user. Missing PostgreSQL binaries fail the tests (never skip).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from lovemachine.adapters.sql import SqlStore, make_engine
from lovemachine.adapters.sql.migrate import upgrade
from lovemachine.ports import ModelVersionRecord


def _bindir() -> Path:
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3].split(".")[0])
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    pytest.fail("PostgreSQL server binaries (initdb, pg_ctl) not found: install postgresql", pytrace=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PrivatePostgres:
    bindir: Path
    root: Path
    port: int

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def server_url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str, timeout: float = 60.0) -> None:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        if result.returncode != 0:
            log = (
                (self.root / "log").read_text(errors="replace")[-2000:]
                if (self.root / "log").exists()
                else ""
            )
            raise RuntimeError(f"{' '.join(args[:2])} failed: {result.stderr or result.stdout}\n{log}")

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "log"), "-w", "start")

    def stop(self) -> None:
        """Stop the server at once (``-m fast``: every session is terminated)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def create_database(self) -> str:
        name = f"lm_private_{uuid.uuid4().hex[:12]}"
        engine = create_engine(self.server_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            engine.dispose()
        return self.url(name)


@pytest.fixture(scope="session")
def private_postgres_cluster() -> Iterator[PrivatePostgres]:
    root = Path(tempfile.mkdtemp(prefix="lm-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    pg = PrivatePostgres(bindir=_bindir(), root=root, port=_free_port())
    try:
        pg.init()
        pg.start()
    except Exception as exc:
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(f"could not start a private PostgreSQL cluster: {exc}", pytrace=False)
    try:
        yield pg
    finally:
        if pg.running():
            try:
                pg.stop()
            except Exception:
                time.sleep(1)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def private_postgres(private_postgres_cluster: PrivatePostgres) -> tuple[PrivatePostgres, str]:
    """``(cluster, url)``: the private cluster, running, and a fresh database on it, migrated to head."""
    if not private_postgres_cluster.running():
        private_postgres_cluster.start()
    url = private_postgres_cluster.create_database()
    upgrade(url)
    return private_postgres_cluster, url


@pytest.fixture
def private_live_store(
    private_postgres: tuple[PrivatePostgres, str], model_artifact: ModelVersionRecord
) -> Iterator[tuple[PrivatePostgres, SqlStore]]:
    """``(cluster, store)``: a store on the private cluster whose champion is the session's model
    (``tests.plugins.model``). The cluster is running again after the test, whatever it did."""
    pg, url = private_postgres
    store = SqlStore(make_engine(url))
    store.register_model_version(model_artifact)
    store.set_alias("champion", model_artifact.version, actor="test", reason="fixture")
    try:
        yield pg, store
    finally:
        if not pg.running():
            pg.start()
        store.dispose()
