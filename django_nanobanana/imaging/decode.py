"""Safe decoding of untrusted image bytes.

The same code path handles images returned by the model provider and images
uploaded by users, so it assumes nothing about the input:

* the format must be on an allow-list (PNG, JPEG, WebP and AVIF by default);
* the pixel count is checked from the *header* before a single pixel is
  decoded, against a limit passed in by the caller (Pillow's global
  ``Image.MAX_IMAGE_PIXELS`` is read but never changed);
* empty and degenerate (e.g. 100000x1) images are refused;
* truncated or corrupt files are refused instead of being silently padded;
* the result is normalised: first frame only, EXIF orientation applied,
  embedded ICC profile converted to sRGB, mode RGB or RGBA, no metadata.

Nothing here touches Django settings; callers pass limits as keyword
arguments.  Only ``gettext_lazy`` is used, for user-facing messages.
"""

from __future__ import annotations

import hashlib
import io
import logging
import struct
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

try:  # ImageCms needs Pillow built with LittleCMS; it nearly always is.
    from PIL import ImageCms
except ImportError:  # pragma: no cover - depends on the Pillow build
    ImageCms = None  # type: ignore[assignment]

logger = logging.getLogger(__name__)

#: Pillow format names accepted by default.  GIF, BMP, TIFF, ICO, PSD... are
#: refused: the app has no use for them and their decoders are a larger
#: attack surface.
DEFAULT_ALLOWED_FORMATS: frozenset[str] = frozenset({"PNG", "JPEG", "WEBP", "AVIF"})

#: 50 megapixels.  The largest Gemini output (4K, 5504x3072) is ~17 MP, so this
#: leaves room for large camera uploads while bounding memory to ~200 MB RGBA.
DEFAULT_MAX_PIXELS: int = 50_000_000

#: Longest side / shortest side.  Gemini's widest ratio is 8:1 (or 1:8); twice
#: that leaves room for user uploads such as banners without accepting
#: degenerate strips like 100000x1.
DEFAULT_MAX_ASPECT: float = 16.0

_FORMAT_ALIASES = {"JPG": "JPEG"}

_MIME_TYPES = {
    "PNG": "image/png",
    "JPEG": "image/jpeg",
    "WEBP": "image/webp",
    "AVIF": "image/avif",
    "GIF": "image/gif",
}

# EXIF tag 0x0112 and the transposition that makes each orientation upright
# (the table ImageOps.exif_transpose uses).
_ORIENTATION_TAG = 0x0112
_ORIENTATION_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class ImageValidationError(ValueError):
    """The bytes are not an image this app is willing to decode.

    ``message`` is a translatable, user-readable explanation (safe to show in a
    form error); ``code`` is a short stable identifier for programs and logs:
    ``not_an_image``, ``format_not_allowed``, ``too_many_pixels``,
    ``decompression_bomb``, ``empty_dimensions``, ``extreme_aspect`` or
    ``truncated``.
    """

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return str(self.message)

    def __repr__(self) -> str:
        return f"ImageValidationError(code={self.code!r}, message={str(self.message)!r})"


@dataclass(frozen=True)
class DecodedImage:
    """A fully decoded, normalised image ready for renditions.

    ``image`` is RGB or RGBA, upright (EXIF orientation applied), in sRGB and
    with ``info`` cleared so no metadata leaks into encoded renditions.  An
    alpha channel that is fully opaque is dropped, so ``has_alpha`` is True
    exactly when ``image.mode == "RGBA"``.
    """

    image: Image.Image
    format: str
    mime_type: str
    width: int
    height: int
    has_alpha: bool


def sha256_hex(data: bytes) -> str:
    """Return the hex SHA-256 of ``data`` (used to de-duplicate stored originals)."""
    return hashlib.sha256(data).hexdigest()


def _normalise_formats(allowed_formats: Iterable[str]) -> frozenset[str]:
    names = {str(f).strip().upper() for f in allowed_formats}
    return frozenset(_FORMAT_ALIASES.get(n, n) for n in names)


