"""Listing images for the review page, served by the tool itself.

A reviewer's browser never loads a seller's URL (the seller would learn when, and from where, the
listing was reviewed): ``GET /items/{id}/images/{k}`` fetches the listing's k-th image through the
workers' SSRF-safe fetcher (http(s) only, public addresses only, bounded time and bytes), decodes it
and re-encodes it as a plain JPEG (no metadata, at most ``MAX_SIDE`` pixels a side), blurred on the
server for adult-band items unless the reviewer asked to see it (``?blur=0``, sent when they click
reveal). Results are kept in a byte-bounded LRU (``image_proxy_cache_mb``); failures are remembered
for ``FAILURE_TTL_S`` so a dead host is not asked again for every page view.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from io import BytesIO
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from PIL import Image, ImageFilter, ImageOps

from cstool_api.deps import Agent, StateDep
from cstool_api.errors import ApiError
from cstool_api.responses import errors
from cstool_api.routes.params import Id
from lovemachine.adapters.images import fetcher_from
from lovemachine.adapters.images_fetch import ImageFetcher
from lovemachine.config import Settings
from lovemachine.review import NotFoundError

router = APIRouter(tags=["review"])

ADULT_BLUR_SCORE = 0.5  # as the page's ADULT_BLUR_SCORE (web/item.js)
MAX_SIDE = 1024  # a clean image, for reviewing details
BLURRED_SIDE = 480  # a blurred one shows colours and shapes only
FAILURE_TTL_S = 30.0
MAX_FAILURES = 1024
MAX_IMAGES = 50  # Listing.image_urls holds at most 50


class ImageUnavailable(Exception):
    def __init__(self, message: str, *, refused: bool) -> None:
        super().__init__(message)
        self.refused = refused


@dataclass(frozen=True)
class _Failure:
    until: float
    message: str
    refused: bool


class ReviewImages:
    """Fetch, re-encode, blur and cache listing images for reviewers; thread-safe."""

    def __init__(self, fetcher: ImageFetcher, *, cache_bytes: int) -> None:
        self.fetcher = fetcher
        self.cache_bytes = cache_bytes
        self._cache: OrderedDict[tuple[str, bool], bytes] = OrderedDict()
        self._cached = 0
        self._failures: OrderedDict[str, _Failure] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> ReviewImages:
        return cls(fetcher_from(settings), cache_bytes=settings.image_proxy_cache_mb * 1_000_000)

    def close(self) -> None:
        self.fetcher.close()

    def get(self, url: str, *, blur: bool) -> bytes:
        """The JPEG for ``url``; raises ImageUnavailable with the fetcher's reason."""
        key = (url, blur)
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
            failed = self._failures.get(url)
            if failed is not None and failed.until > time.monotonic():
                raise ImageUnavailable(failed.message, refused=failed.refused)
        result = self.fetcher.fetch(url)
        if result.data is None:
            message = (result.error or "no image").replace(f"image {url} not scored: ", "")
            self._remember_failure(url, message, result.refused)
            raise ImageUnavailable(message, refused=result.refused)
        try:  # both variants at once: a reviewer who reveals an image needs no second fetch
            out = {b: render(result.data, blur=b) for b in (blur, not blur)}
        except (OSError, ValueError, Image.DecompressionBombError) as exc:
            message = f"cannot re-encode the image ({exc})"
            self._remember_failure(url, message, False)
            raise ImageUnavailable(message, refused=False) from None
        for b, data in out.items():
            self._store((url, b), data)
        return out[blur]

    def _store(self, key: tuple[str, bool], data: bytes) -> None:
        if len(data) > self.cache_bytes:
            return
        with self._lock:
            old = self._cache.pop(key, None)
            self._cached -= len(old) if old is not None else 0
            self._cache[key] = data
            self._cached += len(data)
            while self._cached > self.cache_bytes:
                _, dropped = self._cache.popitem(last=False)
                self._cached -= len(dropped)

    def _remember_failure(self, url: str, message: str, refused: bool) -> None:
        with self._lock:
            self._failures[url] = _Failure(time.monotonic() + FAILURE_TTL_S, message, refused)
            self._failures.move_to_end(url)
            while len(self._failures) > MAX_FAILURES:
                self._failures.popitem(last=False)


