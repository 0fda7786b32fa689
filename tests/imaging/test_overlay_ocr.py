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
from PIL import Image, ImageOps

from django_nanobanana.imaging.decode import decode_image
from django_nanobanana.imaging.overlay import OverlaySpec
from django_nanobanana.imaging.renditions import render_renditions
from tests.helpers import encode, make_photo

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


# -- the default ("auto") style on hard backgrounds, in six scripts --------------------------

BACKGROUNDS = ("stripes", "busy", "split", "white", "black")
#: (tesseract language, text): what tesseract must read back (spaces ignored).  Phrases
#: its models read reliably on a flat background, so a failure means the picture won.
SCRIPTS = (
    ("eng", "Summer Sale 2026"),
    ("deu", "Große Grüße für Köln"),
    ("ara", "السوق الكبير"),
    ("heb", "מבצע קיץ גדול"),
    ("hin", "गर्मी की सेल"),
    ("chi_sim", "限时优惠"),
)
#: Rendition widths of 640 px and up (the original is 1024 px wide: 640 and 1024).
OCR_WIDTHS = (320, 640, 1024)


def ocr_language(binary: str, language: str) -> None:
    listed = subprocess.run(
        [binary, "--list-langs"], capture_output=True, text=True, check=True
    ).stdout.split()
    if language not in listed:
        message = f"tesseract language {language!r} missing: apt-get install tesseract-ocr-*"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


def read_crop(binary: str, image: Image.Image, box, language: str, light_text: bool) -> str:
    """OCR of the text's neighbourhood only (a single line: fast and unambiguous).

    Light text is inverted first (tesseract's models expect dark ink; inverting keeps
    the contrast exactly as it was).
    """
    left, top, right, bottom = box
    pad = (bottom - top) // 5
    crop = image.crop(
        (
            max(0, left - pad),
            max(0, top - pad),
            min(image.width, right + pad),
            min(image.height, bottom + pad),
        )
    ).convert("RGB")
    if light_text:
        crop = ImageOps.invert(crop)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "line.png"
        crop.convert("RGB").save(path)
        result = subprocess.run(
            [binary, str(path), "stdout", "--psm", "7", "-l", language],
            capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip
    return result.stdout


def squeeze(text: str) -> str:
    import unicodedata

    return "".join(
        c
        for c in unicodedata.normalize("NFKC", text)
        if not c.isspace() and unicodedata.category(c)[0] in "LN"
    )


@pytest.mark.parametrize(("language", "text"), SCRIPTS, ids=[s[0] for s in SCRIPTS])
def test_default_style_reads_back_on_hard_backgrounds(language, text):
    from django_nanobanana.imaging.overlay import TARGET_CONTRAST, check_fits
    from tests.helpers import make_hard_background

    binary = tesseract()
    ocr_language(binary, language)
    overlay = OverlaySpec.from_dict({"text": text, "size": 0.1, "anchor": "bottom-center"})
    assert overlay.style == "auto"
    checked = 0
    for kind in BACKGROUNDS:
        original = make_hard_background(kind, 1024, 576)
        for rendered in render_renditions(
            original, overlay=overlay, widths=OCR_WIDTHS, formats=("webp",)
        ):
            assert rendered.contrast >= TARGET_CONTRAST, (kind, rendered.width, rendered)
            if rendered.width < 640:
                continue
            image = Image.open(io.BytesIO(rendered.content))
            box = check_fits(overlay, rendered.width, rendered.height).text_box
            light = rendered.treatment.color == "#FFFFFF"
            read = read_crop(binary, image, box, language, light)
            assert squeeze(text) in squeeze(read), (kind, rendered.width, rendered.treatment, read)
            checked += 1
    assert checked == len(BACKGROUNDS) * 2


def test_mixed_direction_text_is_in_visual_order():
    """A Hebrew line with a Latin brand name and numbers: the line starts at the right
    (first Hebrew word rightmost) and the left-to-right run "iPhone 15" keeps its own
    order at the line's end, on the left, as browsers show it."""
    binary = tesseract()
    ocr_language(binary, "heb")
    text = "הנחה 30% על iPhone 15"  # "30% off iPhone 15"
    image = render_overlay_on_white(text)
    left, top, right, bottom = ImageOps.invert(image.convert("L")).getbbox()
    span = right - left
    brand = read_crop(binary, image, (left, top, left + round(span * 0.45), bottom), "eng", False)
    first = read_crop(binary, image, (right - round(span * 0.3), top, right, bottom), "heb", False)
    assert "iPhone15" in squeeze(brand)
    assert "הנחה" in squeeze(first)


def render_overlay_on_white(text: str) -> Image.Image:
    from django_nanobanana.imaging.overlay import draw_overlay

    white = Image.new("RGB", (1024, 400), "white")
    result = draw_overlay(
        white, OverlaySpec.from_dict({"text": text, "size": 0.15, "anchor": "center"})
    )
    return result.image
