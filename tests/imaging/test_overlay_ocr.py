"""Read rendered overlays back with tesseract: the text must be exactly legible.

Needs the ``tesseract`` CLI (Debian: ``apt-get install tesseract-ocr``).
Skipped without it, except in CI (``CI=true``) where a missing tesseract is a
failure, so the check cannot silently disappear.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from PIL import Image

from django_nanobanana.imaging.decode import decode_image
from django_nanobanana.imaging.overlay import OverlaySpec
from django_nanobanana.imaging.renditions import render_renditions

from .conftest import encode, make_photo

pytestmark = pytest.mark.ocr

TEXT = "Summer Sale 2026"


def tesseract() -> str:
    path = shutil.which("tesseract")
    if path is None:
        message = "tesseract-ocr not installed: apt-get install tesseract-ocr"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


def read_text(binary: str, image: Image.Image) -> str:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "page.png"
        image.convert("RGB").save(path)
        result = subprocess.run(
            [binary, str(path), "stdout", "--psm", "6", "-l", "eng"],
            capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip
    return result.stdout


def words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z0-9]+", text)


def test_overlay_reads_back_exactly_at_every_width():
    binary = tesseract()
    original = decode_image(encode(make_photo(2752, 1536, seed=7), "PNG"))
    overlay = OverlaySpec.from_dict(
        {"text": TEXT, "font": "sans-bold", "size": 0.09, "anchor": "bottom-left",
         "background": "box", "background_color": "#101010", "background_opacity": 0.75,
         "color": "#FFFFFF"}
    )  # fmt: skip
    checked = 0
    for rendered in render_renditions(original, overlay=overlay, formats=("webp", "jpeg")):
        if rendered.width < 640:
            continue
        image = Image.open(io.BytesIO(rendered.content))
        text = read_text(binary, image)
        # The exact words, in order (OCR may add noise from the photo around them).
        assert " ".join(words(TEXT)) in " ".join(words(text)), (rendered.width, text)
        checked += 1
    assert checked == 4 * 2  # 640, 1024, 1600, 2048 in two formats
