"""Images as a signal: the port the cascade uses to score a listing's images (adapters implement it),
and the syntax of the image allow-list (``Settings.image_allowed_hosts``)."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit


@dataclass(frozen=True)
class ImageScore:
    score: float | None
    """Highest open_nsfw probability over the scored images; None if none could be scored."""
    n_scored: int
    errors: tuple[str, ...]
    """Human-readable, e.g. "image https://… not scored: timed out after 2.0 s"."""


class ImageScorer(Protocol):
    def score_listings(self, image_urls: Sequence[Sequence[str]]) -> list[ImageScore]:
        """One ImageScore per listing, in order; never raises for a bad image or URL."""
        ...


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
