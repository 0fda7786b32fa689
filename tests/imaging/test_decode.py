"""Safe decoding: every refusal, and every normalisation."""

from __future__ import annotations

import hashlib
import io
import struct
import time
import zlib

import pytest
from PIL import Image

from django_nanobanana.imaging.decode import (
    DEFAULT_MAX_PIXELS,
    ImageValidationError,
    decode_image,
    probe_image,
    sha256_hex,
)
from tests.helpers import crafted_png, encode, png_chunk


def refusal(data: bytes, **kwargs) -> ImageValidationError:
    with pytest.raises(ImageValidationError) as info:
        decode_image(data, **kwargs)
    assert str(info.value.message)  # a readable message, lazily translated
    return info.value


# --- refusals -----------------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"hello world", b"\x89PNG\r\n\x1a\n", b"\x00" * 1000])
def test_not_an_image(data):
    assert refusal(data).code == "not_an_image"


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF", "ICO", "PPM"])
def test_disallowed_formats(fmt):
    data = encode(Image.new("RGB", (32, 32), "red"), fmt)
    error = refusal(data)
    assert error.code == "format_not_allowed"
    assert "PNG" in str(error.message)
    with pytest.raises(ImageValidationError) as info:
        probe_image(data)
    assert info.value.code == "format_not_allowed"


def test_allow_list_is_configurable():
    gif = encode(Image.new("RGB", (8, 8), "red"), "GIF")
    assert decode_image(gif, allowed_formats={"gif", "png"}).format == "GIF"
    png = encode(Image.new("RGB", (8, 8), "red"), "PNG")
    assert refusal(png, allowed_formats={"JPEG"}).code == "format_not_allowed"


def test_header_declaring_a_gigantic_canvas_is_a_bomb():
    before = Image.MAX_IMAGE_PIXELS
    error = refusal(crafted_png(30000, 30000))
    assert error.code == "decompression_bomb"
    assert Image.MAX_IMAGE_PIXELS == before  # the global is never touched


def test_pixel_limit_is_checked_from_the_header():
    # Declares 60 MP but carries a few bytes of data: refused before decoding.
    assert refusal(crafted_png(10000, 6000)).code == "too_many_pixels"


def _zero_rgb_png(width: int, height: int) -> bytes:
    """A complete, valid RGB PNG of black pixels, built without a canvas in memory."""
    compressor = zlib.compressobj(1)
    row = b"\x00" * (1 + 3 * width)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )  # fmt: skip


def test_real_small_file_with_huge_dimensions_is_refused_before_decoding():
    # A legitimate 51 MP PNG compresses to a few hundred kilobytes.
    data = _zero_rgb_png(7200, 7100)
    assert len(data) < 1_000_000
    assert Image.open(io.BytesIO(data)).size == (7200, 7100)
    images_before = Image.core.get_stats()["new_count"]
    started = time.perf_counter()
    assert refusal(data).code == "too_many_pixels"
    assert Image.core.get_stats()["new_count"] == images_before  # no pixel buffer allocated
    assert time.perf_counter() - started < 0.2
    with pytest.raises(ImageValidationError):  # probe_image does not decode either
        decode_image(data, max_pixels=10)
    assert probe_image(data) == ("PNG", 7200, 7100)
    assert Image.core.get_stats()["new_count"] == images_before


def test_max_pixels_is_a_keyword_argument():
    data = encode(Image.new("RGB", (100, 100), "red"), "PNG")
    assert refusal(data, max_pixels=9_999).code == "too_many_pixels"
    assert decode_image(data, max_pixels=10_000).width == 100
    assert DEFAULT_MAX_PIXELS >= 5504 * 3072 * 2  # comfortable headroom over Gemini 4K


def test_zero_by_zero_header():
    error = refusal(crafted_png(0, 0))
    assert error.code == "empty_dimensions"


def test_degenerate_strip_is_refused():
    assert refusal(crafted_png(100000, 1)).code == "extreme_aspect"
    assert refusal(encode(Image.new("RGB", (400, 10)), "PNG")).code == "extreme_aspect"
    assert refusal(encode(Image.new("RGB", (10, 400)), "PNG")).code == "extreme_aspect"
    # Gemini's widest ratio (8:1) is fine, and the limit is configurable.
    assert decode_image(encode(Image.new("RGB", (800, 100)), "PNG")).width == 800
    assert refusal(encode(Image.new("RGB", (800, 100)), "PNG"), max_aspect=4).code == (
        "extreme_aspect"
    )


