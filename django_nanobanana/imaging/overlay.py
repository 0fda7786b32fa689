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
"""

from __future__ import annotations

import hashlib
import json
import math
import struct
import threading
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont, features

# ---------------------------------------------------------------------------
# Constants and choices
# ---------------------------------------------------------------------------

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


def _format_lazy(message: Any, **params: Any) -> str:
    """``message % params``, evaluated only when displayed (keeps it translatable)."""
    return lazy(lambda: str(message) % params, str)()


# ---------------------------------------------------------------------------
# Bundled fonts
# ---------------------------------------------------------------------------

FONTS_DIR = Path(__file__).resolve().parent.parent / "fonts"


@dataclass(frozen=True)
class FontInfo:
    """One bundled font file and what it is for."""

    name: str
    path: Path
    family: str
    scripts: tuple[str, ...]
    licence: str
    bold: bool = False


_LATIN = ("latin", "greek", "cyrillic")
_BUNDLED_FONTS: tuple[FontInfo, ...] = (
    FontInfo("sans", FONTS_DIR / "NotoSans-Regular.ttf", "Noto Sans", _LATIN, "OFL-1.1"),
    FontInfo("sans-bold", FONTS_DIR / "NotoSans-Bold.ttf", "Noto Sans", _LATIN, "OFL-1.1", True),
    FontInfo("serif", FONTS_DIR / "NotoSerif-Regular.ttf", "Noto Serif", _LATIN, "OFL-1.1"),
    FontInfo(
        "display", FONTS_DIR / "NotoSansDisplay-Bold.ttf", "Noto Sans Display", _LATIN,
        "OFL-1.1", True,
    ),
    FontInfo(
        "arabic", FONTS_DIR / "NotoSansArabic-Regular.ttf", "Noto Sans Arabic", ("arabic",),
        "OFL-1.1",
    ),
    FontInfo(
        "arabic-bold", FONTS_DIR / "NotoSansArabic-Bold.ttf", "Noto Sans Arabic", ("arabic",),
        "OFL-1.1", True,
    ),
    FontInfo(
        "hebrew", FONTS_DIR / "NotoSansHebrew-Regular.ttf", "Noto Sans Hebrew", ("hebrew",),
        "OFL-1.1",
    ),
    FontInfo(
        "hebrew-bold", FONTS_DIR / "NotoSansHebrew-Bold.ttf", "Noto Sans Hebrew", ("hebrew",),
        "OFL-1.1", True,
    ),
    FontInfo(
        "devanagari", FONTS_DIR / "NotoSansDevanagari-Regular.ttf", "Noto Sans Devanagari",
        ("devanagari",), "OFL-1.1",
    ),
    FontInfo(
        "devanagari-bold", FONTS_DIR / "NotoSansDevanagari-Bold.ttf", "Noto Sans Devanagari",
        ("devanagari",), "OFL-1.1", True,
    ),
    FontInfo(
        "thai", FONTS_DIR / "NotoSansThai-Regular.ttf", "Noto Sans Thai", ("thai",), "OFL-1.1",
    ),
    FontInfo(
        "thai-bold", FONTS_DIR / "NotoSansThai-Bold.ttf", "Noto Sans Thai", ("thai",),
        "OFL-1.1", True,
    ),
    FontInfo(
        "cjk", FONTS_DIR / "DroidSansFallbackFull.ttf", "Droid Sans Fallback",
        ("han", "hiragana", "katakana", "bopomofo"), "Apache-2.0",
    ),
    FontInfo(
        "korean", FONTS_DIR / "NanumSquareR.ttf", "NanumSquare", ("hangul", "han", "latin"),
        "OFL-1.1",
    ),
    FontInfo(
        "korean-bold", FONTS_DIR / "NanumSquareB.ttf", "NanumSquare", ("hangul", "han", "latin"),
        "OFL-1.1", True,
    ),
)  # fmt: skip

# Which slug draws which script, per weight (CJK has no bold face bundled).
_SCRIPT_FONTS = {
    False: {"latin": "sans", "arabic": "arabic", "hebrew": "hebrew",
            "devanagari": "devanagari", "thai": "thai", "korean": "korean", "cjk": "cjk"},
    True: {"latin": "sans-bold", "arabic": "arabic-bold", "hebrew": "hebrew-bold",
           "devanagari": "devanagari-bold", "thai": "thai-bold", "korean": "korean-bold",
           "cjk": "cjk"},
}  # fmt: skip
_SCRIPT_ORDER = ("latin", "arabic", "hebrew", "devanagari", "thai", "korean", "cjk")


def available_fonts() -> dict[str, FontInfo]:
    """The bundled fonts by slug (``sans``, ``sans-bold``, ``serif``, ``arabic``...)."""
    return {info.name: info for info in _BUNDLED_FONTS}


def _font_choices() -> tuple[str, ...]:
    return ("auto", *(info.name for info in _BUNDLED_FONTS))


@cache
def _coverage(path: Path) -> frozenset[int]:
    """Code points the font maps to a real glyph, read from its ``cmap`` table.

    A small sfnt parser (formats 4 and 12) so the package needs nothing but
    Pillow; results are cached per file.
    """
    data = path.read_bytes()
    (num_tables,) = struct.unpack_from(">H", data, 4)
    cmap_offset = None
    for i in range(num_tables):
        tag, _checksum, offset, _length = struct.unpack_from(">4sIII", data, 12 + 16 * i)
        if tag == b"cmap":
            cmap_offset = offset
            break
    if cmap_offset is None:
        return frozenset()
    _version, num_subtables = struct.unpack_from(">HH", data, cmap_offset)
    subtables: dict[tuple[int, int], int] = {}
    for i in range(num_subtables):
        platform, encoding, offset = struct.unpack_from(">HHI", data, cmap_offset + 4 + 8 * i)
        subtables[(platform, encoding)] = cmap_offset + offset
    for key in ((3, 10), (0, 4), (0, 6), (3, 1), (0, 3), (0, 1), (0, 0)):
        if key not in subtables:
            continue
        table = subtables[key]
        (fmt,) = struct.unpack_from(">H", data, table)
        if fmt == 12:
            return _parse_cmap12(data, table)
        if fmt == 4:
            return _parse_cmap4(data, table)
    return frozenset()


def _parse_cmap4(data: bytes, table: int) -> frozenset[int]:
    seg_x2 = struct.unpack_from(">H", data, table + 6)[0]
    seg = seg_x2 // 2
    ends = struct.unpack_from(f">{seg}H", data, table + 14)
    starts = struct.unpack_from(f">{seg}H", data, table + 16 + seg_x2)
    deltas = struct.unpack_from(f">{seg}h", data, table + 16 + 2 * seg_x2)
    range_offsets_at = table + 16 + 3 * seg_x2
    range_offsets = struct.unpack_from(f">{seg}H", data, range_offsets_at)
    covered: set[int] = set()
    for i in range(seg):
        start, end, delta, ro = starts[i], ends[i], deltas[i], range_offsets[i]
        if start == 0xFFFF:
            continue
        for code in range(start, end + 1):
            if ro == 0:
                glyph = (code + delta) & 0xFFFF
            else:
                at = range_offsets_at + 2 * i + ro + 2 * (code - start)
                glyph = struct.unpack_from(">H", data, at)[0]
                if glyph:
                    glyph = (glyph + delta) & 0xFFFF
            if glyph:
                covered.add(code)
    return frozenset(covered)


def _parse_cmap12(data: bytes, table: int) -> frozenset[int]:
    (groups,) = struct.unpack_from(">I", data, table + 12)
    covered: set[int] = set()
    for i in range(groups):
        start, end, glyph = struct.unpack_from(">III", data, table + 16 + 12 * i)
        covered.update(range(start if glyph else start + 1, end + 1))
    return frozenset(covered)


def raqm_available() -> bool:
    """True when Pillow has libraqm (complex-script shaping and bidi)."""
    return bool(features.check("raqm"))


def fribidi_available() -> bool:
    """True when libraqm can use FriBiDi for right-to-left ordering."""
    return bool(features.check("fribidi"))


def _layout_engine() -> ImageFont.Layout:
    return ImageFont.Layout.RAQM if raqm_available() else ImageFont.Layout.BASIC


_thread_fonts = threading.local()


def _load_font(info: FontInfo, size: int) -> ImageFont.FreeTypeFont:
    """A FreeType font object, cached per thread (FreeType faces are not thread-safe)."""
    cache_dict = getattr(_thread_fonts, "fonts", None)
    if cache_dict is None:
        cache_dict = _thread_fonts.fonts = {}
    key = (info.name, size)
    font = cache_dict.get(key)
    if font is None:
        if len(cache_dict) > 256:
            cache_dict.clear()
        font = ImageFont.truetype(str(info.path), size=size, layout_engine=_layout_engine())
        cache_dict[key] = font
    return font


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------


class OverlayValidationError(ValueError):
    """Invalid overlay; ``field_errors`` maps field names to translatable messages."""

    def __init__(self, field_errors: Mapping[str, list[Any]]) -> None:
        self.field_errors: dict[str, list[Any]] = {k: list(v) for k, v in field_errors.items()}
        super().__init__(self.field_errors)

    def __str__(self) -> str:
        parts = [
            f"{name}: {'; '.join(str(m) for m in msgs)}" for name, msgs in self.field_errors.items()
        ]
        return "; ".join(parts)


def _clean_number(name: str, value: Any, errors: dict[str, list[Any]]) -> float | None:
    low, high = NUMBER_RANGES[name]
    number: float | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int | float | Decimal):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            number = None
    if number is None or not math.isfinite(number):
        errors.setdefault(name, []).append(
            _format_lazy(_("%(field)s must be a number."), field=FIELD_LABELS[name])
        )
        return None
    if not low <= number <= high:
        errors.setdefault(name, []).append(
            _format_lazy(
                _("%(field)s must be between %(min)s and %(max)s."),
                field=FIELD_LABELS[name],
                min=f"{low:g}",
                max=f"{high:g}",
            )
        )
        return None
    return number


def _clean_choice(
    name: str, value: Any, choices: Iterable[str], errors: dict[str, list[Any]]
) -> str | None:
    choices = tuple(choices)
    if isinstance(value, str) and value.strip().lower() in choices:
        return value.strip().lower()
    errors.setdefault(name, []).append(
        _format_lazy(
            _("%(field)s must be one of: %(choices)s."),
            field=FIELD_LABELS[name],
            choices=", ".join(choices),
        )
    )
    return None


def _clean_color(name: str, value: Any, errors: dict[str, list[Any]]) -> str | None:
    if isinstance(value, str):
        text = value.strip()
        if (
            text.startswith("#")
            and len(text) in (7, 9)
            and all(c in "0123456789abcdefABCDEF" for c in text[1:])
        ):
            return text.upper()
    errors.setdefault(name, []).append(
        _format_lazy(
            _("%(field)s must be a colour written #RRGGBB or #RRGGBBAA."),
            field=FIELD_LABELS[name],
        )
    )
    return None


_LINE_BREAKS = str.maketrans({"\r": "\n", "\u2028": "\n", "\u2029": "\n", "\x85": "\n"})


def _clean_text(value: Any, errors: dict[str, list[Any]]) -> str | None:
    label = FIELD_LABELS["text"]
    if not isinstance(value, str):
        errors.setdefault("text", []).append(
            _format_lazy(_("%(field)s must be a string."), field=label)
        )
        return None
    text = unicodedata.normalize("NFC", value.replace("\r\n", "\n").translate(_LINE_BREAKS))
    text = "\n".join(line.strip() for line in text.strip().split("\n"))
    if not text:
        errors.setdefault("text", []).append(
            _format_lazy(_("%(field)s must not be empty."), field=label)
        )
        return None
    bad = sorted(
        {c for c in text if c != "\n" and unicodedata.category(c) in ("Cc", "Cs", "Co", "Cn")}
    )
    if bad:
        errors.setdefault("text", []).append(
            _format_lazy(
                _("%(field)s contains control or unassigned characters: %(chars)s."),
                field=label,
                chars=", ".join(f"U+{ord(c):04X}" for c in bad),
            )
        )
    if len(text) > DEFAULT_MAX_TEXT_LENGTH:
        errors.setdefault("text", []).append(
            _format_lazy(
                _("%(field)s is %(length)d characters long; the limit is %(max)d."),
                field=label,
                length=len(text),
                max=DEFAULT_MAX_TEXT_LENGTH,
            )
        )
    return None if bad or len(text) > DEFAULT_MAX_TEXT_LENGTH else text


# ---------------------------------------------------------------------------
# The spec
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class OverlaySpec:
    """A validated, immutable, hashable description of one text overlay.

    Build it with :meth:`from_dict` (which reports every bad field at once);
    direct construction validates too and raises on the first problems.
    """

    text: str
    font: str = DEFAULT_FONT
    size: float = DEFAULT_SIZE
    anchor: str = DEFAULT_ANCHOR
    margin_x: float = DEFAULT_MARGIN
    margin_y: float = DEFAULT_MARGIN
    max_width: float = DEFAULT_MAX_WIDTH
    min_size: float = DEFAULT_MIN_SIZE
    color: str = DEFAULT_COLOR
    stroke_width: float = DEFAULT_STROKE_WIDTH
    stroke_color: str = DEFAULT_STROKE_COLOR
    background: str = DEFAULT_BACKGROUND
    background_color: str = DEFAULT_BACKGROUND_COLOR
    background_opacity: float = DEFAULT_BACKGROUND_OPACITY
    padding: float = DEFAULT_PADDING
    align: str = DEFAULT_ALIGN
    direction: str = DEFAULT_DIRECTION
    line_spacing: float = DEFAULT_LINE_SPACING
    style: str = DEFAULT_STYLE
    _validated: bool = field(default=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        if self._validated:
            return
        errors: dict[str, list[Any]] = {}
        values = {f: getattr(self, f) for f in _FIELD_NAMES}
        cleaned = _clean_all(values, errors, self.min_size != DEFAULT_MIN_SIZE)
        if errors:
            raise OverlayValidationError(errors)
        for name, value in cleaned.items():
            object.__setattr__(self, name, value)
        object.__setattr__(self, "_validated", True)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> OverlaySpec:
        """Validate user input (form/JSON data) into a spec.

        Raises :class:`OverlayValidationError` listing every invalid or
        unknown field.  ``min_size`` larger than ``size`` is an error only
        when it was given explicitly; otherwise it is lowered to ``size``.
        """
        if not isinstance(data, Mapping):
            raise OverlayValidationError(
                {"__all__": [_("The overlay must be an object of named fields.")]}
            )
        values = dict(_DEFAULT_VALUES)
        errors: dict[str, list[Any]] = {}
        for key, value in data.items():
            if key in _FIELD_NAMES:
                values[key] = value
            else:
                errors.setdefault(str(key), []).append(_("Unknown field."))
        if "style" not in data and any(name in data for name in STYLE_FIELDS):
            values["style"] = "custom"
        if "background" in data and "style" not in data and data["background"] != "none":
            values["style"] = "custom"
        if "text" not in data:
            errors["text"] = [_("This field is required.")]
            values["text"] = "-"  # placeholder so the other fields are still checked
        cleaned = _clean_all(values, errors, "min_size" in data)
        if errors:
            raise OverlayValidationError(errors)
        return cls(**cleaned, _validated=True)

    def to_dict(self) -> dict[str, Any]:
        """Canonical JSON-serialisable form: every field, nothing else."""
        return {name: getattr(self, name) for name in _FIELD_NAMES}

    def digest(self) -> str:
        """Short stable hash of the canonical form (and the layout version).

        Used in rendition file names so a changed overlay gets new files.
        """
        payload = json.dumps(
            {"v": OVERLAY_LAYOUT_VERSION, **self.to_dict()},
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


_FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in fields(OverlaySpec) if f.name != "_validated")


_DEFAULT_VALUES: dict[str, Any] = {
    f.name: f.default for f in fields(OverlaySpec) if f.name in _FIELD_NAMES and f.name != "text"
}


def _clean_all(
    values: Mapping[str, Any], errors: dict[str, list[Any]], explicit_min: bool
) -> dict[str, Any]:
    """Validate and normalise every field, appending messages to ``errors``."""
    out: dict[str, Any] = {}
    out["text"] = _clean_text(values["text"], errors)
    out["font"] = _clean_choice("font", values["font"], _font_choices(), errors)
    for name in NUMBER_RANGES:
        out[name] = _clean_number(name, values[name], errors)
    out["anchor"] = _clean_choice("anchor", values["anchor"], ANCHORS, errors)
    out["background"] = _clean_choice("background", values["background"], BACKGROUNDS, errors)
    out["align"] = _clean_choice("align", values["align"], ALIGNS, errors)
    out["direction"] = _clean_choice("direction", values["direction"], DIRECTIONS, errors)
    out["style"] = _clean_choice("style", values["style"], STYLES, errors)
    for name in ("color", "stroke_color", "background_color"):
        out[name] = _clean_color(name, values[name], errors)
    size, min_size = out["size"], out["min_size"]
    if size is not None and min_size is not None and min_size > size:
        if explicit_min:
            errors.setdefault("min_size", []).append(
                _format_lazy(
                    _("%(field)s must not be larger than the font size."),
                    field=FIELD_LABELS["min_size"],
                )
            )
        else:
            out["min_size"] = size
    return out


# ---------------------------------------------------------------------------
# Text analysis
# ---------------------------------------------------------------------------

_SCRIPT_RANGES: tuple[tuple[str, tuple[tuple[int, int], ...]], ...] = (
    ("arabic", ((0x0600, 0x06FF), (0x0750, 0x077F), (0x0870, 0x08FF), (0xFB50, 0xFDFF),
                (0xFE70, 0xFEFF))),
    ("hebrew", ((0x0590, 0x05FF), (0xFB1D, 0xFB4F))),
    ("devanagari", ((0x0900, 0x097F), (0xA8E0, 0xA8FF), (0x1CD0, 0x1CFF))),
    ("thai", ((0x0E00, 0x0E7F),)),
    ("korean", ((0x1100, 0x11FF), (0x3130, 0x318F), (0xA960, 0xA97F), (0xAC00, 0xD7FF))),
    ("cjk", ((0x2E80, 0x2FDF), (0x2FF0, 0x31FF), (0x3200, 0x4DBF),
             (0x4E00, 0x9FFF), (0xA960, 0xA97F), (0xAC00, 0xD7FF), (0xF900, 0xFAFF),
             (0xFE30, 0xFE4F), (0xFF00, 0xFFEF), (0x20000, 0x3FFFF))),
)  # fmt: skip

# Characters that may be broken around individually (Han, kana, CJK punctuation).
_CJK_BREAKABLE = ((0x2E80, 0x2FDF), (0x2FF0, 0x31FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF),
                  (0xF900, 0xFAFF), (0xFF00, 0xFF60), (0x20000, 0x3FFFF))  # fmt: skip
# Kinsoku: no line may start with these, none may end with the openers.
_NO_LINE_START = set(
    "、。，．,.!?！？：；:;）)]｝〕〉》」』】〙〗〟’”ゝゞーァィゥェォッャュョヮヵヶぁぃぅぇぉっゃゅょゎゕゖㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ々〻…‥"  # noqa: RUF001
)
_NO_LINE_END = set("（([｛〔〈《「『【〘〖〝‘“")  # noqa: RUF001


def _script_of(char: str) -> str | None:
    code = ord(char)
    for script, ranges in _SCRIPT_RANGES:
        for low, high in ranges:
            if low <= code <= high:
                return script
    if unicodedata.bidirectional(char) == "L":
        return "latin"
    return None


def _dominant_script(text: str) -> str:
    counts: dict[str, int] = {}
    for char in text:
        script = _script_of(char)
        if script and (script != "latin" or char.isalpha()):
            counts[script] = counts.get(script, 0) + 1
    if not counts:
        return "latin"
    # max() keeps the first-seen script on ties (dicts keep insertion order).
    return max(counts, key=lambda s: counts[s])


def detect_direction(text: str) -> str:
    """``"rtl"`` or ``"ltr"`` from the first strong character (Unicode bidi P2/P3)."""
    for char in text:
        bidi = unicodedata.bidirectional(char)
        if bidi in ("R", "AL"):
            return "rtl"
        if bidi == "L":
            return "ltr"
    return "ltr"


def _run_direction(text: str) -> str | None:
    has_rtl = has_ltr = has_number = False
    for char in text:
        bidi = unicodedata.bidirectional(char)
        if bidi in ("R", "AL"):
            has_rtl = True
        elif bidi == "L":
            has_ltr = True
        elif bidi in ("EN", "AN"):
            has_number = True
    if has_rtl and not has_ltr:
        return "rtl"
    if has_ltr and not has_rtl:
        return "ltr"
    if has_rtl and has_ltr:
        return "mixed"
    return "ltr" if has_number else None


def _is_cjk_breakable(char: str) -> bool:
    code = ord(char)
    return any(low <= code <= high for low, high in _CJK_BREAKABLE)


def _tokens(paragraph: str) -> list[str]:
    """Split a paragraph into unbreakable tokens; each whitespace run is a token.

    Breaks are allowed at whitespace and around CJK characters (which are
    written without spaces), except before closing and after opening
    punctuation (a light form of Japanese *kinsoku*).
    """
    tokens: list[str] = []
    for char in paragraph:
        previous = tokens[-1] if tokens else None
        if char.isspace():
            if previous is not None and previous.isspace():
                tokens[-1] += char
            else:
                tokens.append(char)
        elif previous is None or previous.isspace():
            tokens.append(char)
        elif char in _NO_LINE_START or previous[-1] in _NO_LINE_END:
            tokens[-1] += char
        elif _is_cjk_breakable(char) or _is_cjk_breakable(previous[-1]):
            tokens.append(char)
        else:
            tokens[-1] += char
    return tokens


# ---------------------------------------------------------------------------
# Font selection and runs
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Run:
    text: str
    font: FontInfo
    direction: str | None  # "ltr", "rtl", "mixed" or None (neutral)
    is_space: bool = False


def _font_stack(spec_font: str, text: str) -> tuple[FontInfo, ...]:
    """Primary font first, then the script fonts used as fallbacks."""
    fonts = available_fonts()
    if spec_font == "auto":
        primary = fonts[_SCRIPT_FONTS[False][_dominant_script(text)]]
    else:
        primary = fonts[spec_font]
    stack = [primary]
    for bold in (primary.bold, not primary.bold):
        for script in _SCRIPT_ORDER:
            candidate = fonts[_SCRIPT_FONTS[bold][script]]
            if candidate not in stack:
                stack.append(candidate)
    return tuple(stack)


def _needs_no_glyph(char: str) -> bool:
    # Variation selectors (U+FE0E/FE0F) only pick a presentation; the font needs none.
    return unicodedata.category(char) == "Cf" or char in "\n\ufe0e\ufe0f"


def _is_emoji(char: str) -> bool:
    code = ord(char)
    pictograph = unicodedata.category(char) == "So" and (
        0x1F000 <= code <= 0x1FAFF or 0x2600 <= code <= 0x27BF or 0x2B00 <= code <= 0x2BFF
    )
    return pictograph or 0x1F1E6 <= code <= 0x1F1FF or 0x1F3FB <= code <= 0x1F3FF


def _missing_characters(text: str, stack: tuple[FontInfo, ...]) -> list[str]:
    missing = []
    for char in dict.fromkeys(text):
        if _needs_no_glyph(char) or char.isspace():
            continue
        if not any(ord(char) in _coverage(info.path) for info in stack):
            missing.append(char)
    return missing


def _split_runs(line: str, stack: tuple[FontInfo, ...]) -> list[_Run]:
    """Split a line into runs of one font each.

    Combining marks and format characters stay with the run they follow;
    whitespace at a font change becomes its own neutral run, so it can take
    the paragraph direction when the runs are reordered.
    """
    pieces: list[tuple[str, FontInfo | None]] = []  # None font: whitespace
    for char in line:
        category = unicodedata.category(char)
        if char.isspace():
            font = None
        elif category in ("Mn", "Mc", "Me", "Cf") and pieces and pieces[-1][1] is not None:
            font = pieces[-1][1]
        else:
            # Prefer continuity with the last font used (across whitespace).
            current = next((f for _t, f in reversed(pieces) if f is not None), None)
            if current is not None and ord(char) in _coverage(current.path):
                font = current
            else:
                font = next((f for f in stack if ord(char) in _coverage(f.path)), stack[0])
        if pieces and pieces[-1][1] is font:
            pieces[-1] = (pieces[-1][0] + char, font)
        else:
            pieces.append((char, font))
    # Whitespace between two pieces of the same font joins them.
    joined: list[tuple[str, FontInfo | None]] = []
    i = 0
    while i < len(pieces):
        text, font = pieces[i]
        if (
            font is None
            and joined
            and joined[-1][1] is not None
            and i + 1 < len(pieces)
            and pieces[i + 1][1] is joined[-1][1]
        ):
            joined[-1] = (joined[-1][0] + text + pieces[i + 1][0], joined[-1][1])
            i += 2
            continue
        if joined and font is not None and joined[-1][1] is font:
            joined[-1] = (joined[-1][0] + text, font)
        else:
            joined.append((text, font))
        i += 1
    runs = []
    for index, (text, font) in enumerate(joined):
        if font is None:
            # Whitespace: measured with a neighbouring font.
            neighbour = next(
                (f for _t, f in joined[index + 1 :] if f is not None),
                next((f for _t, f in reversed(joined[:index]) if f is not None), stack[0]),
            )
            runs.append(_Run(text, neighbour, None, is_space=True))
        else:
            runs.append(_Run(text, font, _run_direction(text)))
    return runs


def _visual_order(runs: list[_Run], base: str) -> list[tuple[_Run, str]]:
    """Order runs for display (Unicode bidi rule L2 applied at the run level).

    Returns each run with the direction to shape it in.  Neutral runs take the
    direction of their neighbours when both agree, else the paragraph's.
    """
    para_rtl = base == "rtl"
    resolved: list[str] = []
    for index, run in enumerate(runs):
        direction = run.direction
        if direction == "mixed":
            direction = base
        if direction is None:
            before = next((r.direction for r in reversed(runs[:index]) if r.direction), None)
            after = next((r.direction for r in runs[index + 1 :] if r.direction), None)
            direction = before if before == after and before in ("ltr", "rtl") else base
        resolved.append(direction)
    if para_rtl:
        levels = [1 if d == "rtl" else 2 for d in resolved]
    else:
        levels = [1 if d == "rtl" else 0 for d in resolved]
    order = list(range(len(runs)))
    highest = max(levels, default=0)
    lowest_odd = min((lv for lv in levels if lv % 2), default=highest + 1)
    for level in range(highest, lowest_odd - 1, -1):
        i = 0
        while i < len(order):
            if levels[order[i]] >= level:
                j = i
                while j < len(order) and levels[order[j]] >= level:
                    j += 1
                order[i:j] = reversed(order[i:j])
                i = j
            else:
                i += 1
    return [(runs[i], resolved[i]) for i in order]


def _measure(font: ImageFont.FreeTypeFont, text: str, direction: str) -> float:
    if not text:
        return 0.0
    if font.layout_engine == ImageFont.Layout.RAQM:
        return font.getlength(text, direction=direction)
    return font.getlength(text)


def _basic_text(text: str, direction: str) -> str:
    # Without raqm there is no bidi: reverse right-to-left runs so at least
    # unshaped scripts (Hebrew) read in the right order.
    return text[::-1] if direction == "rtl" else text


# ---------------------------------------------------------------------------
# Layout
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Line:
    text: str
    runs: tuple[_Run, ...]
    single_font: bool
    width: float


@dataclass(frozen=True)
class OverlayLayout:
    """Where and how an overlay lands on an image of a given size.

    ``text_box`` and ``background_box`` are ``(left, top, right, bottom)``
    pixel boxes; ``background_box`` is the background a ``custom`` style
    paints (None without one).  ``scrim_box`` is where the ``auto`` style
    puts a scrim when the picture needs one (a band when ``background`` is
    ``band``, else a box around the text); a band anchored at the top or
    bottom reaches that edge of the image.
    """

    width: int
    height: int
    font_size: int
    fonts: tuple[str, ...]
    direction: str
    lines: tuple[str, ...]
    text_box: tuple[int, int, int, int]
    background_box: tuple[int, int, int, int] | None
    scrim_box: tuple[int, int, int, int] = (0, 0, 0, 0)
    _lines: tuple[_Line, ...] = field(default=(), repr=False, compare=False)
    _stack: tuple[FontInfo, ...] = field(default=(), repr=False, compare=False)
    _baselines: tuple[tuple[float, float], ...] = field(default=(), repr=False, compare=False)


class _NoFit(Exception):
    pass


def _measure_line(text: str, stack: tuple[FontInfo, ...], size: int, base: str) -> _Line:
    runs = tuple(_split_runs(text, stack)) if text else ()
    fonts_used = {run.font.name for run in runs if not run.is_space}
    single = len(fonts_used) <= 1
    if not runs:
        return _Line(text, runs, True, 0.0)
    if single:
        font_info = next((r.font for r in runs if not r.is_space), runs[0].font)
        font = _load_font(font_info, size)
        return _Line(text, runs, True, _measure(font, text, base))
    total = 0.0
    for run, direction in _visual_order(list(runs), base):
        total += _measure(_load_font(run.font, size), run.text, direction)
    return _Line(text, runs, False, total)


def _wrap_paragraph(
    paragraph: str, stack: tuple[FontInfo, ...], size: int, base: str, limit: float
) -> list[_Line]:
    """Greedy line filling of one paragraph; raises _NoFit when a single token is too wide."""
    lines: list[_Line] = []
    current = ""
    current_line: _Line | None = None
    for token in _tokens(paragraph):
        if token.isspace():
            if current:
                current += token  # kept only if a word follows on this line
            continue
        measured = _measure_line(current + token, stack, size, base)
        if measured.width <= limit:
            current, current_line = current + token, measured
            continue
        if current_line is not None:
            lines.append(current_line)
        measured = _measure_line(token, stack, size, base)
        if measured.width > limit:
            raise _NoFit
        current, current_line = token, measured
    lines.append(current_line if current_line is not None else _Line("", (), True, 0.0))
    return lines


def _wrap(
    text: str, stack: tuple[FontInfo, ...], size: int, base: str, limit: float
) -> list[list[_Line]]:
    """Greedy lines, grouped by paragraph (explicit line breaks)."""
    return [_wrap_paragraph(p, stack, size, base, limit) for p in text.split("\n")]


def _balance(
    paragraphs: list[list[_Line]],
    stack: tuple[FontInfo, ...],
    size: int,
    base: str,
    limit: float,
) -> list[list[_Line]]:
    """Same number of lines per paragraph, as even in width as possible.

    The narrowest measure that still gives the greedy line count is found by
    bisection and the paragraph re-filled at it (what CSS calls
    ``text-wrap: balance``): no long first line over a short last one.
    """
    out = []
    for lines in paragraphs:
        if len(lines) < 2:
            out.append(lines)
            continue
        paragraph = "".join(line.text + " " for line in lines).strip()
        low, high, best = 0.0, float(limit), lines
        while high - low > 1.0:
            middle = (low + high) / 2
            try:
                trial = _wrap_paragraph(paragraph, stack, size, base, middle)
            except _NoFit:
                trial = None
            if trial is not None and len(trial) <= len(lines):
                best, high = trial, middle
            else:
                low = middle
        out.append(_no_widow(best, stack, size, base, limit))
    return out


def _no_widow(
    lines: list[_Line], stack: tuple[FontInfo, ...], size: int, base: str, limit: float
) -> list[_Line]:
    """Bring the previous line's last word down to a lone last word, when it fits."""
    if len(lines) < 2 or not _lone_last_word([lines]):
        return lines
    tokens = _tokens(lines[-2].text.rstrip())
    if len([t for t in tokens if not t.isspace()]) < 2:
        return lines
    word = tokens.pop()
    joint = ""
    while tokens and tokens[-1].isspace():
        joint = " "
        tokens.pop()
    previous = _measure_line("".join(tokens), stack, size, base)
    last = _measure_line(word + joint + lines[-1].text, stack, size, base)
    if last.width > limit:
        return lines
    return [*lines[:-2], previous, last]


