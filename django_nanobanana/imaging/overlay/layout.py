"""Layout: where an overlay's lines land on one image (:func:`check_fits`).

The text's fonts are chosen and checked, its lines fitted (:mod:`.fitting`), then the
block of lines is placed: padded, anchored ``margin_x``/``margin_y`` away from the edges,
each line aligned inside it, and the box a scrim or background would fill worked out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from .breaking import Line
from .fitting import FittedLines, Frame, block_height, fit_lines, line_metrics
from .fonts import FontInfo, font_stack
from .runs import refuse_missing
from .spec import OverlaySpec
from .text import detect_direction
from .validation import OverlayValidationError

Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class PlacedLine:
    """A line and where it is drawn: ``x`` of its start and its ``baseline`` (px)."""

    line: Line
    x: float
    baseline: int


@dataclass(frozen=True)
class OverlayLayout:
    """Where and how an overlay lands on an image of a given size.

    ``text_box`` and ``background_box`` are ``(left, top, right, bottom)``
    pixel boxes; ``background_box`` is the background a ``custom`` style
    paints (None without one).  ``scrim_box`` is where the ``auto`` style
    puts a scrim when the picture needs one (a band when ``background`` is
    ``band``, else a box around the text); a band anchored at the top or
    bottom reaches that edge of the image.  ``placed`` holds the measured
    lines and their positions, for the renderer.
    """

    width: int
    height: int
    font_size: int
    fonts: tuple[str, ...]
    direction: str
    lines: tuple[str, ...]
    text_box: Box
    background_box: Box | None
    scrim_box: Box = (0, 0, 0, 0)
    placed: tuple[PlacedLine, ...] = field(default=(), repr=False, compare=False)


@dataclass(frozen=True)
class _Block:
    """The block of lines at its font size: ``width`` x ``height`` px with the outline
    (``stroke`` px each side), ``pad`` px of padding around it, the first line's ascent
    and the ``advance`` from one baseline to the next."""

    width: int
    height: int
    stroke: int
    pad: int
    ascent: int
    advance: int

    @property
    def outer_width(self) -> int:
        return self.width + 2 * self.pad

    @property
    def outer_height(self) -> int:
        return self.height + 2 * self.pad


@dataclass(frozen=True)
class _Placement:
    """The padded block's top-left corner, and the anchor's vertical part (``top``,
    ``middle`` or ``bottom``)."""

    left: int
    top: int
    vertical: str


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
    stack = font_stack(spec.font, spec.text)
    refuse_missing(spec.text, stack)
    base = spec.direction if spec.direction != "auto" else detect_direction(spec.text)
    fitted = fit_lines(spec, width, height, stack, base)
    block = _block(spec, fitted, stack)
    at = _place(spec.anchor, block, fitted.frame, width, height)
    scrim_box = _scrim_box(spec.background, at, block, width, height)
    custom_background = spec.style == "custom" and spec.background != "none"
    lines = fitted.lines
    fonts_used = tuple(dict.fromkeys(run.font.name for line in lines for run in line.runs))
    inner_left, inner_top = at.left + block.pad, at.top + block.pad
    return OverlayLayout(
        width=width,
        height=height,
        font_size=fitted.font_size,
        fonts=fonts_used or (stack[0].name,),
        direction=base,
        lines=tuple(line.text for line in lines),
        text_box=(inner_left, inner_top, inner_left + block.width, inner_top + block.height),
        background_box=scrim_box if custom_background else None,
        scrim_box=scrim_box,
        placed=_placed_lines(lines, block, at, _physical_align(spec.align, base)),
    )


def _block(spec: OverlaySpec, fitted: FittedLines, stack: tuple[FontInfo, ...]) -> _Block:
    frame: Frame = fitted.frame
    size, lines = fitted.font_size, fitted.lines
    return _Block(
        width=math.ceil(max((line.width for line in lines), default=0)) + 2 * frame.stroke,
        height=block_height(lines, stack, size, spec, frame.stroke),
        stroke=frame.stroke,
        pad=frame.pad,
        ascent=line_metrics(lines, stack, size).ascent,
        advance=round(size * spec.line_spacing),
    )


def _place(anchor: str, block: _Block, frame: Frame, width: int, height: int) -> _Placement:
    """The padded block anchored inside the margins."""
    vertical, _sep, horizontal = anchor.partition("-")
    if anchor == "center":
        vertical, horizontal = "middle", "center"
    left = _offset(horizontal, ("left", "right"), frame.margin_x, width, block.outer_width)
    top = _offset(vertical, ("top", "bottom"), frame.margin_y, height, block.outer_height)
    return _Placement(round(left), round(top), vertical)


def _offset(position: str, ends: tuple[str, str], margin: float, extent: int, size: int) -> float:
    """Where a block ``size`` px long starts on an axis ``extent`` px long: ``margin`` from
    the first end, from the second end, or centred."""
    if position == ends[0]:
        return margin
    if position == ends[1]:
        return extent - margin - size
    return (extent - size) / 2


def _physical_align(align: str, base: str) -> str:
    """``start``/``end`` resolved to ``left``/``right`` for the paragraph direction."""
    if align == "start":
        return "right" if base == "rtl" else "left"
    if align == "end":
        return "left" if base == "rtl" else "right"
    return align


def _placed_lines(
    lines: tuple[Line, ...], block: _Block, at: _Placement, align: str
) -> tuple[PlacedLine, ...]:
    text_left = at.left + block.pad + block.stroke
    text_top = at.top + block.pad + block.stroke
    inner_w = block.width - 2 * block.stroke
    placed = []
    for index, line in enumerate(lines):
        if align == "left":
            x = text_left
        elif align == "right":
            x = text_left + inner_w - line.width
        else:
            x = text_left + (inner_w - line.width) / 2
        placed.append(PlacedLine(line, x, text_top + block.ascent + index * block.advance))
    return tuple(placed)


def _scrim_box(background: str, at: _Placement, block: _Block, width: int, height: int) -> Box:
    """Where a scrim (or a ``custom`` background) goes: around the padded block, or with
    ``band`` a full-width strip that runs to the edge it is anchored at."""
    if background == "band":
        top = 0 if at.vertical == "top" else at.top
        bottom = height if at.vertical == "bottom" else at.top + block.outer_height
        return (0, top, width, bottom)
    return (at.left, at.top, at.left + block.outer_width, at.top + block.outer_height)
