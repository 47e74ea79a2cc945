"""The `lovemachine` command, run as users run it (a subprocess with the real console script)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent / "lovemachine"
SUBCOMMANDS = [
    "generate",
    "train",
    "score",
    "publish",
    "worker",
    "demo",
    "db",
    "db upgrade",
    "db current",
    "dsa",
    "dsa export",
    "dsa submit",
    "dsa status",
    "dsa report",
]


def run(*args: str, env: dict[str, str], check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([str(BIN), *args], env=env, capture_output=True, text=True, timeout=600)
    if check and proc.returncode != 0:
        raise AssertionError(f"lovemachine {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
    return proc


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    e = dict(os.environ)
    e.update(
        LOVEMACHINE_DATABASE_URL=f"sqlite:///{tmp_path / 'lm.db'}",
        LOVEMACHINE_ARTIFACT_DIR=str(tmp_path / "artifacts"),
        COLUMNS="200",
    )
    return e


@pytest.mark.parametrize("sub", SUBCOMMANDS)
def test_every_subcommand_has_help(sub: str, env: dict[str, str]) -> None:
    out = run(*sub.split(), "--help", env=env)
    assert "Usage:" in out.stdout and len(out.stdout.splitlines()) > 4


def test_generate_train_score(tmp_path: Path, env: dict[str, str]) -> None:
    data = tmp_path / "train.jsonl"
    run("generate", "-o", str(data), "--n", "3000", "--seed", "3", env=env)
    assert sum(1 for _ in data.open()) == 3000

    # no model yet: a clear message that says how to get one
    events = tmp_path / "events.jsonl"
    run("generate", "-o", str(events), "--n", "200", "--seed", "4", "--id-prefix", "E", env=env)
    run("db", "upgrade", env=env)
    missing = run("score", "-i", str(events), "-o", str(tmp_path / "d.jsonl"), env=env, check=False)
    assert missing.returncode == 1 and "lovemachine train" in missing.stderr

    trained = run("train", "--data", str(data), env=env)
    assert "champion" in trained.stderr and "PR-AUC" in trained.stderr

    with events.open("a") as f:
        f.write("{broken\n")
        f.write(json.dumps({"event_id": "e", "type": "listing.created"}) + "\n")
    out = tmp_path / "decisions.jsonl"
    scored = run("score", "-i", str(events), "-o", str(out), env=env, check=False)
    assert scored.returncode == 2  # some lines were invalid
    assert "events.jsonl:201" in scored.stderr and "events.jsonl:202" in scored.stderr
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(lines) == 200
    first = lines[0]
    assert set(first) >= {"listing_id", "listing_version", "scores", "action", "reasons", "model_version"}
    assert set(first["scores"]) == {"counterfeit", "adult", "cash", "keyword_stuffing"}
    assert {x["action"] for x in lines} <= {"allow", "report", "hide"}
    assert any(x["action"] != "allow" for x in lines)


def test_bad_input_is_reported_clearly(tmp_path: Path, env: dict[str, str]) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"event_id": "e"}\n')
    out = run("train", "--data", str(bad), env=env, check=False)
    assert out.returncode == 1 and "bad.jsonl:1" in out.stderr
    missing = run("train", "--data", str(tmp_path / "nope.jsonl"), env=env, check=False)
    assert missing.returncode == 1 and "does not exist" in missing.stderr
    local = run("worker", "--broker", "local", env=env, check=False)
    assert local.returncode == 1 and "local broker" in local.stderr


@pytest.mark.timeout(900)  # the local run trains the deep tier: minutes on two busy cores
@pytest.mark.parametrize("broker", ["local", "pubsub"])
def test_demo_runs_on_both_brokers(broker: str, tmp_path: Path, env: dict[str, str], request) -> None:
    if broker == "pubsub":
        request.getfixturevalue("pubsub_emulator")  # sets PUBSUB_EMULATOR_HOST for this process
        env["PUBSUB_EMULATOR_HOST"] = os.environ["PUBSUB_EMULATOR_HOST"]
    out = run(
        "demo",
        "--broker",
        broker,
        "--n",
        "400",
        "--train-n",
        "4000",
        "--home",
        str(tmp_path / "demo"),
        # the default demo (with the deep tier) once; the emulator run skips the transformer's minutes
        *(["--no-deep"] if broker == "pubsub" else []),
        env=env,
    )
    assert "dead-lettered: 3 malformed" in out.stderr
    assert "hide" in out.stderr and "listings/s" in out.stderr
    if broker == "local":
        assert "reached the deep tier" in out.stderr