def _lone_last_word(paragraphs: list[list[_Line]]) -> bool:
    """A wrapped paragraph whose last line is one word (or one CJK character)."""
    for lines in paragraphs:
        if len(lines) > 1 and len([t for t in _tokens(lines[-1].text) if not t.isspace()]) == 1:
            return True
    return False


def _line_metrics(lines: list[_Line], stack: tuple[FontInfo, ...], size: int) -> tuple[int, int]:
    used = {run.font.name: run.font for line in lines for run in line.runs} or {
        stack[0].name: stack[0]
    }
    ascent = descent = 0
    for info in used.values():
        a, d = _load_font(info, size).getmetrics()
        ascent, descent = max(ascent, a), max(descent, d)
    return ascent, descent


@dataclass(frozen=True)
class _Frame:
    """The space an overlay may use on one canvas at one font size."""

    stroke: int
    pad: int
    margin_x: float
    margin_y: float
    text_limit: float
    avail_h: float


def _frame(spec: OverlaySpec, width: int, height: int, size: int) -> _Frame:
    # Safe margins are fractions of the shorter side: the same inset on every edge, growing
    # with the image.  The auto style always reserves the padding of its possible scrim, so
    # choosing a scrim never moves the text.
    stroke = round(spec.stroke_width * size) if spec.style == "custom" else 0
    padded = spec.style == "auto" or spec.background != "none"
    pad = round(spec.padding * size) if padded else 0
    short = min(width, height)
    margin_x, margin_y = spec.margin_x * short, spec.margin_y * short
    avail_w = min(spec.max_width * width, width - 2 * margin_x)
    return _Frame(
        stroke, pad, margin_x, margin_y, avail_w - 2 * pad - 2 * stroke, height - 2 * margin_y
    )


