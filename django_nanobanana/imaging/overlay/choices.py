"""Constants and choices of text overlays: the spec's fields, their defaults and ranges,
and the legibility targets.

Nothing here draws or measures; every other module of the package reads these.
"""

from __future__ import annotations

from typing import Any

from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

#: Bumped whenever the layout algorithm changes in a visible way, so overlay
#: digests (and therefore rendition file names) change with it.
OVERLAY_LAYOUT_VERSION = 2

DEFAULT_MAX_TEXT_LENGTH = 500

ANCHORS = (
    "top-left",
    "top-center",
    "top-right",
    "middle-left",
    "center",
    "middle-right",
    "bottom-left",
    "bottom-center",
    "bottom-right",
)
BACKGROUNDS = ("none", "band", "box")
ALIGNS = ("left", "center", "right", "start", "end")
DIRECTIONS = ("auto", "ltr", "rtl")
#: ``auto``: text colour and treatment (shadow, scrim) chosen per rendition by measuring
#: the picture; ``custom``: the colour, outline and background fields as given.
STYLES = ("auto", "custom")
#: Fields that only matter with ``style="custom"``; a spec that sets any of them without
#: naming a style is taken as ``custom`` (so specs written before ``auto`` keep their look).
STYLE_FIELDS = ("color", "stroke_width", "stroke_color", "background_color", "background_opacity")

#: WCAG 2.x contrast the ``auto`` style reaches around the glyphs (AA, normal text).
TARGET_CONTRAST = 4.5
#: Below this an explicit (``custom``) style is flagged to the editor (AA, large text).
MINIMUM_CONTRAST = 3.0
#: Share of the pixels around the glyphs allowed below the reported figure (noise, grain).
CONTRAST_PERCENTILE = 0.05
#: The auto style also calms the background: the lightest and darkest pixels around the
#: glyphs (same percentile) may differ by at most this contrast ratio, so stripes and
#: texture do not compete with the letters (a 50% scrim over stripes reaches 4.5:1 and is
#: still hard to read; OCR agrees).
MAX_BACKGROUND_SPREAD = 1.6
#: Shrinking to avoid a line break (or a lone last word) goes down to this share of the
#: font size (or ``min_size`` if larger); below it the text wraps instead.
SHRINK_FLOOR = 0.75
#: Layouts (line breaks, relative font size) are decided once on a canvas this wide with
#: the image's aspect ratio, then drawn at every rendition width.
REFERENCE_WIDTH = 2048

DEFAULT_FONT = "auto"
DEFAULT_SIZE = 0.07
DEFAULT_ANCHOR = "bottom-left"
DEFAULT_MARGIN = 0.05
DEFAULT_MAX_WIDTH = 0.9
DEFAULT_MIN_SIZE = 0.02
DEFAULT_COLOR = "#FFFFFF"
DEFAULT_STROKE_WIDTH = 0.0
DEFAULT_STROKE_COLOR = "#000000"
DEFAULT_BACKGROUND = "none"
DEFAULT_BACKGROUND_COLOR = "#000000"
DEFAULT_BACKGROUND_OPACITY = 0.5
DEFAULT_PADDING = 0.4
DEFAULT_ALIGN = "start"
DEFAULT_DIRECTION = "auto"
DEFAULT_LINE_SPACING = 1.2
DEFAULT_STYLE = "auto"

#: Inclusive numeric ranges of each number field.
NUMBER_RANGES: dict[str, tuple[float, float]] = {
    "size": (0.01, 0.5),
    "margin_x": (0.0, 0.45),
    "margin_y": (0.0, 0.45),
    "max_width": (0.1, 1.0),
    "min_size": (0.005, 0.5),
    "stroke_width": (0.0, 0.25),
    "background_opacity": (0.0, 1.0),
    "padding": (0.0, 2.0),
    "line_spacing": (1.0, 3.0),
}

FIELD_LABELS = {
    "text": _("Text"),
    "font": _("Font"),
    "size": _("Font size"),
    "anchor": _("Position"),
    "margin_x": _("Horizontal margin"),
    "margin_y": _("Vertical margin"),
    "max_width": _("Maximum width"),
    "min_size": _("Minimum font size"),
    "color": _("Text colour"),
    "stroke_width": _("Outline width"),
    "stroke_color": _("Outline colour"),
    "background": _("Background"),
    "background_color": _("Background colour"),
    "background_opacity": _("Background opacity"),
    "padding": _("Padding"),
    "align": _("Alignment"),
    "direction": _("Text direction"),
    "line_spacing": _("Line spacing"),
    "style": _("Style"),
}


def lazy_format(message: Any, **params: Any) -> str:
    """``message % params``, evaluated only when displayed (keeps it translatable)."""
    return lazy(lambda: str(message) % params, str)()
