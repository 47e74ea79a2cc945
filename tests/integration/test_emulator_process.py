"""The emulator manager leaves nothing behind: gcloud's Java child dies with it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lovemachine.adapters import pubsub_emulator as pe
from lovemachine.adapters.pubsub_emulator import EmulatorError, PubSubEmulator, emulator_from_env_or_start

pytestmark = [pytest.mark.integration, pytest.mark.timeout(150)]


def group_members(pgid: int) -> dict[int, str]:
    """pid -> command line of every live (non-zombie) process in process group ``pgid``."""
    members: dict[int, str] = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # state, ppid, pgrp, ...
        if int(fields[2]) == pgid and fields[0] != "Z":
            members[int(proc.name)] = cmdline
    return members


def test_start_and_stop_leave_no_process_of_the_group_behind() -> None:
    emu = PubSubEmulator(project="lm-proc-test")
    emu.start()
    try:
        assert emu.host == f"127.0.0.1:{emu.port}"
        assert emu.env() == {"PUBSUB_EMULATOR_HOST": emu.host}
        assert pe.port_open("127.0.0.1", emu.port)
        assert emu.pgid is not None
        members = group_members(emu.pgid)
        assert any("java" in cmd for cmd in members.values()), members  # gcloud's Java server
        assert emu.running
    finally:
        emu.stop()
    assert group_members(emu.pgid) == {}
    with pytest.raises(ProcessLookupError):
        os.killpg(emu.pgid, 0)
    assert not pe.port_open("127.0.0.1", emu.port)
    assert not emu.running
    emu.stop()  # idempotent


def test_missing_gcloud_fails_with_a_clear_error() -> None:
    with pytest.raises(EmulatorError, match="not found on PATH"):
        PubSubEmulator(gcloud="no-such-gcloud-binary").start()


def test_emulator_from_env_uses_the_running_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", "127.0.0.1:1")
    assert emulator_from_env_or_start("whatever") is None