def _png_header_size(data: bytes) -> tuple[int, int] | None:
    """Width/height from a PNG IHDR, for headers Pillow refuses to identify.

    Pillow does not open a PNG that declares 0x0; we still want to tell the
    user the precise reason rather than "not an image".
    """
    if len(data) >= 24 and data.startswith(_PNG_SIGNATURE) and data[12:16] == b"IHDR":
        return struct.unpack(">II", data[16:24])
    return None


def _decompression_bomb() -> ImageValidationError:
    return ImageValidationError(
        _("The image declares an enormous size and was refused."), "decompression_bomb"
    )


def _open(data: bytes, allowed: frozenset[str]) -> Image.Image:
    """Open lazily (header only), mapping every failure to ImageValidationError."""
    if not isinstance(data, bytes | bytearray | memoryview) or not data:
        raise ImageValidationError(_("The file is empty or is not an image."), "not_an_image")
    try:
        return Image.open(io.BytesIO(data), formats=sorted(allowed))
    except Image.DecompressionBombError as exc:
        raise _decompression_bomb() from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, struct.error) as exc:
        size = _png_header_size(bytes(data[:24]))
        if size is not None and 0 in size:
            raise ImageValidationError(
                _("The image has no pixels (zero width or height)."), "empty_dimensions"
            ) from exc
        # Identify with every plugin to tell "wrong format" from "not an image".
        try:
            with Image.open(io.BytesIO(data)) as other:
                found = other.format
        except Image.DecompressionBombError:
            found = "unknown"
        except Exception:
            found = None
        if found:
            raise ImageValidationError(
                _("This image format is not accepted. Use %(formats)s.")
                % {"formats": ", ".join(sorted(allowed))},
                "format_not_allowed",
            ) from exc
        raise ImageValidationError(
            _("The file is not an image or is damaged."), "not_an_image"
        ) from exc


def _header_orientation(im: Image.Image) -> int:
    """EXIF orientation available *without decoding pixels* (1 if unknown).

    Pillow's PNG plugin loads the whole image in ``getexif()`` when no eXIf
    chunk precedes the pixel data, so for PNG only an early chunk is used.
    """
    try:
        if im.format == "PNG":
            raw = im.info.get("exif")
            if not raw:
                return 1
            exif = Image.Exif()
            exif.load(raw)
            return int(exif.get(_ORIENTATION_TAG, 1))
        return int(im.getexif().get(_ORIENTATION_TAG, 1))
    except Exception:  # malformed EXIF must not make the image undecodable
        return 1


def _oriented_size(width: int, height: int, orientation: int) -> tuple[int, int]:
    """Displayed size: orientations 5-8 swap width and height."""
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)


def _check_dimensions(
    width: int, height: int, *, max_pixels: int | None, min_side: int, max_aspect: float | None
) -> None:
    if width <= 0 or height <= 0:
        raise ImageValidationError(
            _("The image has no pixels (zero width or height)."), "empty_dimensions"
        )
    if width < min_side or height < min_side:
        raise ImageValidationError(
            _("The image is too small: each side must be at least %(min)d pixels.")
            % {"min": min_side},
            "empty_dimensions",
        )
    if max_pixels is not None and width * height > max_pixels:
        raise ImageValidationError(
            _("The image is too large: %(mp).1f megapixels, the limit is %(limit).1f.")
            % {"mp": width * height / 1e6, "limit": max_pixels / 1e6},
            "too_many_pixels",
        )
    # Pillow's own bomb threshold, read but never modified.  With the default
    # limits ours is stricter, but a caller may raise max_pixels.
    pillow_limit = Image.MAX_IMAGE_PIXELS
    if pillow_limit and width * height > pillow_limit:
        raise ImageValidationError(
            _("The image declares an enormous size and was refused."), "decompression_bomb"
        )
    if max_aspect is not None and max(width, height) / min(width, height) > max_aspect:
        raise ImageValidationError(
            _("The image is too narrow: its sides may differ by at most %(ratio)s times.")
            % {"ratio": f"{max_aspect:g}"},
            "extreme_aspect",
        )


