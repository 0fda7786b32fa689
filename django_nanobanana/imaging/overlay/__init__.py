"""Exact text overlays drawn by code on top of generated images.

Image models are unreliable at spelling, so any text that must be exact
(prices, dates, names) is drawn here instead, with bundled open fonts.

An :class:`OverlaySpec` describes the overlay in *relative* units (fractions
of the image size, or of the font size), so the same spec drawn on a 320 px
and on a 2048 px rendition looks the same; the text is rasterised at the
final size of each rendition, which keeps small renditions sharp.

Layout in short:

* the text is wrapped at word boundaries (and between CJK characters) to the
  box ``max_width`` wide, inside the margins;
* if the wrapped block is still too wide or too tall, the font shrinks, down
  to ``min_size``; below that :class:`OverlayValidationError` is raised for
  ``text`` (``check_fits`` tells in advance);
* ``anchor`` places the block (plus its padding, when there is a background)
  in one of nine positions, ``margin_x``/``margin_y`` away from the edges;
* characters the chosen font lacks are drawn with the bundled font for their
  script (e.g. digits in a Hebrew line come from the Latin font), so nothing
  renders as tofu; characters no bundled font covers are refused.

With libraqm (``raqm_available()``) Arabic is joined, Devanagari is shaped and
right-to-left text is ordered by the Unicode bidi algorithm; without it
Pillow's basic layout is used: right-to-left runs are reversed so Hebrew
reads correctly, but Arabic and Devanagari are not shaped.

The modules, in the order they build on each other:

* :mod:`.choices`: the fields' choices, defaults and ranges, the legibility targets;
* :mod:`.text`: scripts, direction and break opportunities of a text;
* :mod:`.fonts`: the bundled fonts, their coverage, the font stack for a text;
* :mod:`.validation` and :mod:`.spec`: :class:`OverlaySpec` and its errors;
* :mod:`.runs`: a line cut into one-font runs, ordered for display, measured;
* :mod:`.breaking`: line breaking (greedy, balanced, no lone last word);
* :mod:`.fitting`: the font size and lines that fit, planned once per aspect ratio;
* :mod:`.layout`: :func:`check_fits`, the block placed on one image;
* :mod:`.legibility`: contrast measurement and the ``auto`` style's treatment;
* :mod:`.render`: :func:`draw_overlay` and :func:`render_overlay`.

Import from this package; the modules' own names may move between them.
"""

from __future__ import annotations

from .choices import (
    ALIGNS,
    ANCHORS,
    BACKGROUNDS,
    CONTRAST_PERCENTILE,
    DEFAULT_ALIGN,
    DEFAULT_ANCHOR,
    DEFAULT_BACKGROUND,
    DEFAULT_BACKGROUND_COLOR,
    DEFAULT_BACKGROUND_OPACITY,
    DEFAULT_COLOR,
    DEFAULT_DIRECTION,
    DEFAULT_FONT,
    DEFAULT_LINE_SPACING,
    DEFAULT_MARGIN,
    DEFAULT_MAX_TEXT_LENGTH,
    DEFAULT_MAX_WIDTH,
    DEFAULT_MIN_SIZE,
    DEFAULT_PADDING,
    DEFAULT_SIZE,
    DEFAULT_STROKE_COLOR,
    DEFAULT_STROKE_WIDTH,
    DEFAULT_STYLE,
    DIRECTIONS,
    FIELD_LABELS,
    MAX_BACKGROUND_SPREAD,
    MINIMUM_CONTRAST,
    NUMBER_RANGES,
    OVERLAY_LAYOUT_VERSION,
    REFERENCE_WIDTH,
    SHRINK_FLOOR,
    STYLE_FIELDS,
    STYLES,
    TARGET_CONTRAST,
)
from .fonts import (
    FONTS_DIR,
    FontInfo,
    available_fonts,
    fribidi_available,
    raqm_available,
)
from .layout import (
    OverlayLayout,
    check_fits,
)
from .legibility import (
    Treatment,
    contrast_ratio,
    relative_luminance,
)
from .render import (
    OverlayResult,
    draw_overlay,
    render_overlay,
)
from .spec import (
    OverlaySpec,
)
from .text import (
    detect_direction,
)
from .validation import (
    OverlayValidationError,
)

__all__ = [
    "ALIGNS",
    "ANCHORS",
    "BACKGROUNDS",
    "CONTRAST_PERCENTILE",
    "DEFAULT_ALIGN",
    "DEFAULT_ANCHOR",
    "DEFAULT_BACKGROUND",
    "DEFAULT_BACKGROUND_COLOR",
    "DEFAULT_BACKGROUND_OPACITY",
    "DEFAULT_COLOR",
    "DEFAULT_DIRECTION",
    "DEFAULT_FONT",
    "DEFAULT_LINE_SPACING",
    "DEFAULT_MARGIN",
    "DEFAULT_MAX_TEXT_LENGTH",
    "DEFAULT_MAX_WIDTH",
    "DEFAULT_MIN_SIZE",
    "DEFAULT_PADDING",
    "DEFAULT_SIZE",
    "DEFAULT_STROKE_COLOR",
    "DEFAULT_STROKE_WIDTH",
    "DEFAULT_STYLE",
    "DIRECTIONS",
    "FIELD_LABELS",
    "FONTS_DIR",
    "MAX_BACKGROUND_SPREAD",
    "MINIMUM_CONTRAST",
    "NUMBER_RANGES",
    "OVERLAY_LAYOUT_VERSION",
    "REFERENCE_WIDTH",
    "SHRINK_FLOOR",
    "STYLES",
    "STYLE_FIELDS",
    "TARGET_CONTRAST",
    "FontInfo",
    "OverlayLayout",
    "OverlayResult",
    "OverlaySpec",
    "OverlayValidationError",
    "Treatment",
    "available_fonts",
    "check_fits",
    "contrast_ratio",
    "detect_direction",
    "draw_overlay",
    "fribidi_available",
    "raqm_available",
    "relative_luminance",
    "render_overlay",
]