def _block_height(lines: list[_Line], stack, size: int, spec: OverlaySpec, stroke: int) -> int:
    ascent, descent = _line_metrics(lines, stack, size)
    advance = round(size * spec.line_spacing)
    return (len(lines) - 1) * advance + ascent + descent + 2 * stroke


def _fit(
    spec: OverlaySpec, width: int, height: int, size: int, stack, base
) -> list[list[_Line]] | None:
    """Greedy lines at ``size`` when they fit the frame, else None."""
    frame = _frame(spec, width, height, size)
    if frame.text_limit <= 0:
        return None
    try:
        paragraphs = _wrap(spec.text, stack, size, base, frame.text_limit)
    except _NoFit:
        return None
    lines = [line for p in paragraphs for line in p]
    if _block_height(lines, stack, size, spec, frame.stroke) + 2 * frame.pad > frame.avail_h:
        return None
    return paragraphs


def _too_long() -> OverlayValidationError:
    return OverlayValidationError(
        {
            "text": [
                _(
                    "The text is too long to fit in the overlay box, even at the minimum font "
                    "size. Shorten it, or allow a wider box or a smaller minimum size."
                )
            ]
        }
    )


def _count(paragraphs: list[list[_Line]]) -> int:
    return sum(len(p) for p in paragraphs)