def probe_image(
    data: bytes, *, allowed_formats: Iterable[str] = DEFAULT_ALLOWED_FORMATS
) -> tuple[str, int, int]:
    """Return ``(format, width, height)`` reading only the header.

    Width and height are the *displayed* size, i.e. after EXIF orientation,
    so they match what :func:`decode_image` would return.  Raises
    :class:`ImageValidationError` for non-images and disallowed formats; no
    size limits are applied (use :func:`decode_image` for that).
    """
    allowed = _normalise_formats(allowed_formats)
    with _open(data, allowed) as im:
        width, height = _oriented_size(*im.size, _header_orientation(im))
        return str(im.format), width, height


def decode_image(
    data: bytes,
    *,
    allowed_formats: Iterable[str] = DEFAULT_ALLOWED_FORMATS,
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
    min_side: int = 1,
    max_aspect: float | None = DEFAULT_MAX_ASPECT,
) -> DecodedImage:
    """Validate and fully decode ``data`` into a normalised :class:`DecodedImage`.

    All size checks happen on the header before pixel data is decoded, so a
    tiny file declaring a gigantic canvas costs nothing.  See the module
    docstring for the normalisation applied.
    """
    allowed = _normalise_formats(allowed_formats)
    # No context manager: closing would invalidate ``im`` itself, which we
    # return without a copy when it is already RGB/RGBA.  The BytesIO needs
    # no closing.
    im = _open(data, allowed)
    fmt = str(im.format)
    # Pixel count, aspect ratio and minimum side do not depend on orientation,
    # so the stored size is checked before anything can trigger a decode.
    _check_dimensions(
        *im.size, max_pixels=max_pixels, min_side=max(1, min_side), max_aspect=max_aspect
    )
    try:
        # Animated WebP/AVIF/PNG: the first frame is the one selected after
        # open, and load() decodes only that frame.
        im.load()
        orientation = _loaded_orientation(im)  # after load(): trailing eXIf chunks too
        icc_profile = im.info.get("icc_profile")
        if icc_profile:
            image = _convert_to_srgb(im, icc_profile)
        else:
            image = _normalise_mode(im)
    except Image.DecompressionBombError as exc:
        raise _decompression_bomb() from exc
    except (OSError, SyntaxError, ValueError, struct.error, EOFError) as exc:
        raise ImageValidationError(
            _("The image file is truncated or damaged."), "truncated"
        ) from exc
    finally:
        # The first frame is decoded: let go of the encoded bytes, which Pillow keeps (a
        # BytesIO over ``data``) for seeking other frames. A 4K PNG is ~25 MB.
        close_fp = getattr(im, "_close_fp", None)
        if close_fp is not None:
            close_fp()
        # Drop the reference to the (possibly multi-frame) decoder early.
        del im

    transpose = _ORIENTATION_TRANSPOSE.get(orientation)
    if transpose is not None:
        # Same table as ImageOps.exif_transpose, without its unconditional
        # full-image copy when the orientation is already upright.
        image = image.transpose(transpose)

    has_alpha = False
    if image.mode == "RGBA":
        alpha_min, _alpha_max = image.getchannel("A").getextrema()
        has_alpha = alpha_min < 255
        if not has_alpha:
            image = image.convert("RGB")
    image.info.clear()  # strip EXIF, XMP, ICC, text chunks: nothing leaks into renditions
    return DecodedImage(
        image=image,
        format=fmt,
        mime_type=_MIME_TYPES.get(fmt) or Image.MIME.get(fmt, "application/octet-stream"),
        width=image.width,
        height=image.height,
        has_alpha=has_alpha,
    )


