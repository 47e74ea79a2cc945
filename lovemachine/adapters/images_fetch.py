"""Bounded image fetches: one deadline, a byte cap, a type allow-list, a pixel cap, a per-host breaker.

Every fetch is bounded: one total deadline per image (DNS, connect, redirects and body together), a
byte cap enforced while streaming (a Content-Length is only used to refuse early), a content-type
allow-list checked on the header *and* on what Pillow decodes, and a pixel cap against decompression
bombs. A per-host circuit breaker stops an unreachable CDN from costing ``timeout_s`` for every
listing. Connections go through the SSRF policy of ``lovemachine.adapters.images_addresses``;
redirects are followed here, each hop vetted anew. ``fetch`` never raises: a failure becomes a
human-readable ``FetchResult.error``. See ``lovemachine.adapters.images`` for the whole adapter.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

import httpx
from PIL import Image

from lovemachine.adapters.images_addresses import AddressPolicy, Blocked, PinnedTransport, Refused, Resolver

DEFAULT_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif")
FETCHABLE_SCHEMES = ("http", "https")
_MODEL_SIDE = 256  # open_nsfw resizes to 256 x 256, then centre-crops 224
_RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})
_REDIRECT_STATUS = frozenset({301, 302, 303, 307, 308})
# seen in the wild for JPEGs: non-standard header values, and Pillow's name for phone-camera JPEGs
_ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "MPO": "image/jpeg"}


class _HostDown(Exception):
    """A fetch that failed in a way that counts against the host's circuit breaker."""