def test_min_side():
    data = encode(Image.new("RGB", (1, 1)), "PNG")
    assert decode_image(data, max_aspect=None).width == 1
    assert refusal(data, min_side=2).code == "empty_dimensions"


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_truncated_file(fmt, photo):
    data = encode(photo, fmt)
    error = refusal(data[: len(data) // 2])
    assert error.code in {"truncated", "not_an_image"}
    if fmt in ("PNG", "JPEG"):
        assert error.code == "truncated"


def test_error_repr_and_str():
    error = ImageValidationError("Bad", "not_an_image")
    assert str(error) == "Bad"
    assert "not_an_image" in repr(error)
    assert isinstance(error, ValueError)


# --- normalisation ------------------------------------------------------------------------


def _halves(width=40, height=20):
    """Left half red, right half blue."""
    image = Image.new("RGB", (width, height), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, width // 2, height))
    return image


def _close(pixel, expected, tolerance=40):
    return all(abs(a - b) <= tolerance for a, b in zip(pixel[:3], expected, strict=True))


def test_exif_orientation_is_applied():
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: display rotated 90 degrees clockwise
    data = encode(_halves(), "JPEG", quality=95, exif=exif.tobytes())
    assert probe_image(data) == ("JPEG", 20, 40)
    decoded = decode_image(data)
    assert (decoded.width, decoded.height) == (20, 40)
    assert decoded.image.size == (20, 40)
    assert _close(decoded.image.getpixel((10, 5)), (255, 0, 0))  # former left is now top
    assert _close(decoded.image.getpixel((10, 35)), (0, 0, 255))
    assert "exif" not in decoded.image.info


def test_upright_image_is_not_copied_needlessly():
    decoded = decode_image(encode(_halves(), "PNG"))
    assert _close(decoded.image.getpixel((5, 10)), (255, 0, 0), 0)


def test_cmyk_jpeg_becomes_rgb():
    cmyk = Image.new("CMYK", (32, 32), (0, 255, 255, 0))  # red
    decoded = decode_image(encode(cmyk, "JPEG", quality=95))
    assert decoded.image.mode == "RGB"
    assert _close(decoded.image.getpixel((16, 16)), (255, 0, 0))


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def swapped_primaries_profile() -> bytes:
    """A minimal ICC v2 RGB profile whose red and blue primaries are swapped.

    Pixels tagged with it that *say* pure red are, colorimetrically, sRGB
    blue: a conversion to sRGB must turn them blue.
    """
    red = (0.4361, 0.2225, 0.0139)  # sRGB primaries adapted to D50
    green = (0.3851, 0.7169, 0.0971)
    blue = (0.1431, 0.0606, 0.7141)

    def xyz(values):
        return b"XYZ \x00\x00\x00\x00" + b"".join(_s15(v) for v in values)

    description = b"Swapped RGB\x00"
    desc = (
        b"desc\x00\x00\x00\x00"
        + struct.pack(">I", len(description))
        + description
        + b"\x00" * 12  # unicode language code + count
        + b"\x00\x00\x00"  # scriptcode code + count
        + b"\x00" * 67
    )
    curve = b"curv\x00\x00\x00\x00" + struct.pack(">IH", 1, 0x0233) + b"\x00\x00"  # gamma 2.2
    tags = [
        (b"desc", desc),
        (b"wtpt", xyz((0.9642, 1.0, 0.8249))),
        (b"rXYZ", xyz(blue)),
        (b"gXYZ", xyz(green)),
        (b"bXYZ", xyz(red)),
        (b"rTRC", curve),
        (b"gTRC", curve),
        (b"bTRC", curve),
        (b"cprt", b"text\x00\x00\x00\x00public domain\x00\x00\x00"),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, body = b"", b""
    for signature, payload in tags:
        while (offset + len(body)) % 4:
            body += b"\x00"
        table += signature + struct.pack(">II", offset + len(body), len(payload))
        body += payload
    size = offset + len(body)
    header = (
        struct.pack(">I", size)
        + b"lcms"
        + struct.pack(">I", 0x02100000)
        + b"mntrRGB XYZ "
        + struct.pack(">6H", 2024, 1, 1, 0, 0, 0)
        + b"acspAPPL"
        + b"\x00" * 4  # flags
        + b"\x00" * 8  # manufacturer, model
        + b"\x00" * 8  # attributes
        + struct.pack(">I", 0)  # rendering intent
        + _s15(0.9642)
        + _s15(1.0)
        + _s15(0.8249)
        + b"lcms"
    )
    header += b"\x00" * (128 - len(header))
    return header + struct.pack(">I", len(tags)) + table + body


def test_icc_profile_is_converted_to_srgb():
    profile = swapped_primaries_profile()
    data = encode(Image.new("RGB", (16, 16), (255, 0, 0)), "PNG", icc_profile=profile)
    decoded = decode_image(data)
    r, g, b = decoded.image.getpixel((8, 8))
    assert b > 200 and r < 60, (r, g, b)  # "red" in that space is sRGB blue
    assert "icc_profile" not in decoded.image.info


def test_icc_conversion_keeps_alpha():
    profile = swapped_primaries_profile()
    image = Image.new("RGBA", (16, 16), (255, 0, 0, 100))
    decoded = decode_image(encode(image, "PNG", icc_profile=profile))
    assert decoded.image.mode == "RGBA" and decoded.has_alpha
    r, _g, b, a = decoded.image.getpixel((8, 8))
    assert a == 100 and b > 200 and r < 60


def test_srgb_profile_and_broken_profile_keep_pixels():
    from PIL import ImageCms

    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    for profile in (srgb, b"not a profile at all"):
        data = encode(Image.new("RGB", (8, 8), (200, 30, 30)), "PNG", icc_profile=profile)
        assert decode_image(data).image.getpixel((4, 4)) == (200, 30, 30)


def test_animated_webp_gives_first_frame():
    frames = [Image.new("RGB", (24, 24), colour) for colour in ("red", "lime", "blue")]
    buffer = encode(frames[0], "WEBP", save_all=True, append_images=frames[1:], lossless=True)
    assert Image.open(__import__("io").BytesIO(buffer)).n_frames == 3
    decoded = decode_image(buffer)
    assert decoded.image.mode == "RGB"
    assert _close(decoded.image.getpixel((12, 12)), (255, 0, 0), 10)


def test_opaque_alpha_is_dropped():
    decoded = decode_image(encode(Image.new("RGBA", (8, 8), (1, 2, 3, 255)), "PNG"))
    assert decoded.has_alpha is False
    assert decoded.image.mode == "RGB"


def test_real_transparency_is_kept():
    image = Image.new("RGBA", (8, 8), (1, 2, 3, 255))
    image.putpixel((0, 0), (0, 0, 0, 0))
    decoded = decode_image(encode(image, "PNG"))
    assert decoded.has_alpha is True
    assert decoded.image.mode == "RGBA"
    assert decoded.image.getpixel((0, 0))[3] == 0


@pytest.mark.parametrize(
    ("image", "mode", "alpha"),
    [
        (Image.new("L", (8, 8), 128), "RGB", False),
        (Image.new("LA", (8, 8), (128, 10)), "RGBA", True),
        (Image.new("1", (8, 8), 1), "RGB", False),
        (Image.new("P", (8, 8), 0), "RGB", False),
    ],
)
def test_modes_are_normalised(image, mode, alpha):
    decoded = decode_image(encode(image, "PNG"))
    assert decoded.image.mode == mode
    assert decoded.has_alpha is alpha


def test_palette_with_transparency_becomes_rgba():
    image = Image.new("P", (8, 8), 0)
    image.putpalette([255, 0, 0, 0, 255, 0])
    image.putpixel((0, 0), 1)
    data = encode(image, "PNG", transparency=1)
    decoded = decode_image(data)
    assert decoded.image.mode == "RGBA" and decoded.has_alpha
    assert decoded.image.getpixel((0, 0))[3] == 0
    assert decoded.image.getpixel((4, 4)) == (255, 0, 0, 255)


def test_sixteen_bit_grey_is_scaled_not_clipped():
    image = Image.new("I;16", (8, 8), 32768)
    decoded = decode_image(encode(image, "PNG"))
    assert decoded.image.mode == "RGB"
    value = decoded.image.getpixel((4, 4))[0]
    assert 120 <= value <= 135, value


def test_decoded_fields_and_no_metadata(photo):
    data = encode(photo, "JPEG", quality=90, exif=Image.Exif().tobytes(), comment=b"secret")
    decoded = decode_image(data)
    assert (decoded.format, decoded.mime_type) == ("JPEG", "image/jpeg")
    assert (decoded.width, decoded.height) == photo.size
    assert decoded.image.info == {}


@pytest.mark.parametrize(("fmt", "mime"), [("PNG", "image/png"), ("WEBP", "image/webp"),
                                           ("AVIF", "image/avif")])  # fmt: skip
def test_allowed_formats_decode(fmt, mime, photo):
    from PIL import features

    if fmt == "AVIF" and not features.check("avif"):
        pytest.skip("Pillow without AVIF")
    decoded = decode_image(encode(photo, fmt))
    assert (decoded.format, decoded.mime_type) == (fmt, mime)
    assert decoded.image.size == photo.size


def test_probe_reads_header_only():
    assert probe_image(crafted_png(5504, 3072)) == ("PNG", 5504, 3072)
    with pytest.raises(ImageValidationError):
        probe_image(b"nope")


def test_sha256_hex():
    assert sha256_hex(b"abc") == hashlib.sha256(b"abc").hexdigest()