@lru_cache(maxsize=256)
def _plan(
    spec: OverlaySpec, width: int, height: int, stack: tuple[FontInfo, ...], base: str
) -> tuple[tuple[str, ...], float]:
    """Line breaks and font size (as a fraction of the height) for this canvas.

    1. the largest size in ``[min_size, size]`` at which the text fits;
    2. shrink before wrap: if a size down to ``SHRINK_FLOOR`` of the font size
       (not below ``min_size``) needs fewer lines, the largest such size;
    3. the lines are balanced;
    4. a paragraph ending in a lone word takes the largest size in that same
       range that avoids it without adding a line, if there is one.
    """
    largest = max(1, round(spec.size * height))
    smallest = max(1, min(largest, round(spec.min_size * height)))
    size, best = largest, _fit(spec, width, height, largest, stack, base)
    if best is None:
        low, high = smallest, largest - 1
        while low <= high:
            middle = (low + high) // 2
            found = _fit(spec, width, height, middle, stack, base)
            if found is None:
                high = middle - 1
            else:
                best, size, low = found, middle, middle + 1
        if best is None:
            raise _too_long()
    floor = min(size, max(smallest, round(SHRINK_FLOOR * largest)))
    if floor < size and _count(best) > len(best):
        fewest = _fit(spec, width, height, floor, stack, base)
        if fewest is not None and _count(fewest) < _count(best):
            target = _count(fewest)
            low, high, found_low = floor, size, fewest  # low fits target; high does not
            while high - low > 1:
                middle = (low + high) // 2
                found = _fit(spec, width, height, middle, stack, base)
                if found is not None and _count(found) <= target:
                    low, found_low = middle, found
                else:
                    high = middle
            size, best = low, found_low

    def balanced(at: int, paragraphs: list[list[_Line]]) -> list[list[_Line]]:
        limit = _frame(spec, width, height, at).text_limit
        return _balance(paragraphs, stack, at, base, limit)

    lines = balanced(size, best)
    if _lone_last_word(lines):
        step = max(1, largest // 50)
        trial_size = size - step
        while trial_size >= floor:
            found = _fit(spec, width, height, trial_size, stack, base)
            if found is not None and _count(found) <= _count(best):
                trial = balanced(trial_size, found)
                if not _lone_last_word(trial):
                    size, lines = trial_size, trial
                    break
            trial_size -= step
    return tuple(line.text for p in lines for line in p), size / height


def _reference_canvas(width: int, height: int) -> tuple[int, int]:
    scale = REFERENCE_WIDTH / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _refuse_missing(text: str, stack: tuple[FontInfo, ...]) -> None:
    missing = _missing_characters(text, stack)
    if not missing:
        return
    emoji = [c for c in missing if _is_emoji(c)]
    other = [c for c in missing if not _is_emoji(c)]
    messages: list[Any] = []

    def named(chars: list[str]) -> str:
        return ", ".join(f"{c} (U+{ord(c):04X})" for c in chars[:20])

    if emoji:
        messages.append(
            _format_lazy(
                _(
                    "Emoji cannot be drawn: no colour emoji font is bundled. Remove these "
                    "characters or write them as words: %(chars)s"
                ),
                chars=named(emoji),
            )
        )
    if other:
        messages.append(
            _format_lazy(
                _("These characters cannot be drawn with the bundled fonts: %(chars)s"),
                chars=named(other),
            )
        )
    raise OverlayValidationError({"text": messages})


def check_fits(spec: OverlaySpec, width: int, height: int) -> OverlayLayout:
    """Lay ``spec`` out on a ``width`` x ``height`` image, or explain why it cannot.

    Raises :class:`OverlayValidationError` for ``text`` when the text needs a
    character no bundled font has, or cannot fit in the box even at
    ``min_size``.  Returns the :class:`OverlayLayout` otherwise.

    The line breaks and the font size relative to the image are decided once
    for the image's aspect ratio (on a canvas ``REFERENCE_WIDTH`` px on its
    longer side), so every rendition width shows the same layout; each
    rendition then rasterises at its own pixel size.
    """
    if width < 1 or height < 1:
        raise OverlayValidationError({"text": [_("The image has no pixels to draw on.")]})
    stack = _font_stack(spec.font, spec.text)
    _refuse_missing(spec.text, stack)
    base = spec.direction if spec.direction != "auto" else detect_direction(spec.text)
    try:
        texts, relative = _plan(spec, *_reference_canvas(width, height), stack, base)
    except OverlayValidationError:
        texts, relative = _plan(spec, width, height, stack, base)
    size = max(1, round(relative * height))
    lines = frame = None
    lowest = max(1, math.floor(size * 0.85))
    while size >= lowest:
        frame = _frame(spec, width, height, size)
        lines = [_measure_line(t, stack, size, base) for t in texts]
        block_h = _block_height(lines, stack, size, spec, frame.stroke)
        if (
            max(line.width for line in lines) <= frame.text_limit
            and block_h + 2 * frame.pad <= frame.avail_h
        ):
            break
        size -= 1
    else:
        # Rounding at a tiny size broke the reference layout: lay out for this size alone.
        texts, relative = _plan(spec, width, height, stack, base)
        size = max(1, round(relative * height))
        frame = _frame(spec, width, height, size)
        lines = [_measure_line(t, stack, size, base) for t in texts]
    assert frame is not None and lines is not None
    stroke, pad = frame.stroke, frame.pad
    ascent, _descent = _line_metrics(lines, stack, size)
    advance = round(size * spec.line_spacing)
    block_h = _block_height(lines, stack, size, spec, stroke)
    block_w = math.ceil(max((line.width for line in lines), default=0)) + 2 * stroke
    content_w, content_h = block_w + 2 * pad, block_h + 2 * pad

    vertical, _sep, horizontal = spec.anchor.partition("-")
    if spec.anchor == "center":
        vertical, horizontal = "middle", "center"
    margin_x, margin_y = frame.margin_x, frame.margin_y
    if horizontal == "left":
        left = margin_x
    elif horizontal == "right":
        left = width - margin_x - content_w
    else:
        left = (width - content_w) / 2
    if vertical == "top":
        top = margin_y
    elif vertical == "bottom":
        top = height - margin_y - content_h
    else:
        top = (height - content_h) / 2
    left, top = round(left), round(top)

    text_left, text_top = left + pad + stroke, top + pad + stroke
    align = spec.align
    if align == "start":
        align = "right" if base == "rtl" else "left"
    elif align == "end":
        align = "left" if base == "rtl" else "right"
    inner_w = block_w - 2 * stroke
    baselines = []
    for index, line in enumerate(lines):
        if align == "left":
            x = text_left
        elif align == "right":
            x = text_left + inner_w - line.width
        else:
            x = text_left + (inner_w - line.width) / 2
        baselines.append((x, text_top + ascent + index * advance))

    if spec.background == "band":
        # A band is a full-width strip; anchored at an edge it runs to that edge.
        band_top = 0 if vertical == "top" else top
        band_bottom = height if vertical == "bottom" else top + content_h
        scrim_box = (0, band_top, width, band_bottom)
    else:
        scrim_box = (left, top, left + content_w, top + content_h)
    custom_background = spec.style == "custom" and spec.background != "none"
    fonts_used = tuple(dict.fromkeys(run.font.name for line in lines for run in line.runs))
    return OverlayLayout(
        width=width,
        height=height,
        font_size=size,
        fonts=fonts_used or (stack[0].name,),
        direction=base,
        lines=tuple(line.text for line in lines),
        text_box=(left + pad, top + pad, left + pad + block_w, top + pad + block_h),
        background_box=scrim_box if custom_background else None,
        scrim_box=scrim_box,
        _lines=tuple(lines),
        _stack=stack,
        _baselines=tuple(baselines),
    )


# ---------------------------------------------------------------------------
# Contrast measurement (WCAG 2.x)
# ---------------------------------------------------------------------------


def _linear(channel: int) -> float:
    value = channel / 255
    return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4


#: sRGB 8-bit -> linear light, per channel (R, G, B), for Image.point.
_LINEAR_LUT = [min(255, round(_linear(v) * 255)) for v in range(256)] * 3
#: WCAG relative luminance weights (applied to linear light).
_LUMINANCE_MATRIX = (0.2126, 0.7152, 0.0722, 0.0)


def relative_luminance(color: str | tuple[int, int, int]) -> float:
    """WCAG 2.x relative luminance (0 black .. 1 white) of ``#RRGGBB`` or an RGB tuple."""
    r, g, b = _rgba(color)[:3] if isinstance(color, str) else color[:3]
    return 0.2126 * _linear(r) + 0.7152 * _linear(g) + 0.0722 * _linear(b)


def contrast_ratio(first: float, second: float) -> float:
    """WCAG contrast ratio of two relative luminances: 1 (none) .. 21 (black on white)."""
    light, dark = max(first, second), min(first, second)
    return (light + 0.05) / (dark + 0.05)


def _luminance_image(image: Image.Image) -> Image.Image:
    """Relative luminance x 255 as an L image (linear light, not gamma-encoded grey)."""
    return image.convert("RGB").point(_LINEAR_LUT).convert("L", matrix=_LUMINANCE_MATRIX)


def _spread(histogram: list[int]) -> float:
    """Contrast between the lightest and darkest pixels (all but the percentile each side)."""
    total = sum(histogram)
    if not total:
        return 1.0
    allowed, seen, low, high = CONTRAST_PERCENTILE * total, 0, 0, 255
    for level, count in enumerate(histogram):
        seen += count
        if seen > allowed:
            low = level
            break
    seen = 0
    for level in range(255, -1, -1):
        seen += histogram[level]
        if seen > allowed:
            high = level
            break
    return contrast_ratio(high / 255, low / 255)


@lru_cache(maxsize=64)
def _ratios(fill: float) -> tuple[float, ...]:
    """Contrast of ``fill`` against each 8-bit luminance level."""
    return tuple(contrast_ratio(fill, level / 255) for level in range(256))


def _contrast_over(
    luminance: Image.Image, ring: Image.Image, fill: float, histogram: list[int] | None = None
) -> float:
    """The contrast that all but ``CONTRAST_PERCENTILE`` of the ring's pixels reach."""
    if histogram is None:
        histogram = luminance.histogram(mask=ring)
    total = sum(histogram)
    if not total:
        return 21.0
    ratios = _ratios(fill)
    by_contrast = sorted((ratios[level], count) for level, count in enumerate(histogram) if count)
    allowed, seen = CONTRAST_PERCENTILE * total, 0
    for ratio, count in by_contrast:
        seen += count
        if seen > allowed:
            return ratio
    return by_contrast[-1][0]


#: Measurements run on the region reduced so the font is about this many pixels tall:
#: the figure does not depend on the rendition width, and costs little at 2048 px.
_MEASURE_EM = 24
_WHITE, _BLACK = "#FFFFFF", "#000000"
_SHADOW_OPACITY = 0.85
_SCRIM_OPACITIES = (0.35, 0.5, 0.65, 0.8, 0.9, 1.0)


def _ring(mask: Image.Image, em: float) -> Image.Image:
    """The pixels around the glyphs: up to ~0.1 em from the ink, not the ink's own edge."""
    # A round dilation from a Gaussian blur and a threshold (linear time, unlike
    # MaxFilter): an edge blurred with sigma r/2 stays above 3% out to ~0.94 r.
    radius = max(2.0, 0.1 * em)
    ink = mask.point(_ANY)
    outer = ink.filter(ImageFilter.GaussianBlur(radius / 2)).point(_ABOVE_3_PERCENT)
    core = ink.filter(ImageFilter.BoxBlur(1)).point(_ANY)
    return ImageChops.subtract(outer, core)


_ANY = [0] + [255] * 255
_ABOVE_3_PERCENT = [0] * 8 + [255] * 248


def _halo(mask: Image.Image, em: float) -> Image.Image:
    """Alpha of a soft shadow (a halo centred on the glyphs) drawn under the text."""
    # Box blurs (one pass each, linear time): a spread, then a soft edge.
    spread = mask.filter(ImageFilter.BoxBlur(max(0.5, 0.06 * em)))
    spread = spread.point(_TIMES_FOUR)
    soft = spread.filter(ImageFilter.BoxBlur(max(0.5, 0.05 * em)))
    return soft.point(_SHADOW_LUT)


_TIMES_FOUR = [min(255, v * 4) for v in range(256)]
_SHADOW_LUT = [round(v * _SHADOW_OPACITY) for v in range(256)]


@dataclass(frozen=True)
class Treatment:
    """What the overlay was drawn with: ``kind`` is ``plain``, ``shadow``, ``scrim`` (auto)
    or ``custom``; ``color`` the text fill; ``opacity`` the scrim's, if any."""

    kind: str
    color: str
    opacity: float = 0.0


def _opposite(color: str) -> str:
    return _BLACK if color == _WHITE else _WHITE


def _candidates() -> Iterator[Treatment]:
    """Treatments from the lightest to the heaviest."""
    for color in (_WHITE, _BLACK):
        yield Treatment("plain", color)
    for color in (_WHITE, _BLACK):
        yield Treatment("shadow", color)
    for opacity in _SCRIM_OPACITIES:
        for color in (_WHITE, _BLACK):
            yield Treatment("scrim", color, opacity)


def _compose(
    background: Image.Image,
    treatment: Treatment,
    mask: Image.Image,
    scrim: tuple[int, int, int, int] | None,
    em: float,
    *,
    with_text: bool = False,
    halo: Image.Image | None = None,
) -> Image.Image:
    """``background`` (RGB) with the treatment's shadow or scrim (and the text) applied."""
    out = background
    behind = _opposite(treatment.color)
    if treatment.kind == "shadow":
        halo = halo if halo is not None else _halo(mask, em)
        out = Image.composite(Image.new("RGB", out.size, behind), out, halo)
    elif treatment.kind == "scrim" and scrim is not None:
        alpha = Image.new("L", out.size, 0)
        ImageDraw.Draw(alpha).rectangle(scrim, fill=round(255 * treatment.opacity))
        out = Image.composite(Image.new("RGB", out.size, behind), out, alpha)
    if with_text:
        out = Image.composite(Image.new("RGB", out.size, treatment.color), out, mask)
    return out


def _choose_treatment(
    background: Image.Image,
    mask: Image.Image,
    ring: Image.Image,
    scrim: tuple[int, int, int, int],
    em: float,
) -> tuple[Treatment, float]:
    """The lightest treatment reaching ``TARGET_CONTRAST`` (measured on reduced pixels)."""
    best: tuple[Treatment, float] | None = None
    histograms: dict[tuple[str, float, str], list[int]] = {}
    halo: list[Image.Image] = []

    def measure(treatment: Treatment) -> tuple[float, float]:
        key = (treatment.kind, treatment.opacity, _opposite(treatment.color))
        histogram = histograms.get(key)
        if histogram is None:
            if treatment.kind == "shadow" and not halo:
                halo.append(_halo(mask, em))
            composed = _compose(
                background, treatment, mask, scrim, em, halo=halo[0] if halo else None
            )
            histogram = histograms[key] = _luminance_image(composed).histogram(mask=ring)
        ratio = _contrast_over(None, ring, relative_luminance(treatment.color), histogram)
        if treatment.kind == "shadow":
            # A shadow darkens next to the glyphs and fades out: it cannot calm a busy
            # picture, so it is judged by the picture's own texture.
            return ratio, measure(Treatment("plain", treatment.color))[1]
        return ratio, _spread(histogram)

    for treatment in _candidates():
        ratio, spread = measure(treatment)
        if best is None or ratio > best[1]:
            best = (treatment, ratio)
        if ratio >= TARGET_CONTRAST and spread <= MAX_BACKGROUND_SPREAD:
            # Within one step, take the colour with the better figure.
            twin = Treatment(treatment.kind, _opposite(treatment.color), treatment.opacity)
            twin_ratio, twin_spread = measure(twin)
            if twin_ratio > ratio and twin_spread <= MAX_BACKGROUND_SPREAD:
                return twin, twin_ratio
            return treatment, ratio
    assert best is not None
    return best


# ---------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------


def _rgba(color: str) -> tuple[int, int, int, int]:
    value = color.lstrip("#")
    alpha = int(value[6:8], 16) if len(value) == 8 else 255
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16), alpha


