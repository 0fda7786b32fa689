"""Pure-Pillow imaging for django-nanobanana.

Safe decoding (:mod:`.decode`), exact text overlays drawn with bundled fonts
(:mod:`.overlay`), responsive renditions (:mod:`.renditions`) and tiny
placeholders (:mod:`.placeholder`).

Nothing in this package reads Django settings or touches models: every limit
is a keyword argument whose default is a module constant, so the Django side
passes its configuration in explicitly.  The only Django import is
``gettext_lazy`` for user-facing messages.
"""

from .decode import (
    DEFAULT_ALLOWED_FORMATS,
    DEFAULT_MAX_ASPECT,
    DEFAULT_MAX_PIXELS,
    DecodedImage,
    ImageValidationError,
    decode_image,
    probe_image,
    sha256_hex,
)
from .overlay import (
    FontInfo,
    OverlayLayout,
    OverlayResult,
    OverlaySpec,
    OverlayValidationError,
    Treatment,
    available_fonts,
    check_fits,
    contrast_ratio,
    draw_overlay,
    fribidi_available,
    raqm_available,
    relative_luminance,
    render_overlay,
)
from .placeholder import dominant_color, lqip_data_uri
from .renditions import (
    DEFAULT_AVIF_SPEED,
    DEFAULT_FORMATS,
    DEFAULT_QUALITY,
    DEFAULT_WIDTHS,
    PlannedRendition,
    RenderedFile,
    avif_available,
    plan_renditions,
    render_one,
    render_renditions,
)

__all__ = [
    "DEFAULT_ALLOWED_FORMATS",
    "DEFAULT_AVIF_SPEED",
    "DEFAULT_FORMATS",
    "DEFAULT_MAX_ASPECT",
    "DEFAULT_MAX_PIXELS",
    "DEFAULT_QUALITY",
    "DEFAULT_WIDTHS",
    "DecodedImage",
    "FontInfo",
    "ImageValidationError",
    "OverlayLayout",
    "OverlayResult",
    "OverlaySpec",
    "OverlayValidationError",
    "PlannedRendition",
    "RenderedFile",
    "Treatment",
    "available_fonts",
    "avif_available",
    "check_fits",
    "contrast_ratio",
    "decode_image",
    "dominant_color",
    "draw_overlay",
    "fribidi_available",
    "lqip_data_uri",
    "plan_renditions",
    "probe_image",
    "raqm_available",
    "relative_luminance",
    "render_one",
    "render_overlay",
    "render_renditions",
    "sha256_hex",
]
