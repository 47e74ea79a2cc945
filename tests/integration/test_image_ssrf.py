"""Seller image URLs cannot make the service reach inside its network (SSRF): real HTTP servers on
loopback play the internal targets and must receive no request at all, whatever the URL, the
redirects or the DNS answers say; only hosts named in the allow-list get through."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from lovemachine.adapters.images import NsfwImageScorer
from lovemachine.adapters.images_addresses import address_problem
from lovemachine.adapters.images_fetch import ImageFetcher
from lovemachine.config import Settings
from synth.images import render_image

JPEG = render_image("L-ssrf", 1, kind="product")


class Target:
    """A real HTTP server that serves a JPEG on any path, or redirects ``/go?to=URL``; counts requests."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, close: bool = False) -> None:
        self.paths: list[str] = []
        target = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                target.paths.append(self.path)
                if self.path.startswith("/go?to="):
                    self.send_response(302)
                    self.send_header("Location", self.path.removeprefix("/go?to="))
                    self.send_header("Content-Length", "0")
                else:
                    self.send_response(200)
                    self.send_header("Content-Type", "image/jpeg")
                    self.send_header("Content-Length", str(len(JPEG)))
                if close:
                    self.send_header("Connection", "close")
                    self.close_connection = True
                self.end_headers()
                if not self.path.startswith("/go?"):
                    self.wfile.write(JPEG)

            def log_message(self, format: str, *args: object) -> None:
                pass

        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        server_cls = type(
            "Server", (ThreadingHTTPServer,), {"address_family": family, "daemon_threads": True}
        )
        self.server = server_cls((host, port), Handler)
        self.port = int(self.server.server_address[1])
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def hits(self) -> int:
        return len(self.paths)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def internal() -> Iterator[Target]:
    """The internal service an attacker wants to reach (an admin API, the metadata server...)."""
    t = Target()
    yield t
    t.stop()


@pytest.fixture
def internal6() -> Iterator[Target]:
    t = Target("::1")
    yield t
    t.stop()


@pytest.fixture
def fetcher() -> Iterator[ImageFetcher]:
    """The fetcher as production builds it: nothing in the allow-list."""
    with ImageFetcher(timeout_s=2.0) as f:
        yield f


def refused(fetcher: ImageFetcher, url: str, why: str) -> None:
    r = fetcher.fetch(url)
    assert r.refused and r.data is None and r.image is None, r
    assert r.error is not None and "not scored: refused: " in r.error and why in r.error, r.error


def test_file_and_other_schemes_are_refused(fetcher: ImageFetcher, tmp_path: Path) -> None:
    secret = tmp_path / "secret.jpg"
    secret.write_bytes(JPEG)  # a readable, valid image: refused for its scheme alone
    refused(fetcher, secret.as_uri(), "scheme 'file' is not fetched (only http and https)")
    for url in ("ftp://example.com/a.jpg", "gopher://example.com:70/_x", "data:image/jpeg;base64,AAAA"):
        scheme = url.split(":")[0]
        refused(fetcher, url, f"scheme {scheme!r} is not fetched (only http and https)")


@pytest.mark.parametrize(
    ("host", "why"),
    [
        ("127.0.0.1", "127.0.0.1 is a loopback address"),
        ("localhost", "localhost is the local machine"),
        ("images.localhost", "images.localhost is the local machine"),
        ("127.1", "127.1 resolves to 127.0.0.1, a loopback address"),  # the forms inet_aton accepts
        ("2130706433", "2130706433 resolves to 127.0.0.1, a loopback address"),
        ("0.0.0.0", "0.0.0.0 is the unspecified address"),
        ("[::ffff:127.0.0.1]", "wrapping 127.0.0.1, a loopback address"),
        ("[::ffff:7f00:1]", "wrapping 127.0.0.1, a loopback address"),
        ("[2002:7f00:1::1]", "wrapping 127.0.0.1, a loopback address"),  # 6to4
        ("[64:ff9b::7f00:1]", "wrapping 127.0.0.1, a loopback address"),  # NAT64
    ],
)
def test_loopback_in_every_spelling_is_refused(
    fetcher: ImageFetcher, internal: Target, host: str, why: str
) -> None:
    refused(fetcher, f"http://{host}:{internal.port}/a.jpg", why)
    assert internal.hits == 0