def _draw_text_mask(layout: OverlayLayout, region, stroke: int) -> Image.Image:
    """Coverage mask (L) of all lines, optionally with an outline of ``stroke`` px."""
    left, top, right, bottom = region
    mask = Image.new("L", (right - left, bottom - top), 0)
    draw = ImageDraw.Draw(mask)
    raqm = raqm_available()
    size = layout.font_size
    for line, (x, baseline) in zip(layout._lines, layout._baselines, strict=True):
        if not line.runs:
            continue
        x -= left
        y = baseline - top
        if line.single_font:
            info = next((r.font for r in line.runs if not r.is_space), line.runs[0].font)
            pieces = [(line.text, info, layout.direction)]
        else:
            pieces = [
                (r.text, r.font, d) for r, d in _visual_order(list(line.runs), layout.direction)
            ]
        for text, info, direction in pieces:
            font = _load_font(info, size)
            kwargs: dict[str, Any] = {"font": font, "anchor": "ls", "fill": 255}
            if stroke:
                kwargs.update(stroke_width=stroke, stroke_fill=255)
            if raqm:
                draw.text((x, y), text, direction=direction, **kwargs)
            else:
                draw.text((x, y), _basic_text(text, direction), **kwargs)
            if not line.single_font:
                x += _measure(font, text, direction)
    return mask