def render(data: bytes, *, blur: bool) -> bytes:
    """``data`` (an image the fetcher accepted) as a JPEG with no metadata, at most ``MAX_SIDE``
    pixels a side; ``blur``: pixelated and blurred down to colours and shapes, ``BLURRED_SIDE``."""
    opened = Image.open(BytesIO(data))
    side = BLURRED_SIDE if blur else MAX_SIDE
    opened.draft("RGB", (side, side))  # JPEG: decode at a reduced scale
    img: Image.Image = ImageOps.exif_transpose(opened)  # phone photos: upright, as the seller saw them
    if img.mode in ("RGBA", "LA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        img = Image.new("RGB", rgba.size, "white")
        img.paste(rgba, mask=rgba.getchannel("A"))
    else:
        img = img.convert("RGB")
    img.thumbnail((side, side))
    if blur:
        w, h = img.size
        tiny = img.resize((max(1, w * 12 // max(w, h)), max(1, h * 12 // max(w, h))), Image.Resampling.BOX)
        img = tiny.resize((w, h), Image.Resampling.BILINEAR).filter(ImageFilter.GaussianBlur(max(w, h) / 30))
    buf = BytesIO()
    img.save(buf, format="JPEG", quality=85)
    return buf.getvalue()


_create_lock = threading.Lock()


def review_images(request: Request, state: StateDep) -> ReviewImages:
    """The app's ReviewImages, built on first use from its settings (closed by the app's lifespan)."""
    app_state = request.app.state
    images: ReviewImages | None = getattr(app_state, "review_images", None)
    if images is None:
        with _create_lock:
            images = getattr(app_state, "review_images", None)
            if images is None:
                images = ReviewImages.from_settings(state.settings)
                app_state.review_images = images
    return images


def close_review_images(app_state: object) -> None:
    images: ReviewImages | None = getattr(app_state, "review_images", None)
    if images is not None:
        images.close()


Images = Annotated[ReviewImages, Depends(review_images)]

_IMAGE_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {
        "description": "the image as a JPEG, re-encoded by the tool (blurred when asked or by default)",
        "content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}},
    },
    **errors(
        404,
        502,
        e404="No such item, or the listing has no image k (code not_found)",
        e502="The image could not be used: its URL is refused (image_refused: not http(s), or an "
        "internal address) or the fetch failed (image_unavailable: timeout, HTTP error, not an image)",
    ),
}


@router.get(
    "/items/{item_id}/images/{k}",
    summary="The listing's k-th image (from 0), fetched and re-encoded by the tool; blurred for adult items",
    response_class=Response,
    responses=_IMAGE_RESPONSES,
)
def item_image(
    item_id: Id,
    k: Annotated[int, Path(ge=0, lt=MAX_IMAGES, description="which image of the listing, from 0")],
    principal: Agent,
    state: StateDep,
    images: Images,
    blur: Annotated[
        bool | None,
        Query(description="blur it (default: blurred when the item is in the adult band)"),
    ] = None,
) -> Response:
    store = state.store
    item = store.get_review_item(item_id)
    if item is None:
        raise NotFoundError(f"no review item #{item_id}")
    stored = store.get_listing(item.listing_id)
    urls = stored.listing.image_urls if stored is not None else []
    if k >= len(urls):
        raise ApiError(404, "not_found", f"listing {item.listing_id} has {len(urls)} image(s); no image {k}")
    if blur is None:
        decision = store.get_decision(item.decision_id) if item.decision_id is not None else None
        adult = float(decision.scores.get("adult", 0.0)) if decision is not None else 0.0
        blur = item.queue == "adult" or adult >= ADULT_BLUR_SCORE
    try:
        body = images.get(urls[k], blur=blur)
    except ImageUnavailable as exc:
        code = "image_refused" if exc.refused else "image_unavailable"
        raise ApiError(502, code, f"image {k} of listing {item.listing_id}: {exc}") from None
    return Response(body, media_type="image/jpeg", headers={"X-Image-Blurred": "1" if blur else "0"})