def test_ipv6_loopback_is_refused(fetcher: ImageFetcher, internal6: Target) -> None:
    refused(fetcher, f"http://[::1]:{internal6.port}/a.jpg", "::1 is a loopback address")
    assert internal6.hits == 0


@pytest.mark.parametrize(
    ("host", "why"),
    [
        ("169.254.169.254", "169.254.169.254 is the cloud metadata address"),
        ("metadata.google.internal", "metadata.google.internal is the cloud metadata service"),
        ("169.254.1.1", "169.254.1.1 is a link-local address"),
        ("10.0.0.5", "10.0.0.5 is a private address"),
        ("172.16.3.4", "172.16.3.4 is a private address"),
        ("192.168.1.1", "192.168.1.1 is a private address"),
        ("100.64.0.1", "100.64.0.1 is a shared (carrier-grade NAT) address"),
        ("224.0.0.1", "224.0.0.1 is a multicast address"),
        ("239.1.2.3", "239.1.2.3 is a multicast address"),
        ("240.0.0.1", "240.0.0.1 is a private address"),
        ("[fe80::1]", "fe80::1 is a link-local address"),
        ("[fd12:3456::1]", "fd12:3456::1 is a private address"),
        ("[::ffff:10.0.0.5]", "wrapping 10.0.0.5, a private address"),
        ("[fd00:ec2::254]", "fd00:ec2::254 is the cloud metadata address"),
    ],
)
def test_internal_addresses_are_refused_before_connecting(fetcher: ImageFetcher, host: str, why: str) -> None:
    refused(fetcher, f"http://{host}/latest/meta-data/", why)


def resolver(answers: dict[str, list[list[str]]], calls: list[str]) -> Callable[[str, int], list[str]]:
    """A DNS that answers ``answers[name]`` in turn (the last answer repeats); records each lookup."""

    def resolve(host: str, port: int) -> list[str]:
        calls.append(host)
        seq = answers[host]
        return seq.pop(0) if len(seq) > 1 else seq[0]

    return resolve


def test_a_name_with_any_internal_address_is_refused(internal: Target) -> None:
    calls: list[str] = []
    dns = resolver(
        {
            "cdn.example.com": [["93.184.215.14", "127.0.0.1"]],  # one public, one internal: refused
            "meta.example.com": [["169.254.169.254"]],
            "v6.example.com": [["2606:4700::1111", "::1"]],
        },
        calls,
    )
    with ImageFetcher(resolver=dns) as f:
        refused(f, f"http://cdn.example.com:{internal.port}/a.jpg", "cdn.example.com resolves to 127.0.0.1")
        refused(f, "http://meta.example.com/x", "resolves to 169.254.169.254, the cloud metadata address")
        refused(f, f"http://v6.example.com:{internal.port}/a", "resolves to ::1, a loopback address")
    assert internal.hits == 0 and calls == ["cdn.example.com", "meta.example.com", "v6.example.com"]


def test_redirects_to_internal_targets_are_refused(internal: Target, internal6: Target) -> None:
    public = Target()  # "the marketplace CDN": allowed by name, as the demo's image host is
    try:
        allowed = f"127.0.0.1:{public.port}"
        with ImageFetcher(allowed_hosts=[allowed], max_redirects=3) as f:
            base = f"http://{allowed}/go?to="
            assert f.fetch(f"http://{allowed}/a.jpg").ok  # the allowed host itself works
            assert f.fetch(base + f"http://{allowed}/b.jpg").ok  # and may redirect to itself
            for target, why in [
                (f"http://127.0.0.1:{internal.port}/admin", "127.0.0.1 is a loopback address"),
                (f"http://localhost:{internal.port}/admin", "localhost is the local machine"),
                (f"http://[::1]:{internal6.port}/admin", "::1 is a loopback address"),
                ("http://169.254.169.254/latest/meta-data/", "the cloud metadata address"),
                ("file:///etc/passwd", "scheme 'file' is not fetched"),
                (base + f"http://10.0.0.5:{internal.port}/", "10.0.0.5 is a private address"),  # 2 hops
            ]:
                refused(f, base + target, why)
        assert internal.hits == 0 and internal6.hits == 0
        assert public.hits == 10  # 2 fine fetches (3 requests) + 6 refused redirects (7 requests)
    finally:
        public.stop()


