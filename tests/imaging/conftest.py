"""Helpers for the imaging tests: synthetic images and crafted files.

The imaging package needs no database and no project settings; when these
tests run on their own (``-p no:django``) Django gets a minimal configuration
so lazy translated messages can be rendered.
"""

from __future__ import annotations

import io
import os
import random
import struct
import zlib

import pytest
from django.conf import settings
from PIL import Image, ImageDraw, ImageFilter

if not settings.configured and not os.environ.get("DJANGO_SETTINGS_MODULE"):
    settings.configure(USE_I18N=False)


def make_photo(width: int, height: int, seed: int = 0, *, blur: bool = True) -> Image.Image:
    """Deterministic photo-like RGB content: sky gradient, blobs, grain."""
    rng = random.Random(seed)
    sky = Image.linear_gradient("L").resize((width, height))
    image = Image.merge(
        "RGB",
        (
            sky.point(lambda v: 40 + v // 3),
            sky.point(lambda v: 90 + v // 3),
            sky.point(lambda v: 200 - v // 4),
        ),
    )
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x, y = rng.randrange(width), rng.randrange(height)
        r = rng.randrange(max(2, width // 40), max(3, width // 6))
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        draw.ellipse((x - r, y - r // 2, x + r, y + r // 2), fill=colour)
    if blur:
        image = image.filter(ImageFilter.GaussianBlur(max(1, width // 400)))
    grain = Image.frombytes("L", (width, height), rng.randbytes(width * height))
    return Image.blend(image, Image.merge("RGB", (grain, grain, grain)), 0.06)


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return (
        struct.pack(">I", len(payload))
        + kind
        + payload
        + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)
    )


def crafted_png(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares ``width`` x ``height`` (valid CRCs)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + png_chunk(b"IEND", b"")
    )


@pytest.fixture
def photo() -> Image.Image:
    return make_photo(640, 360)


def make_hard_background(kind: str, width: int, height: int) -> Image.Image:
    """Backgrounds that defeat a fixed text colour (for the legibility tests).

    ``stripes``: white with light pastel stripes; ``busy``: an unblurred photo-like
    texture with light diagonal stripes over it; ``split``: light left half, dark right
    half, the seam under the text; ``white`` and ``black``: flat.
    """
    if kind == "white":
        return Image.new("RGB", (width, height), (255, 255, 255))
    if kind == "black":
        return Image.new("RGB", (width, height), (0, 0, 0))
    if kind == "split":
        image = Image.new("RGB", (width, height), (245, 240, 230))
        ImageDraw.Draw(image).rectangle((width // 2, 0, width, height), fill=(12, 14, 20))
        return image
    if kind == "stripes":
        image = Image.new("RGB", (width, height), (255, 255, 255))
        base = make_photo(width, height, seed=3)
    elif kind == "busy":
        image = make_photo(width, height, seed=11, blur=False)
        base = image
    else:
        raise ValueError(kind)
    draw = ImageDraw.Draw(image)
    step = max(6, width // 40)
    colours = [(230, 236, 250), (250, 240, 200), (255, 220, 230), (220, 250, 230)]
    for index, x in enumerate(range(-height, width, step)):
        draw.line((x, height, x + height, 0), fill=colours[index % 4], width=max(2, step // 3))
    if kind == "stripes":
        return image
    return Image.blend(base, image, 0.0) if base is image else image
