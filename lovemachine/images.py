"""Images as a signal: the port the cascade uses to score a listing's images (adapters implement it),
and the syntax of the image allow-list (``Settings.image_allowed_hosts``)."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from lovemachine.ports.images import (  # re-exported: callers import them from here too
    ImageScore as ImageScore,
    ImageScorer as ImageScorer,
)


def parse_host_entry(entry: str) -> tuple[str, int | None]:
    """``"host"``, ``"host:port"``, ``"10.0.0.5:8080"``, ``"[::1]:8080"`` or ``"::1"`` -> (host, port).

    Raises ValueError with a readable message for anything else."""
    text = entry.strip()
    try:
        if text.count(":") > 1 and not text.startswith("["):  # a bare IPv6 address
            return ipaddress.IPv6Address(text).compressed, None
        parts = urlsplit("//" + text)
        host, port = parts.hostname, parts.port
        if not host or parts.path or parts.query or parts.fragment or parts.username is not None:
            raise ValueError
    except ValueError:
        raise ValueError(f"{entry!r} is not a host or host:port") from None
    return canonical_host(host), port


def canonical_host(host: str) -> str:
    """Lower case, no brackets or trailing dot; IP addresses in their compressed form."""
    host = host.strip("[]").lower().rstrip(".")
    try:
        return ipaddress.ip_address(host.split("%")[0]).compressed
    except ValueError:
        return host