def _colour_layer(size: tuple[int, int], color: str, mask: Image.Image) -> Image.Image:
    r, g, b, a = _rgba(color)
    layer = Image.new("RGBA", size, (r, g, b, 0))
    if a < 255:
        mask = mask.point([v * a // 255 for v in range(256)])
    layer.putalpha(mask)
    return layer


@dataclass(frozen=True)
class OverlayResult:
    """An overlaid image and how legible its text is.

    ``contrast`` is the WCAG 2.x ratio between the text fill and the pixels
    around the glyphs as drawn (all but ``CONTRAST_PERCENTILE`` of them reach
    it); ``legible`` is whether it reaches ``MINIMUM_CONTRAST``.
    """

    image: Image.Image
    layout: OverlayLayout
    treatment: Treatment
    contrast: float

    @property
    def legible(self) -> bool:
        return self.contrast >= MINIMUM_CONTRAST


def _shift(box: tuple[int, int, int, int], region, factor: int = 1) -> tuple[int, int, int, int]:
    return (
        (box[0] - region[0]) // factor,
        (box[1] - region[1]) // factor,
        (box[2] - region[0]) // factor - 1,
        (box[3] - region[1]) // factor - 1,
    )


def draw_overlay(image: Image.Image, spec: OverlaySpec) -> OverlayResult:
    """Draw ``spec`` on a copy of ``image`` and measure the contrast the text got.

    With ``style="auto"`` the text colour (white or black) and the lightest
    treatment that reaches ``TARGET_CONTRAST`` (none, a soft shadow, a scrim
    of increasing opacity) are chosen from the pixels around the glyphs of
    this very image; with ``custom`` the spec's colours are drawn as given
    and only measured.
    """
    if image.mode not in ("RGB", "RGBA"):
        raise ValueError(f"render_overlay expects an RGB or RGBA image, got {image.mode}")
    width, height = image.size
    layout = check_fits(spec, width, height)
    em = layout.font_size

    # Region = background/scrim plus text, with slack for glyph overhang beyond the
    # advance box (accents, Devanagari matras) and for the shadow.
    slack = layout.font_size
    x0, y0, x1, y1 = layout.text_box
    extra = layout.background_box or (layout.scrim_box if spec.style == "auto" else None)
    if extra:
        x0, y0, x1, y1 = min(x0, extra[0]), min(y0, extra[1]), max(x1, extra[2]), max(y1, extra[3])
    region = (
        max(0, x0 - slack),
        max(0, y0 - slack),
        min(width, x1 + slack),
        min(height, y1 + slack),
    )
    region_size = (region[2] - region[0], region[3] - region[1])
    if region_size[0] <= 0 or region_size[1] <= 0:
        return OverlayResult(image.copy(), layout, Treatment("plain", spec.color), 21.0)

    fill = _draw_text_mask(layout, region, 0)
    factor = max(1, em // _MEASURE_EM)
    small_mask = fill.reduce(factor) if factor > 1 else fill
    small_em = em / factor
    ring = _ring(small_mask, small_em)
    # Everything measured lies within the ring's bounding box: crop to it.
    bx0, by0, bx1, by1 = ring.getbbox() or (0, 0, 1, 1)
    ring, small_mask = ring.crop((bx0, by0, bx1, by1)), small_mask.crop((bx0, by0, bx1, by1))
    measured = (bx0 * factor, by0 * factor, bx1 * factor, by1 * factor)
    layer = Image.new("RGBA", region_size, (0, 0, 0, 0))
    if spec.style == "auto":
        background = image.crop(region).crop(measured)
        if factor > 1:
            background = background.reduce(factor)
        sx0, sy0, sx1, sy1 = _shift(layout.scrim_box, region, factor)
        treatment, _estimate = _choose_treatment(
            background.convert("RGB"),
            small_mask,
            ring,
            (sx0 - bx0, sy0 - by0, sx1 - bx0, sy1 - by0),
            small_em,
        )
        behind = _rgba(_opposite(treatment.color))[:3]
        if treatment.kind == "shadow":
            layer.alpha_composite(
                _colour_layer(region_size, _opposite(treatment.color), _halo(fill, em))
            )
        elif treatment.kind == "scrim":
            ImageDraw.Draw(layer).rectangle(
                _shift(layout.scrim_box, region), fill=(*behind, round(255 * treatment.opacity))
            )
        color = treatment.color
    else:
        treatment = Treatment("custom", spec.color)
        color = spec.color
        stroke = round(spec.stroke_width * layout.font_size)
        if layout.background_box:
            r, g, b, a = _rgba(spec.background_color)
            ImageDraw.Draw(layer).rectangle(
                _shift(layout.background_box, region),
                fill=(r, g, b, round(a * spec.background_opacity)),
            )
        if stroke:
            outline = _draw_text_mask(layout, region, stroke)
            layer.alpha_composite(_colour_layer(region_size, spec.stroke_color, outline))
    layer.alpha_composite(_colour_layer(region_size, color, fill))

    result = image.copy()
    if result.mode == "RGBA":
        before = result.crop(region)
        result.alpha_composite(layer, dest=region[:2])
        drawn = result.crop(region)
    else:
        before = result.crop(region)
        patch = before.convert("RGBA")
        patch.alpha_composite(layer)
        drawn = patch.convert("RGB")
        result.paste(drawn, region[:2])
    del before
    # The figure: the drawn pixels around the glyphs against the text fill.
    small_drawn = drawn.crop(measured).convert("RGB")
    if factor > 1:
        small_drawn = small_drawn.reduce(factor)
    contrast = _contrast_over(_luminance_image(small_drawn), ring, relative_luminance(color))
    return OverlayResult(result, layout, treatment, round(contrast, 2))


def render_overlay(image: Image.Image, spec: OverlaySpec) -> Image.Image:
    """Return a new image with ``spec`` drawn on it, laid out for this image's size.

    The result has the mode of the input (RGB or RGBA).  Colours and the
    background are composited with proper alpha: the overlay is drawn on a
    transparent layer covering only the overlay's region, then
    ``alpha_composite``-d onto a copy of the image.  :func:`draw_overlay`
    also tells the treatment and the measured contrast.
    """
    return draw_overlay(image, spec).image
