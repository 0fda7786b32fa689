"""The bundled fonts: which file draws which script, what each file covers, and the
FreeType objects that draw with them.

Coverage is read from each font's ``cmap`` table by a small sfnt parser, so nothing but
Pillow is needed.  :func:`font_stack` orders the fonts for one text: the chosen (or, with
``auto``, the dominant script's) font first, the other scripts' fonts as fallbacks, so a
character the first font lacks is drawn by the font of its script.
"""

from __future__ import annotations

import struct
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from PIL import ImageFont, features

from .text import dominant_script

FONTS_DIR = Path(__file__).resolve().parents[2] / "fonts"


@dataclass(frozen=True)
class FontInfo:
    """One bundled font file and what it is for."""

    name: str
    path: Path
    family: str
    scripts: tuple[str, ...]
    licence: str
    bold: bool = False


def _regular_and_bold(
    name: str, family: str, scripts: tuple[str, ...], regular: str, bold: str
) -> tuple[FontInfo, FontInfo]:
    """An OFL family bundled in two weights: ``name`` and ``name-bold``."""
    return (
        FontInfo(name, FONTS_DIR / regular, family, scripts, "OFL-1.1"),
        FontInfo(f"{name}-bold", FONTS_DIR / bold, family, scripts, "OFL-1.1", True),
    )


def _noto_sans(script: str) -> tuple[FontInfo, FontInfo]:
    """Noto Sans for one script, regular and bold (``NotoSans<Script>-Regular.ttf``...)."""
    stem = f"NotoSans{script.title()}"
    return _regular_and_bold(
        script, f"Noto Sans {script.title()}", (script,), f"{stem}-Regular.ttf", f"{stem}-Bold.ttf"
    )


_LATIN = ("latin", "greek", "cyrillic")
_BUNDLED_FONTS: tuple[FontInfo, ...] = (
    *_regular_and_bold("sans", "Noto Sans", _LATIN, "NotoSans-Regular.ttf", "NotoSans-Bold.ttf"),
    FontInfo("serif", FONTS_DIR / "NotoSerif-Regular.ttf", "Noto Serif", _LATIN, "OFL-1.1"),
    FontInfo(
        "display", FONTS_DIR / "NotoSansDisplay-Bold.ttf", "Noto Sans Display", _LATIN,
        "OFL-1.1", True,
    ),
    *_noto_sans("arabic"),
    *_noto_sans("hebrew"),
    *_noto_sans("devanagari"),
    *_noto_sans("thai"),
    FontInfo(
        "cjk", FONTS_DIR / "DroidSansFallbackFull.ttf", "Droid Sans Fallback",
        ("han", "hiragana", "katakana", "bopomofo"), "Apache-2.0",
    ),
    *_regular_and_bold(
        "korean", "NanumSquare", ("hangul", "han", "latin"), "NanumSquareR.ttf", "NanumSquareB.ttf"
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


def font_choices() -> tuple[str, ...]:
    return ("auto", *(info.name for info in _BUNDLED_FONTS))


@cache
def glyph_coverage(path: Path) -> frozenset[int]:
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


def load_font(info: FontInfo, size: int) -> ImageFont.FreeTypeFont:
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


def font_stack(spec_font: str, text: str) -> tuple[FontInfo, ...]:
    """Primary font first, then the script fonts used as fallbacks."""
    fonts = available_fonts()
    if spec_font == "auto":
        primary = fonts[_SCRIPT_FONTS[False][dominant_script(text)]]
    else:
        primary = fonts[spec_font]
    stack = [primary]
    for bold in (primary.bold, not primary.bold):
        for script in _SCRIPT_ORDER:
            candidate = fonts[_SCRIPT_FONTS[bold][script]]
            if candidate not in stack:
                stack.append(candidate)
    return tuple(stack)
