"""The fake's pictures: a deterministic image per prompt, and where an image is brightest
(what its text models read as the focal point)."""

from __future__ import annotations

import hashlib
import io
from typing import Any

from PIL import Image, ImageDraw


def make_image(prompt: str, width: int, height: int, fmt: str = "PNG", seed: Any = None) -> bytes:
    """A deterministic, photo-ish image for a prompt: a two-colour gradient and shapes."""
    digest = hashlib.sha256(f"{prompt}|{seed}".encode()).digest()
    top = tuple(digest[0:3])
    bottom = tuple(digest[3:6])
    small = Image.new("RGB", (1, 2))
    small.putpixel((0, 0), top)
    small.putpixel((0, 1), bottom)
    image = small.resize((width, height), Image.Resampling.BILINEAR)
    draw = ImageDraw.Draw(image)
    for i in range(6):
        b = digest[6 + i * 4 : 10 + i * 4]
        cx, cy = b[0] / 255 * width, b[1] / 255 * height
        r = (0.05 + b[2] / 255 * 0.2) * min(width, height)
        colour = tuple(digest[(i * 3) % 29 : (i * 3) % 29 + 3])
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=colour)
    out = io.BytesIO()
    if fmt.upper() == "JPEG":
        image.save(out, "JPEG", quality=85)
    else:
        image.save(out, "PNG", compress_level=1)
    return out.getvalue()


def brightest(data: bytes) -> tuple[float, float]:
    """Centre of the brightest cell of a 16 x 16 grid over the image, as fractions."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            small = image.convert("L").resize((16, 16), Image.Resampling.BOX)
    except Exception:
        return (0.5, 0.5)
    values = list(small.tobytes())
    index = max(range(len(values)), key=lambda i: (values[i], -i))
    return (round((index % 16 + 0.5) / 16, 4), round((index // 16 + 0.5) / 16, 4))