def _loaded_orientation(im: Image.Image) -> int:
    try:
        return int(im.getexif().get(_ORIENTATION_TAG, 1))
    except Exception:
        return 1


def _normalise_mode(im: Image.Image) -> Image.Image:
    """Convert any Pillow mode to RGB or RGBA (alpha kept only if present)."""
    mode = im.mode
    if mode in ("RGB", "RGBA"):
        return im
    if mode in ("P", "PA"):
        has_transparency = mode == "PA" or im.has_transparency_data
        return im.convert("RGBA" if has_transparency else "RGB")
    if mode in ("LA", "La", "RGBa"):
        return im.convert("RGBA")
    if mode.startswith("I;16") or mode in ("I", "F"):
        return _scale_high_bit_depth(im).convert("RGB")
    # 1, L, CMYK, YCbCr, LAB, HSV, RGBX...
    return im.convert("RGB")


def _scale_high_bit_depth(im: Image.Image) -> Image.Image:
    """Map 16-bit/32-bit grey to 8-bit L by scaling (Pillow's convert clips)."""
    as_int = im if im.mode in ("I", "F") else im.convert("I")
    _low, high = as_int.getextrema()
    if im.mode == "F" and high <= 1.0:
        scale = 255.0
    elif high <= 255:
        scale = 1.0
    elif high <= 65535:
        scale = 255.0 / 65535.0
    else:
        scale = 255.0 / float(high)
    return as_int.point(lambda value: value * scale).convert("L")


def _convert_to_srgb(image: Image.Image, icc_profile: bytes) -> Image.Image:
    """Convert pixels from the embedded profile to sRGB; return RGB or RGBA.

    Runs *before* mode normalisation so a CMYK or grey profile is applied to
    the CMYK or grey pixels it describes.  Alpha is split off and re-attached
    so the colour transform never sees it.  Unreadable or mismatching profiles
    (or a Pillow without LittleCMS) leave the pixels as they are: a slightly
    wrong colour is better than refusing a usable image.
    """
    if ImageCms is None:
        return _normalise_mode(image)
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        space = source.profile.xcolor_space.strip()
        description = (source.profile.profile_description or "").strip()
    except Exception as exc:
        logger.info("ignoring unreadable ICC profile: %s", exc)
        return _normalise_mode(image)
    if space == "RGB" and description.lower().startswith("srgb"):
        return _normalise_mode(image)  # already sRGB: skip a full-image transform

    alpha = None
    if space == "CMYK" and image.mode == "CMYK":
        base = image
    elif space == "GRAY" and (
        image.mode in ("1", "L", "LA", "La", "I", "F") or image.mode.startswith("I;16")
    ):
        if image.mode in ("LA", "La"):
            alpha = image.getchannel("A")
            image = image.convert("L")
        base = image if image.mode == "L" else _scale_high_bit_depth(image)
    elif space == "RGB" and image.mode not in ("CMYK", "L", "LA", "1", "I", "F"):
        base = _normalise_mode(image)
        if base.mode == "RGBA":
            alpha = base.getchannel("A")
            base = base.convert("RGB")
    else:
        logger.info("ICC profile space %r does not match mode %s", space, image.mode)
        return _normalise_mode(image)
    try:
        transform = _srgb_transform(icc_profile, base.mode)
        result = ImageCms.applyTransform(base, transform)
    except Exception as exc:
        logger.info("ICC conversion to sRGB failed, keeping pixels: %s", exc)
        return _normalise_mode(image)
    if result is None:  # pragma: no cover - only with inPlace=True
        return _normalise_mode(image)
    if alpha is not None:
        result.putalpha(alpha)
    return result


def _srgb_transform(icc_profile: bytes, in_mode: str) -> ImageCms.ImageCmsTransform:
    source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
    target = ImageCms.createProfile("sRGB")
    return ImageCms.buildTransform(
        source, target, in_mode, "RGB", renderingIntent=ImageCms.Intent.PERCEPTUAL
    )
