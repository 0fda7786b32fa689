"""Checks on image bytes that every backend shares (Pillow for conversion only)."""

from __future__ import annotations

import io

from PIL import Image

from .types import ReferenceImage


def image_looks_complete(data: bytes) -> bool:
    """Cheap check that a PNG/JPEG/WebP was not cut short (unknown formats pass)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return data.rstrip(b"\x00").endswith(b"IEND\xaeB`\x82")
    if data.startswith(b"\xff\xd8"):
        return b"\xff\xd9" in data[-64:]
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return len(data) >= int.from_bytes(data[4:8], "little") + 8
    return True


def as_png(ref: ReferenceImage) -> ReferenceImage:
    """A reference converted to PNG (for input formats the model does not list)."""
    with Image.open(io.BytesIO(ref.data)) as image:
        image.load()
        if image.mode not in ("RGB", "RGBA", "L", "LA"):
            image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
        out = io.BytesIO()
        image.save(out, "PNG", compress_level=3)
    return ReferenceImage(out.getvalue(), "image/png")