def test_dns_rebinding_cannot_swap_the_address_after_the_check() -> None:
    """The name first resolves to the "public" server (allowed by address, as a CDN's would be), then
    to the internal one on the same port. The connection goes to the address that was checked, with
    one lookup per connection, so the internal server never sees a request."""
    public = Target("127.0.0.1", close=True)  # a new connection (and lookup) per fetch
    internal = Target("127.0.0.2", public.port)
    calls: list[str] = []
    dns = resolver({"rebind.example.com": [["127.0.0.1"], ["127.0.0.2"]]}, calls)
    try:
        with ImageFetcher(allowed_hosts=[f"127.0.0.1:{public.port}"], resolver=dns) as f:
            url = f"http://rebind.example.com:{public.port}/a.jpg"
            first = f.fetch(url)
            assert first.ok and first.data == JPEG, first.error
            assert (public.hits, internal.hits, len(calls)) == (1, 0, 1)
            # the next connection looks the name up again: now internal, and refused
            refused(f, url, "rebind.example.com resolves to 127.0.0.2, a loopback address")
            assert (public.hits, internal.hits, len(calls)) == (1, 0, 2)
    finally:
        public.stop()
        internal.stop()


def test_the_allow_list_names_hosts_and_ports(internal: Target) -> None:
    other = Target()
    calls: list[str] = []
    dns = resolver({"images.test": [["127.0.0.1"]]}, calls)
    try:
        with ImageFetcher(allowed_hosts=[f"127.0.0.1:{internal.port}", "images.test"], resolver=dns) as f:
            assert f.fetch(f"http://127.0.0.1:{internal.port}/a.jpg").ok
            refused(f, f"http://127.0.0.1:{other.port}/a.jpg", "127.0.0.1 is a loopback address")  # port
            assert f.fetch(f"http://images.test:{other.port}/a.jpg").ok  # a named host: any port
        assert (internal.hits, other.hits) == (1, 1)
    finally:
        other.stop()


def test_settings_read_the_allow_list_and_refuse_bad_entries(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().image_allowed_hosts == []
    monkeypatch.setenv("LOVEMACHINE_IMAGE_ALLOWED_HOSTS", "127.0.0.1:8123, images.test,[::1]:9000")
    assert Settings().image_allowed_hosts == ["127.0.0.1:8123", "images.test", "[::1]:9000"]
    monkeypatch.setenv("LOVEMACHINE_IMAGE_ALLOWED_HOSTS", "http://images.test/")
    with pytest.raises(ValueError, match=r"'http://images\.test/' is not a host or host:port"):
        Settings()


def test_workers_build_the_safe_fetcher(internal: Target, tmp_path: Path) -> None:
    """``workers/bootstrap`` once built a fetcher that read file:// URLs and any host."""
    from workers.bootstrap import make_image_scorer

    secret = tmp_path / "s.jpg"
    secret.write_bytes(JPEG)
    scorer = make_image_scorer(Settings())
    assert isinstance(scorer, NsfwImageScorer)
    fetcher = scorer.fetcher
    try:
        assert fetcher.fetch(secret.as_uri()).refused
        assert fetcher.fetch(f"http://127.0.0.1:{internal.port}/a.jpg").refused
        assert internal.hits == 0
    finally:
        fetcher.close()
    allowed = make_image_scorer(Settings(image_allowed_hosts=[f"127.0.0.1:{internal.port}"]))
    assert isinstance(allowed, NsfwImageScorer)
    try:
        assert allowed.fetcher.fetch(f"http://127.0.0.1:{internal.port}/a.jpg").ok
    finally:
        allowed.fetcher.close()


def test_public_addresses_pass() -> None:
    import ipaddress

    for a in ("93.184.215.14", "8.8.8.8", "2606:4700::1111", "2a00:1450:4001:80b::200e"):
        assert address_problem(ipaddress.ip_address(a)) is None
