"""Runs: a line cut into pieces of one font each, ordered for display, and measured.

With libraqm (``raqm_available()``) each run is shaped in its direction; without it
Pillow's basic layout is used and right-to-left runs are reversed so Hebrew at least
reads in the right order.  Characters no bundled font covers are refused here, before
anything is laid out.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _
from PIL import ImageFont

from .choices import lazy_format
from .fonts import FontInfo, glyph_coverage
from .text import run_direction
from .validation import OverlayValidationError


@dataclass(frozen=True)
class Run:
    """A piece of a line drawn with one font: ``direction`` is ``ltr``, ``rtl``,
    ``mixed`` or None (neutral: whitespace, punctuation)."""

    text: str
    font: FontInfo
    direction: str | None
    is_space: bool = False


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
        if not any(ord(char) in glyph_coverage(info.path) for info in stack):
            missing.append(char)
    return missing


def split_runs(line: str, stack: tuple[FontInfo, ...]) -> list[Run]:
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
            if current is not None and ord(char) in glyph_coverage(current.path):
                font = current
            else:
                font = next((f for f in stack if ord(char) in glyph_coverage(f.path)), stack[0])
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
            runs.append(Run(text, neighbour, None, is_space=True))
        else:
            runs.append(Run(text, font, run_direction(text)))
    return runs


@dataclass(frozen=True)
class OrderedRun:
    """A run in display order, with the direction it is shaped in."""

    run: Run
    direction: str


def visual_order(runs: list[Run], base: str) -> list[OrderedRun]:
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
    return [OrderedRun(runs[i], resolved[i]) for i in order]


def text_width(font: ImageFont.FreeTypeFont, text: str, direction: str) -> float:
    if not text:
        return 0.0
    if font.layout_engine == ImageFont.Layout.RAQM:
        return font.getlength(text, direction=direction)
    return font.getlength(text)


def basic_text(text: str, direction: str) -> str:
    # Without raqm there is no bidi: reverse right-to-left runs so at least
    # unshaped scripts (Hebrew) read in the right order.
    return text[::-1] if direction == "rtl" else text


def refuse_missing(text: str, stack: tuple[FontInfo, ...]) -> None:
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
            lazy_format(
                _(
                    "Emoji cannot be drawn: no colour emoji font is bundled. Remove these "
                    "characters or write them as words: %(chars)s"
                ),
                chars=named(emoji),
            )
        )
    if other:
        messages.append(
            lazy_format(
                _("These characters cannot be drawn with the bundled fonts: %(chars)s"),
                chars=named(other),
            )
        )
    raise OverlayValidationError({"text": messages})
