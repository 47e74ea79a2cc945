"""Where an image fetch may connect: the SSRF address policy and the pinned connection under httpx.

Sellers must not make the service reach inside its own network: the host is resolved and *every*
address it resolves to must be globally routable (no loopback, private, link-local/metadata, CGNAT,
multicast, reserved addresses, nor IPv4 ones hidden in IPv6), and the connection goes to the address
that was vetted: :class:`PinnedTransport`'s network backend does the lookup, the check and the
connect in one step, so DNS rebinding between check and connect has no second lookup to win. Named
test hosts (``allowed_hosts``) skip the address check. Used by ``ImageFetcher``
(``lovemachine.adapters.images_fetch``); see ``lovemachine.adapters.images`` for the whole adapter.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, TimeoutError as FutureTimeout
from typing import Any

import httpcore
import httpx

from lovemachine.images import canonical_host, parse_host_entry

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


class Refused(Exception):
    """A fetch refused for a reason that says nothing about the host's health (404, wrong type...)."""


class Blocked(Refused):
    """A URL the fetcher must not touch (scheme, internal address): nothing was fetched from it."""


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
            raise Blocked("refused: the URL has no host")
        if self._allowed(name, port):
            return
        if name == "localhost" or name.endswith(".localhost"):
            raise Blocked(f"refused: {name} is the local machine")
        if name in _METADATA_NAMES:
            raise Blocked(f"refused: {name} is the cloud metadata service")
        ip = _ip(name)
        if ip is not None and not self._allowed(ip.compressed, port):
            why = address_problem(ip)
            if why is not None:
                raise Blocked(f"refused: {ip.compressed} is {why}")

    def addresses(self, host: str, port: int, timeout: float | None) -> list[str]:
        """The vetted addresses to connect to, in the resolver's order; raises Blocked when any
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
                raise Blocked(f"refused: {name} resolves to {text!r}, not an IP address")
            addr = ip.compressed
            if not (self._allowed(name, port) or self._allowed(addr, port)):
                why = address_problem(ip)
                if why is not None:
                    raise Blocked(f"refused: {name} resolves to {addr}, {why}")
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
        raise Blocked("refused: unix sockets are never fetched")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class PinnedTransport(httpx.HTTPTransport):
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