@dataclass(frozen=True)
class FetchResult:
    """One fetched image: ``data`` (the raw bytes) or ``error`` (why not), never both."""

    url: str
    data: bytes | None
    error: str | None
    image: Image.Image | None = field(default=None, repr=False, compare=False)
    """The decoded RGB image (JPEGs decoded at no less than 256 px a side), ready for the model."""
    refused: bool = False
    """True when the URL itself was refused (scheme, internal address): nothing was fetched."""

    @property
    def ok(self) -> bool:
        return self.error is None


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

    Only ``http`` and ``https`` (``allowed_schemes`` may narrow that to ``https``); every connection
    goes through :class:`AddressPolicy` (``allowed_hosts`` names test hosts that skip the address
    check; ``resolver`` replaces the system's DNS lookup). At most ``max_redirects`` redirects are
    followed, each hop vetted anew. A host is skipped for ``breaker_cooldown_s`` after
    ``breaker_failures`` consecutive connection failures, timeouts or 5xx/429 answers (404s,
    non-images and refused addresses say nothing about the host and do not count).
    """

    def __init__(
        self,
        *,
        timeout_s: float = 2.0,
        max_bytes: int = 5_000_000,
        allowed_types: Sequence[str] = DEFAULT_TYPES,
        max_redirects: int = 2,
        allowed_schemes: Sequence[str] = FETCHABLE_SCHEMES,
        allowed_hosts: Iterable[str] = (),
        resolver: Resolver | None = None,
        max_pixels: int = 40_000_000,
        breaker_failures: int = 5,
        breaker_cooldown_s: float = 30.0,
        max_connections: int = 32,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if timeout_s <= 0 or max_bytes <= 0 or max_pixels <= 0 or breaker_failures < 1 or max_redirects < 0:
            raise ValueError(
                "timeout_s, max_bytes, max_pixels and breaker_failures must be positive, max_redirects >= 0"
            )
        schemes = frozenset(s.lower() for s in allowed_schemes)
        if not schemes or not schemes <= set(FETCHABLE_SCHEMES):
            raise ValueError(f"allowed_schemes must be among {FETCHABLE_SCHEMES}, not {sorted(schemes)}")
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self.allowed_types = frozenset(t.lower() for t in allowed_types)
        self.max_redirects = max_redirects
        self.allowed_schemes = schemes
        self.max_pixels = max_pixels
        self.policy = AddressPolicy(allowed_hosts, resolver=resolver)
        self._breaker = _Breaker(breaker_failures, breaker_cooldown_s, clock)
        limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
        self._client = httpx.Client(
            transport=PinnedTransport(self.policy, limits),
            follow_redirects=False,  # followed in _get, each hop checked
            trust_env=False,
            timeout=timeout_s,
            headers={
                "User-Agent": "lovemachine-image-check/1",
                "Accept": ", ".join(sorted(self.allowed_types)),
            },
        )

    def close(self) -> None:
        self._client.close()
        self.policy.close()

    def __enter__(self) -> ImageFetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def fetch(self, url: str) -> FetchResult:
        """The image at ``url``, or a FetchResult whose ``error`` says why not; never raises."""
        try:
            target = self._vet_url(url)
            host = target.host
            data = self._get_via_breaker(target, f"{host}:{target.port}" if target.port else host)
            image = self._decode(data)
        except Blocked as exc:
            return FetchResult(url, None, f"image {short_url(url)} not scored: {exc}", refused=True)
        except (Refused, _HostDown) as exc:
            return FetchResult(url, None, f"image {short_url(url)} not scored: {exc}")
        except Exception as exc:  # a bug or an exotic failure must not fail the listing
            return FetchResult(url, None, f"image {short_url(url)} not scored: {type(exc).__name__}: {exc}")
        return FetchResult(url, data, None, image)

    def _vet_url(self, url: str | httpx.URL) -> httpx.URL:
        """The parsed URL if its scheme and host may be fetched; the address check follows on connect."""
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, TypeError) as exc:
            raise Blocked(f"refused: not a valid URL ({exc})") from None
        scheme = parsed.scheme.lower()
        if scheme not in self.allowed_schemes:
            allowed = " and ".join(sorted(self.allowed_schemes))
            raise Blocked(f"refused: scheme {scheme or '(none)'!r} is not fetched (only {allowed})")
        port = parsed.port or (443 if scheme == "https" else 80)
        self.policy.check_name(parsed.host, port)
        return parsed

    def _get_via_breaker(self, url: httpx.URL, host: str) -> bytes:
        why = self._breaker.check(host, self.timeout_s)
        if why is not None:
            raise Refused(why)
        try:
            data = self._get(url)
        except _HostDown:
            self._breaker.record(host, ok=False)
            raise
        self._breaker.record(host, ok=True)
        return data

    def _get(self, url: httpx.URL) -> bytes:
        deadline = _Deadline(self.timeout_s)
        timed_out = _HostDown(f"timed out after {self.timeout_s:g} s")
        try:
            for _hop in range(self.max_redirects + 1):
                if deadline.left() <= 0:
                    raise timed_out
                request = self._client.build_request("GET", url, extensions={"timeout": deadline})
                response = self._client.send(request, stream=True)
                try:
                    location = response.headers.get("location")
                    if response.status_code in _REDIRECT_STATUS and location:
                        url = self._vet_url(_join(url, location))
                        continue
                    return self._body(response, deadline, timed_out)
                finally:
                    response.close()
            raise Refused(f"more than {self.max_redirects} redirects")
        except httpx.TimeoutException:
            raise timed_out from None
        except httpx.UnsupportedProtocol as exc:
            raise Blocked(f"refused: unsupported URL ({exc})") from None
        except httpx.TransportError as exc:
            raise _HostDown(f"could not fetch ({type(exc).__name__}: {exc})") from None

    def _body(self, response: httpx.Response, deadline: _Deadline, timed_out: _HostDown) -> bytes:
        status = response.status_code
        if status in _RETRYABLE_STATUS or status >= 500:
            raise _HostDown(f"HTTP {status}")
        if status != 200:
            raise Refused(f"HTTP {status}")
        ctype = response.headers.get("content-type", "").split(";")[0].strip().lower()
        ctype = _ALIASES.get(ctype, ctype)
        if ctype not in self.allowed_types:
            raise Refused(f"content type {ctype or '(none)'!r} is not an allowed image type")
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_bytes:
            raise Refused(f"larger than {self.max_bytes:,} bytes (Content-Length {int(length):,})")
        return _capped(response.iter_bytes(), self.max_bytes, deadline, timed_out)

    def _decode(self, data: bytes) -> Image.Image:
        try:
            img = Image.open(BytesIO(data))
            mime = _ALIASES.get(img.format or "", (img.get_format_mimetype() or "").lower())
            if mime not in self.allowed_types:
                raise Refused(f"decodes as {img.format or 'unknown'}, not an allowed image type")
            w, h = img.size
            if w * h > self.max_pixels:
                raise Refused(f"{w} x {h} pixels is over the {self.max_pixels:,}-pixel cap")
            img.draft("RGB", (_MODEL_SIDE, _MODEL_SIDE))  # JPEG: decode at 1/2, 1/4 or 1/8 scale
            img.load()
            return img if img.mode == "RGB" else img.convert("RGB")
        except Refused:
            raise
        except Image.DecompressionBombError as exc:
            raise Refused(f"refused as a decompression bomb ({exc})") from None
        except (OSError, ValueError, SyntaxError) as exc:
            raise Refused(f"not a decodable image ({exc})") from None


def _join(base: httpx.URL, location: str) -> httpx.URL:
    try:
        return base.join(location)
    except httpx.InvalidURL:
        raise Refused(f"redirect to an invalid URL {short_url(location, 80)!r}") from None


def _capped(chunks: Iterator[bytes], max_bytes: int, deadline: _Deadline, timed_out: Exception) -> bytes:
    buf = bytearray()
    for chunk in chunks:
        buf += chunk
        if len(buf) > max_bytes:
            raise Refused(f"larger than {max_bytes:,} bytes")
        if deadline.left() <= 0:
            raise timed_out
    return bytes(buf)


def short_url(url: str, n: int = 160) -> str:
    """``url`` cut to ``n`` characters (with an ellipsis), for error messages."""
    return url if len(url) <= n else url[: n - 1] + "…"
