"""Responsive renditions: a few widths times a few formats, overlay included.

The original is decoded once (:func:`~.decode.decode_image`), then resized
*down a chain*, largest width first, each step starting from the previous
(larger) result.  That is much cheaper than resizing every width from a 4K
original and, with LANCZOS, visually indistinguishable.  At each width the
overlay (if any) is drawn on a copy at that final size, so small renditions
get crisp text, and the copy is encoded once per format.

:func:`render_renditions` is a generator: at any moment it holds at most
three full images (the original, the current resized base and the overlaid
copy being encoded), plus the encoded bytes it yields.

Policy decisions, documented here because callers rely on them:

* widths larger than the original are dropped (no upscaling); when the
  original is narrower than the largest configured width, the original width
  itself is added (so the full-resolution image is still served in modern
  formats) unless it is already in the list;
* heights keep the aspect ratio (rounded, at least 1 px);
* an image with real transparency gets PNG instead of JPEG (AVIF and WebP
  keep alpha);
* AVIF is skipped (and :func:`avif_available` is False) when Pillow was built
  without it;
* no metadata is carried over from the original (no EXIF, ICC or the
  provider's XMP); the only metadata written is the ``xmp`` packet a caller
  passes (the AI disclosure of :mod:`.disclosure`: JPEG, WebP and AVIF take
  Pillow's ``xmp=``, PNG an ``XML:com.adobe.xmp`` iTXt chunk).  Pixels are
  sRGB (decode converts), which is what untagged JPEG/WebP mean on the web;
  AVIF carries sRGB in its colour box and PNG gets an ``sRGB`` chunk.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache

from PIL import Image, PngImagePlugin, features

from .decode import DecodedImage
from .overlay import OverlayResult, OverlaySpec, Treatment, draw_overlay

logger = logging.getLogger(__name__)

DEFAULT_WIDTHS: tuple[int, ...] = (320, 640, 1024, 1600, 2048)
DEFAULT_FORMATS: tuple[str, ...] = ("avif", "webp", "jpeg")
DEFAULT_QUALITY: dict[str, int | None] = {"avif": 60, "webp": 80, "jpeg": 82, "png": None}
#: libavif speed 0 (slowest, smallest) .. 10 (fastest); Pillow's default is 6.
DEFAULT_AVIF_SPEED = 8
#: libwebp effort 0..6 (Pillow's default, 4, is a good size/speed balance).
DEFAULT_WEBP_METHOD = 4
DEFAULT_PNG_COMPRESS_LEVEL = 6
#: Background used if a transparent image must nevertheless become a JPEG.
JPEG_FLATTEN_BACKGROUND = (255, 255, 255)

RESAMPLE = Image.Resampling.LANCZOS

# format -> (Pillow format name, MIME type, file extension)
FORMATS: dict[str, tuple[str, str, str]] = {
    "avif": ("AVIF", "image/avif", "avif"),
    "webp": ("WEBP", "image/webp", "webp"),
    "jpeg": ("JPEG", "image/jpeg", "jpg"),
    "png": ("PNG", "image/png", "png"),
}
_ALIASES = {"jpg": "jpeg"}


@cache
def avif_available() -> bool:
    """True when this Pillow can encode AVIF (Pillow >= 11.3 wheels, or any build with libavif)."""
    return bool(features.check("avif"))


@dataclass(frozen=True)
class PlannedRendition:
    """One rendition to produce: pixel size and format key (``"webp"``...)."""

    width: int
    height: int
    format: str


@dataclass
class RenderedFile:
    """An encoded rendition, ready to be stored.

    With an overlay, ``contrast`` is the WCAG ratio its text reached on this
    rendition (see :class:`~.overlay.OverlayResult`) and ``treatment`` how it
    was drawn; both are None without an overlay.
    """

    width: int
    height: int
    format: str
    mime_type: str
    extension: str
    content: bytes
    contrast: float | None = None
    treatment: Treatment | None = None


def _normalise_format(name: str) -> str:
    key = _ALIASES.get(name.strip().lower(), name.strip().lower())
    if key not in FORMATS:
        raise ValueError(f"unsupported rendition format {name!r}; use one of {sorted(FORMATS)}")
    return key


def _plan_formats(formats: Iterable[str], has_alpha: bool) -> list[str]:
    keys: list[str] = []
    for name in formats:
        key = _normalise_format(name)
        if key == "jpeg" and has_alpha:
            key = "png"
        if key == "avif" and not avif_available():
            logger.warning("Pillow cannot encode AVIF here; skipping AVIF renditions")
            continue
        if key not in keys:
            keys.append(key)
    return keys


def _plan_widths(width: int, widths: Iterable[int]) -> list[int]:
    wanted = sorted({int(w) for w in widths if int(w) > 0})
    if not wanted:
        raise ValueError("at least one positive rendition width is required")
    kept = [w for w in wanted if w <= width]
    if width < wanted[-1] and width not in kept:
        kept.append(width)
    return sorted(kept)


def _height_for(width: int, original_width: int, original_height: int) -> int:
    return max(1, round(original_height * width / original_width))


def plan_renditions(
    width: int,
    height: int,
    *,
    has_alpha: bool,
    widths: Iterable[int] = DEFAULT_WIDTHS,
    formats: Iterable[str] = DEFAULT_FORMATS,
) -> list[PlannedRendition]:
    """The renditions to produce for a ``width`` x ``height`` original.

    Sorted by width ascending, formats in the configured order.  See the
    module docstring for the capping, transparency and AVIF rules.
    """
    if width < 1 or height < 1:
        raise ValueError("the original must have a positive size")
    format_keys = _plan_formats(formats, has_alpha)
    return [
        PlannedRendition(w, _height_for(w, width, height), key)
        for w in _plan_widths(width, widths)
        for key in format_keys
    ]


@dataclass(frozen=True)
class _Source:
    """The RGB/RGBA image to work from and whether its alpha matters."""

    image: Image.Image
    has_alpha: bool


def _source(decoded: DecodedImage | Image.Image, has_alpha: bool | None) -> _Source:
    if isinstance(decoded, DecodedImage):
        image = decoded.image
        alpha = decoded.has_alpha if has_alpha is None else has_alpha
    else:
        image = decoded
        if image.mode not in ("RGB", "RGBA"):
            image = image.convert("RGBA" if image.has_transparency_data else "RGB")
        if has_alpha is None:
            alpha = image.mode == "RGBA" and image.getchannel("A").getextrema()[0] < 255
        else:
            alpha = has_alpha
    if image.mode == "RGBA" and not alpha:
        image = image.convert("RGB")
    return _Source(image, alpha)


def encode(
    image: Image.Image,
    format: str,
    *,
    quality: Mapping[str, int | None] | None = None,
    avif_speed: int = DEFAULT_AVIF_SPEED,
    xmp: bytes | None = None,
) -> bytes:
    """Encode an RGB/RGBA image with the rendition settings; no metadata but ``xmp``."""
    key = _normalise_format(format)
    settings = {**DEFAULT_QUALITY, **(quality or {})}
    pil_format = FORMATS[key][0]
    if key == "jpeg" and image.mode == "RGBA":
        flat = Image.new("RGB", image.size, JPEG_FLATTEN_BACKGROUND)
        flat.paste(image, mask=image.getchannel("A"))
        image = flat
    options: dict[str, object] = {}
    if key == "jpeg":
        options = {"quality": settings["jpeg"], "optimize": True, "progressive": True}
    elif key == "webp":
        options = {"quality": settings["webp"], "method": DEFAULT_WEBP_METHOD}
    elif key == "avif":
        options = {"quality": settings["avif"], "speed": avif_speed}
    elif key == "png":
        srgb = PngImagePlugin.PngInfo()
        srgb.add(b"sRGB", b"\x00")  # rendering intent: perceptual
        if xmp:
            srgb.add_itxt("XML:com.adobe.xmp", xmp.decode("utf-8"), zip=False)
        options = {"compress_level": DEFAULT_PNG_COMPRESS_LEVEL, "pnginfo": srgb}
    if xmp and key != "png":
        options["xmp"] = xmp
    options = {k: v for k, v in options.items() if v is not None}
    if image.info:
        # Plugins fall back to image.info for ICC/EXIF: never leak metadata.
        image = image.copy()
        image.info.clear()
    buffer = io.BytesIO()
    image.save(buffer, pil_format, **options)
    return buffer.getvalue()


def _file(
    image: Image.Image, key: str, content: bytes, drawn: OverlayResult | None = None
) -> RenderedFile:
    _pil, mime, extension = FORMATS[key]
    return RenderedFile(
        image.width,
        image.height,
        key,
        mime,
        extension,
        content,
        drawn.contrast if drawn else None,
        drawn.treatment if drawn else None,
    )


def render_renditions(
    decoded: DecodedImage | Image.Image,
    *,
    widths: Iterable[int] = DEFAULT_WIDTHS,
    formats: Iterable[str] = DEFAULT_FORMATS,
    quality: Mapping[str, int | None] | None = None,
    avif_speed: int = DEFAULT_AVIF_SPEED,
    overlay: OverlaySpec | None = None,
    has_alpha: bool | None = None,
    xmp: bytes | None = None,
    release_source: bool = False,
) -> Iterator[RenderedFile]:
    """Yield every planned rendition, largest width first.

    With ``release_source`` the decoded image's pixels are freed (``Image.close()``) as
    soon as the largest size has been made from them, so a 4K frame is not held while
    every rendition is encoded; ``decoded`` cannot be used afterwards.

    ``decoded`` is normally the :class:`~.decode.DecodedImage` of the
    original (decode once, reuse); a plain RGB/RGBA ``PIL.Image`` works too.
    ``has_alpha`` overrides the transparency detection.  Raises
    :class:`~.overlay.OverlayValidationError` if the overlay cannot fit at
    some width.
    """
    source = _source(decoded, has_alpha)
    image = source.image
    plan = plan_renditions(
        image.width, image.height, has_alpha=source.has_alpha, widths=widths, formats=formats
    )
    yield from _render_chain(image, plan, quality, avif_speed, overlay, xmp, release_source)


def _group_by_size(plan: Sequence[PlannedRendition]) -> list[tuple[tuple[int, int], list[str]]]:
    groups: dict[tuple[int, int], list[str]] = {}
    for item in plan:
        groups.setdefault((item.width, item.height), []).append(item.format)
    return sorted(groups.items(), key=lambda kv: kv[0][0], reverse=True)


def _render_chain(
    image: Image.Image,
    plan: Sequence[PlannedRendition],
    quality: Mapping[str, int | None] | None,
    avif_speed: int,
    overlay: OverlaySpec | None,
    xmp: bytes | None = None,
    release_source: bool = False,
) -> Iterator[RenderedFile]:
    base = image
    for size, keys in _group_by_size(plan):
        if base.size != size:
            base = base.resize(size, RESAMPLE)  # the previous base is released here
            if release_source and image is not None:
                image.close()  # frees the pixels even while callers still refer to it
                image = None
        drawn = draw_overlay(base, overlay) if overlay is not None else None
        canvas = drawn.image if drawn else base
        for key in keys:
            content = encode(canvas, key, quality=quality, avif_speed=avif_speed, xmp=xmp)
            yield _file(canvas, key, content, drawn)
        del canvas, drawn


def render_one(
    decoded: DecodedImage | Image.Image,
    width: int,
    format: str,
    *,
    overlay: OverlaySpec | None = None,
    widths: Iterable[int] = DEFAULT_WIDTHS,
    quality: Mapping[str, int | None] | None = None,
    avif_speed: int = DEFAULT_AVIF_SPEED,
    has_alpha: bool | None = None,
    xmp: bytes | None = None,
) -> RenderedFile:
    """Produce one rendition on demand, identical to the one the full set makes.

    It walks the same resize chain as :func:`render_renditions` (without
    encoding the intermediate widths), so the pixels match exactly.  ``width``
    must be a planned width for this original and ``widths``.  ``format``
    may be any known format, e.g. ``"jpeg"`` for a transparent image (it is
    then flattened onto white).
    """
    image = _source(decoded, has_alpha).image
    key = _normalise_format(format)
    planned = _plan_widths(image.width, widths)
    if width not in planned:
        raise ValueError(f"width {width} is not planned for this image (planned: {planned})")
    base = image
    for step in sorted((w for w in planned if w >= width), reverse=True):
        size = (step, _height_for(step, image.width, image.height))
        if base.size != size:
            base = base.resize(size, RESAMPLE)
    drawn = draw_overlay(base, overlay) if overlay is not None else None
    canvas = drawn.image if drawn else base
    return _file(
        canvas, key, encode(canvas, key, quality=quality, avif_speed=avif_speed, xmp=xmp), drawn
    )
