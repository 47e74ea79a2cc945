"""Listing images reach reviewers through the tool: fetched by the SSRF-safe fetcher from a real HTTP
image host, re-encoded, blurred on the server for adult items, cached; staff only."""

from __future__ import annotations

import io
from collections.abc import Iterator

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from lovemachine.adapters.sql import SqlStore
from lovemachine.config import Settings
from lovemachine.policy import Action
from synth.image_host import SyntheticImageHost
from synth.images import render_image
from tests.api.conftest import Login, Seeder, make_decision, make_listing
from tests.integration.test_image_ssrf import Target


@pytest.fixture
def image_host() -> Iterator[SyntheticImageHost]:
    with SyntheticImageHost({}) as host:
        yield host


@pytest.fixture
def settings(database_url: str, image_host: SyntheticImageHost) -> Settings:
    """The tool with the local image host named in the allow-list (as the demo and tests must)."""
    netloc = image_host.base_url.removeprefix("http://")
    return Settings(
        database_url=database_url, cookie_secure=False, broker="local", image_allowed_hosts=[netloc]
    )


def listing_with_images(
    store: SqlStore, seeder: Seeder, listing_id: str, urls: list[str], category: str = "counterfeit"
) -> int:
    listing = make_listing(listing_id).model_copy(update={"image_urls": urls})
    store.record_decisions([(listing, make_decision(listing, category, 0.8, Action.REPORT))])
    return seeder.item_id(listing_id, category)


def gray(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("L"), dtype=np.int16)


def sharpest(data: bytes) -> int:
    """The largest step between neighbouring pixels: a photo's edges, gone once blurred."""
    a = gray(data)
    return int(max(np.abs(np.diff(a, axis=0)).max(), np.abs(np.diff(a, axis=1)).max()))


def like(data: bytes, source: bytes) -> bool:
    """The same photo (give or take JPEG re-encoding)."""
    a, b = gray(data), gray(source)
    return a.shape == b.shape and float(np.abs(a - b).mean()) < 4


def jpeg(r: object) -> bytes:
    assert r.status_code == 200, r.text  # type: ignore[attr-defined]
    assert r.headers["content-type"] == "image/jpeg"  # type: ignore[attr-defined]
    data: bytes = r.content  # type: ignore[attr-defined]
    assert Image.open(io.BytesIO(data)).format == "JPEG"
    return data


def test_reviewers_get_clean_and_blurred_images_through_the_tool(
    login: Login, store: SqlStore, seeder: Seeder, image_host: SyntheticImageHost
) -> None:
    image_host.kinds = {"P1": "product", "A1": "skin"}
    base = image_host.base_url
    product = listing_with_images(store, seeder, "P1", [f"{base}/P1/1.jpg", f"{base}/P1/2.jpg"])
    adult = listing_with_images(store, seeder, "A1", [f"{base}/A1/1.jpg"], category="adult")
    agent = login("agent")

    r = agent.get(f"/api/v1/items/{product}/images/0")
    clean = jpeg(r)
    assert r.headers["x-image-blurred"] == "0"  # not an adult item: clean by default
    source = render_image("P1", 1, kind="product")
    assert like(clean, source) and sharpest(source) > 100
    blurred = jpeg(agent.get(f"/api/v1/items/{product}/images/0?blur=1"))
    assert not like(blurred, source) and sharpest(blurred) < 12

    r = agent.get(f"/api/v1/items/{adult}/images/0")  # adult band: blurred unless asked
    assert r.headers["x-image-blurred"] == "1"
    assert sharpest(jpeg(r)) < 12 and not like(r.content, render_image("A1", 1, kind="skin"))
    revealed = jpeg(agent.get(f"/api/v1/items/{adult}/images/0?blur=0"))
    assert like(revealed, render_image("A1", 1, kind="skin"))

    fetched = image_host.requests
    assert fetched == 2  # one fetch per image: its clean and blurred versions are made together
    for _ in range(3):
        jpeg(agent.get(f"/api/v1/items/{product}/images/0"))
        jpeg(agent.get(f"/api/v1/items/{adult}/images/0?blur=1"))
    assert image_host.requests == fetched  # served from the tool's cache

    assert jpeg(agent.get(f"/api/v1/items/{product}/images/1")) != clean
    r = agent.get(f"/api/v1/items/{product}/images/2")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert agent.get(f"/api/v1/items/{product}/images/-1").status_code == 422
    assert agent.get("/api/v1/items/999999/images/0").status_code == 404


def test_refused_and_failed_images_say_why(
    login: Login, store: SqlStore, seeder: Seeder, image_host: SyntheticImageHost
) -> None:
    internal = Target()  # an internal service: no allow-list entry for its port
    try:
        urls = [
            "http://10.0.0.5/a.jpg",
            "file:///etc/passwd",
            f"http://127.0.0.1:{internal.port}/admin.jpg",
            f"{image_host.base_url}/missing/1.jpg",
        ]
        item = listing_with_images(store, seeder, "R1", urls)
        agent = login("agent")
        expected = [
            ("image_refused", "10.0.0.5 is a private address"),
            ("image_refused", "scheme 'file' is not fetched"),
            ("image_refused", "127.0.0.1 is a loopback address"),
            ("image_unavailable", "HTTP 404"),
        ]
        for k, (code, why) in enumerate(expected):
            r = agent.get(f"/api/v1/items/{item}/images/{k}")
            assert r.status_code == 502, r.text
            error = r.json()["error"]
            assert error["code"] == code and why in error["message"], error
            assert error["message"].startswith(f"image {k} of listing R1: ")
        assert internal.hits == 0
    finally:
        internal.stop()


def test_only_signed_in_staff_get_images(
    login: Login, anon: TestClient, store: SqlStore, seeder: Seeder, image_host: SyntheticImageHost
) -> None:
    image_host.kinds = {"P2": "product"}
    item = listing_with_images(store, seeder, "P2", [f"{image_host.base_url}/P2/1.jpg"])
    r = anon.get(f"/api/v1/items/{item}/images/0")
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthenticated"
    admin = login("admin")
    token = admin.post("/api/v1/tokens", json={"name": "m", "scopes": ["items:read"]}).json()["token"]
    r = anon.get(f"/api/v1/items/{item}/images/0", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 403  # integrations read items, not the sellers' photos through us
    assert image_host.requests == 0
    assert login("agent").get(f"/api/v1/items/{item}/images/0").status_code == 200


def test_the_page_may_load_images_only_from_the_tool(anon: TestClient) -> None:
    csp = anon.get("/").headers["content-security-policy"]
    img_src = next(d for d in csp.split(";") if d.strip().startswith("img-src")).split()[1:]
    assert img_src == ["'self'"]
