"""Dominant colour and LQIP data URIs."""

from __future__ import annotations

import base64
import io

from PIL import Image

from django_nanobanana.imaging.placeholder import dominant_color, lqip_data_uri
from tests.helpers import make_photo


def test_dominant_colour_is_the_majority_colour():
    image = Image.new("RGB", (100, 100), (200, 20, 20))
    image.paste((20, 20, 200), (0, 0, 100, 30))
    colour = dominant_color(image)
    assert colour.startswith("#") and len(colour) == 7
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    assert r > 150 and g < 60 and b < 60, colour


def test_dominant_colour_ignores_transparent_pixels():
    image = Image.new("RGBA", (100, 100), (255, 255, 255, 0))  # mostly transparent white
    image.paste((0, 160, 0, 255), (0, 0, 30, 100))
    r, g, b = (int(dominant_color(image)[i : i + 2], 16) for i in (1, 3, 5))
    assert g > 120 and r < 40 and b < 40


def test_dominant_colour_of_nothing():
    assert dominant_color(Image.new("RGBA", (10, 10), (9, 9, 9, 0))) == "#000000"


def test_lqip_is_a_tiny_data_uri():
    uri = lqip_data_uri(make_photo(1376, 768))
    prefix, payload = uri.split(",", 1)
    assert prefix in ("data:image/webp;base64", "data:image/jpeg;base64")
    assert len(uri) < 1000
    image = Image.open(io.BytesIO(base64.b64decode(payload)))
    assert image.size == (16, 9)


def test_lqip_width_and_alpha():
    image = Image.new("RGBA", (400, 100), (0, 0, 0, 0))
    uri = lqip_data_uri(image, width=32)
    decoded = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))
    assert decoded.size == (32, 8)
    if uri.startswith("data:image/webp"):
        assert decoded.mode == "RGBA"
