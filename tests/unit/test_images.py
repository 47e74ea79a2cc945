"""Images as an adult signal: bounded fetches over real HTTP, the circuit breaker, open_nsfw scoring,
the synthetic photos and the local image host."""

import io
import struct
import threading
import time
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import numpy as np
import pytest
from PIL import Image

from lovemachine.adapters.images import NsfwImageScorer
from lovemachine.adapters.images_fetch import ImageFetcher
from lovemachine.images import ImageScore
from synth.image_host import SyntheticImageHost
from synth.images import image_kind, render_image

JPEG = render_image("L00000001", 1, kind="product")
CAP = 50_000


def _mpo() -> bytes:
    """A phone-camera style JPEG (MPO: a JPEG with a second picture), which Pillow reports as MPO."""
    img = Image.open(io.BytesIO(JPEG))
    buf = io.BytesIO()
    img.save(buf, format="MPO", save_all=True, append_images=[img.copy()])
    return buf.getvalue()


def _png_bomb(side: int) -> bytes:
    """A few dozen bytes of PNG header that claim ``side`` x ``side`` pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        route = self.path.split("?")[0]
        if route == "/ok.jpg":
            self._send(200, JPEG, "image/jpeg")
        elif route == "/slow.jpg":  # headers only after 3 s
            time.sleep(3)
            self._send(200, JPEG, "image/jpeg")
        elif route == "/drip.jpg":  # headers at once, then a byte every 0.1 s for ~5 s
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(len(JPEG)))
            self.end_headers()
            for b in JPEG[:50]:
                self.wfile.write(bytes([b]))
                self.wfile.flush()
                time.sleep(0.1)
        elif route == "/big.jpg":  # honest Content-Length over the cap
            self._send(200, JPEG + b"\0" * (2 * CAP), "image/jpeg")
        elif route == "/big-unsized.jpg":  # no Content-Length: the body ends when the connection closes
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            self.wfile.write(JPEG + b"\0" * (2 * CAP))
        elif route == "/big-chunked.jpg":
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for _ in range(40):
                piece = b"\0" * 4096
                self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        elif route == "/page.html":
            self._send(200, b"<html>hello</html>", "text/html; charset=utf-8")
        elif route == "/fake.jpg":
            self._send(200, b"definitely not a jpeg" * 10, "image/jpeg")
        elif route == "/big-pixels.png":
            self._send(200, _png_bomb(8000), "image/png")
        elif route == "/bomb.png":
            self._send(200, _png_bomb(100_000), "image/png")
        elif route == "/phone.jpg":
            self._send(200, _mpo(), "image/jpg")
        elif route == "/redirect.jpg":
            self._redirect("/ok.jpg")
        elif route == "/loop.jpg":
            self._redirect("/loop.jpg")
        elif route == "/down.jpg":
            self._send(503, b"try later", "text/plain")
        else:
            self._send(404, b"not found", "text/plain")

    def _send(self, status: int, body: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, to: str) -> None:
        self.send_response(302)
        self.send_header("Location", to)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients that hang up on purpose (timeouts, size caps)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    srv = _Server(("127.0.0.1", 0), _Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


LOCAL = ["127.0.0.1"]  # the test servers' host, named in the allow-list as the demo does


@pytest.fixture
def fetcher() -> Iterator[ImageFetcher]:
    with ImageFetcher(timeout_s=0.5, max_bytes=CAP, allowed_hosts=LOCAL) as f:
        yield f


@pytest.fixture(scope="module")
def scorer() -> Iterator[NsfwImageScorer]:
    with NsfwImageScorer(fetcher=ImageFetcher(timeout_s=1.0, max_bytes=CAP, allowed_hosts=LOCAL)) as s:
        yield s


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_ok_image_and_redirect(fetcher: ImageFetcher, server: str) -> None:
    for path in ("/ok.jpg", "/redirect.jpg"):
        r = fetcher.fetch(server + path)
        assert r.ok and r.data == JPEG and r.image is not None and r.image.mode == "RGB"
    assert fetcher.fetch(server + "/phone.jpg").ok  # "image/jpg" header, MPO body: both are JPEG


def test_too_many_redirects(fetcher: ImageFetcher, server: str) -> None:
    r = fetcher.fetch(server + "/loop.jpg")
    assert r.data is None and r.error is not None and "redirects" in r.error


@pytest.mark.parametrize("path", ["/slow.jpg", "/drip.jpg"])
def test_total_deadline(fetcher: ImageFetcher, server: str, path: str) -> None:
    t0 = time.perf_counter()
    r = fetcher.fetch(server + path)
    elapsed = time.perf_counter() - t0
    assert r.error == f"image {server}{path} not scored: timed out after 0.5 s"
    assert elapsed < 1.0


@pytest.mark.parametrize("path", ["/big.jpg", "/big-unsized.jpg", "/big-chunked.jpg"])
def test_oversize_refused(fetcher: ImageFetcher, server: str, path: str) -> None:
    r = fetcher.fetch(server + path)
    assert r.data is None and r.error is not None and f"larger than {CAP:,} bytes" in r.error


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("/page.html", "content type 'text/html' is not an allowed image type"),
        ("/fake.jpg", "not a decodable image"),
        ("/big-pixels.png", "8000 x 8000 pixels is over the 40,000,000-pixel cap"),
        ("/bomb.png", "refused as a decompression bomb"),
        ("/missing.jpg", "HTTP 404"),
    ],
)
def test_refused(fetcher: ImageFetcher, server: str, path: str, why: str) -> None:
    r = fetcher.fetch(server + path)
    assert r.data is None and r.error is not None and why in r.error, r.error


def test_image_type_must_be_allowed(server: str) -> None:
    with ImageFetcher(allowed_types=("image/png",), allowed_hosts=LOCAL) as f:
        assert "content type 'image/jpeg'" in (f.fetch(server + "/ok.jpg").error or "")
    with ImageFetcher(allowed_schemes=("https",), allowed_hosts=LOCAL) as f:
        assert "scheme 'http' is not fetched (only https)" in (f.fetch(server + "/ok.jpg").error or "")
    with pytest.raises(ValueError, match="allowed_schemes"):
        ImageFetcher(allowed_schemes=("http", "file"))


def test_unreachable_host(fetcher: ImageFetcher) -> None:
    r = fetcher.fetch(f"http://127.0.0.1:{_closed_port()}/a.jpg")
    assert r.data is None and r.error is not None and "could not fetch (ConnectError" in r.error


def test_circuit_breaker_opens_then_lets_one_probe_through(server: str) -> None:
    now = [0.0]
    url = f"http://127.0.0.1:{_closed_port()}/a.jpg"
    with ImageFetcher(
        breaker_failures=3, breaker_cooldown_s=30, clock=lambda: now[0], allowed_hosts=LOCAL
    ) as f:
        for _ in range(3):
            assert "ConnectError" in (f.fetch(url).error or "")
        t0 = time.perf_counter()
        skipped = f.fetch(url).error or ""
        assert "after 3 consecutive failures (circuit open)" in skipped
        assert time.perf_counter() - t0 < 0.05
        assert f.fetch(server + "/ok.jpg").ok  # other hosts are unaffected
        now[0] = 31.0  # cooldown over: one probe, which fails and reopens the circuit
        assert "ConnectError" in (f.fetch(url).error or "")
        assert "circuit open" in (f.fetch(url).error or "")


def test_breaker_counts_host_failures_not_missing_images(server: str) -> None:
    with ImageFetcher(timeout_s=0.5, breaker_failures=2, allowed_hosts=LOCAL) as f:
        for _ in range(3):
            assert "HTTP 404" in (f.fetch(server + "/missing.jpg").error or "")
        assert f.fetch(server + "/ok.jpg").ok
        for _ in range(2):
            assert "HTTP 503" in (f.fetch(server + "/down.jpg").error or "")
        assert "circuit open" in (f.fetch(server + "/ok.jpg").error or "")


def test_file_urls_are_refused(tmp_path: Path, fetcher: ImageFetcher) -> None:
    ok = tmp_path / "ok.jpg"
    ok.write_bytes(JPEG)
    for url in (ok.as_uri(), "file:///etc/passwd", "file://localhost/etc/hostname"):
        r = fetcher.fetch(url)
        assert r.refused and r.data is None, r
        why = "refused: scheme 'file' is not fetched (only http and https)"
        assert r.error == f"image {url} not scored: {why}"


def test_scorer_scores_good_images_and_explains_failures(scorer: NsfwImageScorer, server: str) -> None:
    good, bad = [server + "/ok.jpg"], [server + "/page.html", server + "/missing.jpg"]
    mixed = [server + "/missing.jpg", server + "/ok.jpg"]
    out = scorer.score_listings([good, bad, mixed, []])
    assert isinstance(out[0].score, float) and 0.0 <= out[0].score <= 1.0 and out[0].n_scored == 1
    assert out[0].errors == ()
    assert out[1].score is None and out[1].n_scored == 0 and len(out[1].errors) == 2
    assert all(e.startswith(f"image {server}/") and " not scored: " in e for e in out[1].errors)
    assert out[2].score == out[0].score and out[2].n_scored == 1 and "HTTP 404" in out[2].errors[0]
    assert out[3] == ImageScore(None, 0, ())


def test_scorer_takes_the_first_images_and_caches() -> None:
    kinds = {"L1": "skin"}
    with SyntheticImageHost(kinds) as host:
        urls = [f"{host.base_url}/L1/{k}.jpg" for k in range(3)]
        with NsfwImageScorer(max_images_per_listing=2, fetcher=ImageFetcher(allowed_hosts=LOCAL)) as s:
            (first,) = s.score_listings([urls])
            assert first.n_scored == 2 and host.requests == 2
            kinds.clear()  # gone from the host: a re-scored listing is answered from the cache
            assert s.score_listings([urls]) == [first]
            assert host.requests == 2


def test_skin_scores_higher_than_product(scorer: NsfwImageScorer) -> None:
    kinds = {f"S{i:03d}": "skin" for i in range(20)} | {f"P{i:03d}": "product" for i in range(20)}
    with SyntheticImageHost(kinds) as host:
        out = scorer.score_listings([[f"{host.base_url}/{lid}/1.jpg"] for lid in kinds])
    s = np.array([o.score for o in out], dtype=float)
    skin, product = s[:20], s[20:]
    assert not np.isnan(s).any()
    assert skin.mean() > product.mean() + 0.15
    assert np.median(skin) > 5 * np.median(product)
    assert (skin[:, None] > product[None, :]).mean() > 0.75  # AUC


def test_image_host_serves_and_404s() -> None:
    kinds = {"L1": "skin"}
    with SyntheticImageHost(kinds) as host:
        kinds["L2"] = "product"  # listings added after start are served too
        with httpx.Client(base_url=host.base_url) as c:
            r = c.get("/L2/1.jpg")
            assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
            assert r.content == render_image("L2", 1, kind="product")
            assert Image.open(io.BytesIO(r.content)).size == (240, 240)
            assert c.get("/unknown/1.jpg").status_code == 404
            assert c.get("/L1/x.png").status_code == 404
        base = host.base_url
    with pytest.raises(httpx.ConnectError):
        httpx.get(base + "/L1/1.jpg", timeout=1)


def test_render_image_is_deterministic_and_kinds_are_noisy() -> None:
    assert render_image("L9", 2, kind="skin") == render_image("L9", 2, kind="skin")
    assert render_image("L9", 2, kind="skin") != render_image("L9", 3, kind="skin")
    with pytest.raises(ValueError):
        render_image("L9", 1, kind="nude")
    adult = [image_kind({"adult": 1}, f"L{i}") for i in range(2000)]
    clean = [image_kind({"adult": 0, "cash": 1}, f"L{i}") for i in range(2000)]
    assert 0.65 < adult.count("skin") / 2000 < 0.75
    assert 0.015 < clean.count("skin") / 2000 < 0.045
    assert image_kind({"adult": 1}, "L7") == image_kind({"adult": 1}, "L7")
