"""`lovemachine images check URL`, run as operators run it (the real console script, a subprocess):
the workers' settings and fetcher, a score for an allowed image, the reason and a non-zero exit
for a refused or failed one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from synth.image_host import SyntheticImageHost
from tests.integration.test_image_ssrf import Target

BIN = Path(sys.executable).parent / "lovemachine"


def check(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN), "images", "check", *args], env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def host() -> Iterator[SyntheticImageHost]:
    with SyntheticImageHost({"S1": "skin", "P1": "product"}) as h:
        yield h


@pytest.fixture
def env(host: SyntheticImageHost) -> dict[str, str]:
    e = dict(os.environ)
    e.pop("LOVEMACHINE_IMAGE_ALLOWED_HOSTS", None)
    e["LOVEMACHINE_IMAGE_ALLOWED_HOSTS"] = host.base_url.removeprefix("http://")
    e["COLUMNS"] = "200"
    return e


def test_help(env: dict[str, str]) -> None:
    out = subprocess.run(
        [str(BIN), "images", "check", "--help"], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0 and "Usage: lovemachine images check" in out.stdout
    assert "Exit status: 0 scored; 2 refused" in out.stdout


def test_an_allowed_image_is_scored_as_workers_do(host: SyntheticImageHost, env: dict[str, str]) -> None:
    from lovemachine.adapters.images import scorer_from
    from lovemachine.config import Settings

    url = f"{host.base_url}/S1/1.jpg"
    out = check(url, env=env)
    assert out.returncode == 0, out.stderr
    score = float(out.stdout.split()[1])
    assert out.stdout.startswith("score ") and url in out.stdout
    with scorer_from(Settings(image_allowed_hosts=[host.base_url.removeprefix("http://")])) as worker:
        (expected,) = worker.score_listings([[url]])
    assert expected.score is not None and score == pytest.approx(expected.score, abs=1e-4)

    out = check("--json", f"{host.base_url}/P1/1.jpg", env=env)
    data = json.loads(out.stdout)
    assert out.returncode == 0 and data["outcome"] == "scored" and 0 <= data["score"] <= 1
    assert data["decoded_size"] == [240, 240] and data["reason"] is None


def test_refused_and_failed_urls_exit_non_zero(host: SyntheticImageHost, env: dict[str, str]) -> None:
    internal = Target()  # not in the allow-list
    try:
        for url, code, why in [
            (f"http://127.0.0.1:{internal.port}/a.jpg", 2, "refused: 127.0.0.1 is a loopback address"),
            ("http://169.254.169.254/latest/meta-data/", 2, "refused: 169.254.169.254 is the cloud metadata"),
            (f"{host.base_url}/unknown/1.jpg", 1, "failed: HTTP 404"),
        ]:
            out = check(url, env=env)
            assert out.returncode == code, (url, out.stdout, out.stderr)
            assert out.stdout.startswith(why) and url in out.stdout, out.stdout
        assert internal.hits == 0
    finally:
        internal.stop()
    del env["LOVEMACHINE_IMAGE_ALLOWED_HOSTS"]  # the production default: the local host is refused
    out = check(f"{host.base_url}/S1/1.jpg", env=env)
    assert out.returncode == 2 and "127.0.0.1 is a loopback address" in out.stdout
