"""Tiny stand-ins shown while the real image loads.

* :func:`dominant_color` gives a CSS colour for a plain background;
* :func:`lqip_data_uri` gives a "low quality image placeholder": a blurred
  image a few pixels wide, inlined as a ``data:`` URI of a few hundred bytes,
  which the browser stretches (CSS ``filter: blur()`` hides the blockiness).
"""

from __future__ import annotations

import base64
import io
import math
from collections import Counter
from typing import Any

from PIL import Image, ImageFilter, features

#: Side of the thumbnail analysed by dominant_color (pixels).
DOMINANT_SAMPLE_SIZE = 64
#: Number of colour clusters dominant_color chooses from.
DOMINANT_PALETTE_SIZE = 6
DEFAULT_LQIP_WIDTH = 16
LQIP_QUALITY = 40
LQIP_BLUR_RADIUS = 0.6


def _flatten(image: Image.Image) -> tuple[Image.Image, Image.Image | None]:
    """RGB pixels plus the alpha channel (None when there is none)."""
    if image.mode == "RGB":
        return image, None
    if image.mode != "RGBA":
        image = image.convert("RGBA" if image.has_transparency_data else "RGB")
        if image.mode == "RGB":
            return image, None
    return image.convert("RGB"), image.getchannel("A")


def _fit(size: tuple[int, int], box: int) -> tuple[int, int]:
    """``size`` shrunk to fit ``box`` x ``box`` keeping its ratio, rounded as
    :meth:`PIL.Image.Image.thumbnail` rounds (unchanged if it already fits)."""
    width, height = size
    if width <= box and height <= box:
        return size
    aspect = width / height

    def rounded(number: float, key: Any) -> int:
        return max(min(math.floor(number), math.ceil(number), key=key), 1)

    if box / box >= aspect:
        return rounded(box * aspect, key=lambda n: abs(aspect - n / box)), box
    return box, rounded(box / aspect, key=lambda n: 0 if n == 0 else abs(aspect - box / n))


def dominant_color(image: Image.Image) -> str:
    """The most common colour cluster of ``image`` as ``#rrggbb``.

    The image is reduced to a small thumbnail and quantised to a few colours
    (median cut); the most frequent cluster wins.  Transparent pixels
    (alpha < 128) are ignored; a fully transparent image gives ``#000000``.
    """
    # Resized straight from the image (what Image.thumbnail does on a copy), so a 4K
    # frame is never copied whole: only the 64-pixel sample is made.
    size = _fit(image.size, DOMINANT_SAMPLE_SIZE)
    sample = (
        image.resize(size, Image.Resampling.BOX, reducing_gap=2.0) if size != image.size else image
    )
    rgb, alpha = _flatten(sample)
    quantised = rgb.quantize(colors=DOMINANT_PALETTE_SIZE, method=Image.Quantize.MEDIANCUT)
    palette = quantised.getpalette() or []
    indexes = (
        quantised.get_flattened_data()
        if hasattr(quantised, "get_flattened_data")
        else (quantised.getdata())
    )
    if alpha is not None:
        opacity = (
            alpha.get_flattened_data()
            if hasattr(alpha, "get_flattened_data")
            else (alpha.getdata())
        )
        counts = Counter(i for i, a in zip(indexes, opacity, strict=True) if a >= 128)
    else:
        counts = Counter(indexes)
    if not counts:
        return "#000000"
    index = counts.most_common(1)[0][0]
    r, g, b = palette[3 * index : 3 * index + 3]
    return f"#{r:02x}{g:02x}{b:02x}"


def lqip_data_uri(image: Image.Image, width: int = DEFAULT_LQIP_WIDTH) -> str:
    """A tiny blurred copy of ``image`` as a ``data:`` URI (WebP, else JPEG).

    The height keeps the aspect ratio.  Transparency is kept in WebP and
    flattened onto white for JPEG.
    """
    if width < 1:
        raise ValueError("width must be positive")
    height = max(1, round(image.height * width / image.width))
    mode = "RGBA" if image.mode in ("RGBA", "LA", "PA") or image.has_transparency_data else "RGB"
    small = image.convert(mode) if image.mode != mode else image
    small = small.resize((width, height), Image.Resampling.BOX, reducing_gap=2.0)
    small = small.filter(ImageFilter.GaussianBlur(LQIP_BLUR_RADIUS))
    buffer = io.BytesIO()
    if features.check("webp"):
        small.save(buffer, "WEBP", quality=LQIP_QUALITY, method=6)
        mime = "image/webp"
    else:  # pragma: no cover - WebP is in every Pillow wheel
        if small.mode == "RGBA":
            flat = Image.new("RGB", small.size, (255, 255, 255))
            flat.paste(small, mask=small.getchannel("A"))
            small = flat
        small.save(buffer, "JPEG", quality=LQIP_QUALITY)
        mime = "image/jpeg"
    return f"data:{mime};base64,{base64.b64encode(buffer.getvalue()).decode('ascii')}"
