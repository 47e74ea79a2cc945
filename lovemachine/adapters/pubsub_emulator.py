"""Start and stop the Pub/Sub emulator (``gcloud beta emulators pubsub``) as a child process group.

``gcloud`` starts a Java server and may exit or be killed without it, so the emulator runs in its
own process group (``start_new_session=True``) and ``stop()`` signals the whole group: SIGTERM, a
few seconds' grace, then SIGKILL. An ``atexit`` hook stops it too if the owner forgets.

    with PubSubEmulator() as emu:
        os.environ.update(emu.env())   # PUBSUB_EMULATOR_HOST, read by google-cloud-pubsub
        ...
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

__all__ = ["EmulatorError", "PubSubEmulator", "emulator_from_env_or_start", "free_port"]

EMULATOR_ENV = "PUBSUB_EMULATOR_HOST"


class EmulatorError(RuntimeError):
    """The emulator could not be started (gcloud missing, crashed, or not ready in time)."""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


class PubSubEmulator:
    """One emulator process group on ``127.0.0.1:port`` (a free port when ``port`` is None)."""

    def __init__(
        self,
        project: str = "lovemachine-local",
        port: int | None = None,
        *,
        startup_timeout: float = 90.0,
        gcloud: str = "gcloud",
    ) -> None:
        self.project = project
        self.port = port if port is not None else free_port()
        self.startup_timeout = startup_timeout
        self._gcloud = gcloud
        self._proc: subprocess.Popen[bytes] | None = None
        self._pgid: int | None = None
        self._dir: Path | None = None
        self.log_path: Path | None = None

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def pgid(self) -> int | None:
        """Process group id of the running emulator (gcloud and its Java child)."""
        return self._pgid

    def env(self) -> dict[str, str]:
        return {EMULATOR_ENV: self.host}

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> PubSubEmulator:
        if self._proc is not None:
            return self
        exe = shutil.which(self._gcloud)
        if exe is None:
            raise EmulatorError(
                f"{self._gcloud!r} not found on PATH: install the Google Cloud SDK with the pubsub-emulator "
                f"component, or set {EMULATOR_ENV} to a running emulator"
            )
        if port_open("127.0.0.1", self.port):
            raise EmulatorError(f"port {self.port} is already in use")
        self._dir = Path(tempfile.mkdtemp(prefix="pubsub-emulator-"))
        self.log_path = self._dir / "emulator.log"
        (self._dir / "data").mkdir()
        cmd = [
            exe,
            "beta",
            "emulators",
            "pubsub",
            "start",
            f"--host-port={self.host}",
            f"--project={self.project}",
            f"--data-dir={self._dir / 'data'}",
            "--quiet",
        ]
        with open(self.log_path, "wb") as log:
            self._proc = subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self._pgid = self._proc.pid  # a new session: its leader's pid is the group id
        atexit.register(self.stop)
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if port_open("127.0.0.1", self.port, timeout=0.5):
                return
            code = self._proc.poll()
            if code is not None:
                raise EmulatorError(
                    f"emulator exited with code {code} during startup; log:\n{self.log_tail()}"
                )
            time.sleep(0.2)
        raise EmulatorError(
            f"emulator not accepting connections on {self.host} after {self.startup_timeout:.0f} s; "
            f"log:\n{self.log_tail()}"
        )

    def log_tail(self, lines: int = 30) -> str:
        if self.log_path is None or not self.log_path.exists():
            return "(no log)"
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def stop(self, timeout: float = 5.0) -> None:
        """SIGTERM the whole process group, SIGKILL what is left after ``timeout``; idempotent."""
        proc, pgid = self._proc, self._pgid
        if proc is None or pgid is None:
            return
        self._proc = None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and _group_alive(pgid, proc):
            time.sleep(0.05)
        if _group_alive(pgid, proc):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and _group_alive(pgid, proc):
                time.sleep(0.05)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=1)
        atexit.unregister(self.stop)
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)

    @property
    def running(self) -> bool:
        return self._proc is not None and self._pgid is not None and _group_alive(self._pgid, self._proc)

    def __enter__(self) -> PubSubEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _group_alive(pgid: int, leader: subprocess.Popen[bytes]) -> bool:
    """True while any process of the group exists (reaping the leader so it is not a zombie)."""
    leader.poll()
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def emulator_from_env_or_start(project: str = "lovemachine-local") -> PubSubEmulator | None:
    """None when ``PUBSUB_EMULATOR_HOST`` is set (use that one); else a started emulator to stop later."""
    if os.environ.get(EMULATOR_ENV):
        return None
    return PubSubEmulator(project).start()
