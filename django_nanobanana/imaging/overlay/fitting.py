"""Fitting: the font size and line breaks at which an overlay's text fits its box.

The line breaks and the font size relative to the image are decided once per aspect
ratio, on a canvas ``REFERENCE_WIDTH`` px on its longer side (:func:`plan_lines`), so
every rendition width shows the same layout; :func:`fit_lines` then measures those lines
at the pixel size of one canvas.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from django.utils.translation import gettext_lazy as _

from .breaking import Line, NoFit, balance, lone_last_word, measure_line, wrap
from .choices import REFERENCE_WIDTH, SHRINK_FLOOR
from .fonts import FontInfo, load_font
from .spec import OverlaySpec
from .validation import OverlayValidationError


@dataclass(frozen=True)
class LineMetrics:
    """The tallest ascent and deepest descent (px) of the fonts some lines use."""

    ascent: int
    descent: int


def line_metrics(
    lines: list[Line] | tuple[Line, ...], stack: tuple[FontInfo, ...], size: int
) -> LineMetrics:
    used = {run.font.name: run.font for line in lines for run in line.runs} or {
        stack[0].name: stack[0]
    }
    ascent = descent = 0
    for info in used.values():
        a, d = load_font(info, size).getmetrics()
        ascent, descent = max(ascent, a), max(descent, d)
    return LineMetrics(ascent, descent)


@dataclass(frozen=True)
class Frame:
    """The space an overlay may use on one canvas at one font size."""

    stroke: int
    pad: int
    margin_x: float
    margin_y: float
    text_limit: float
    avail_h: float


def frame_for(spec: OverlaySpec, width: int, height: int, size: int) -> Frame:
    """The frame of ``spec`` on a ``width`` x ``height`` canvas at font size ``size``."""
    # Safe margins are fractions of the shorter side: the same inset on every edge, growing
    # with the image.  The auto style always reserves the padding of its possible scrim, so
    # choosing a scrim never moves the text.
    stroke = round(spec.stroke_width * size) if spec.style == "custom" else 0
    padded = spec.style == "auto" or spec.background != "none"
    pad = round(spec.padding * size) if padded else 0
    short = min(width, height)
    margin_x, margin_y = spec.margin_x * short, spec.margin_y * short
    avail_w = min(spec.max_width * width, width - 2 * margin_x)
    return Frame(
        stroke, pad, margin_x, margin_y, avail_w - 2 * pad - 2 * stroke, height - 2 * margin_y
    )


def block_height(
    lines: list[Line] | tuple[Line, ...],
    stack: tuple[FontInfo, ...],
    size: int,
    spec: OverlaySpec,
    stroke: int,
) -> int:
    """Height (px) of ``lines`` stacked at the spec's line spacing, with the outline."""
    metrics = line_metrics(lines, stack, size)
    advance = round(size * spec.line_spacing)
    return (len(lines) - 1) * advance + metrics.ascent + metrics.descent + 2 * stroke


def _fit_at(
    spec: OverlaySpec, width: int, height: int, size: int, stack: tuple[FontInfo, ...], base: str
) -> list[list[Line]] | None:
    """Greedy lines at ``size`` when they fit the frame, else None."""
    frame = frame_for(spec, width, height, size)
    if frame.text_limit <= 0:
        return None
    try:
        paragraphs = wrap(spec.text, stack, size, base, frame.text_limit)
    except NoFit:
        return None
    lines = [line for p in paragraphs for line in p]
    if block_height(lines, stack, size, spec, frame.stroke) + 2 * frame.pad > frame.avail_h:
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


def _count(paragraphs: list[list[Line]]) -> int:
    return sum(len(p) for p in paragraphs)


@dataclass(frozen=True)
class Plan:
    """The text's lines and its font size as a share of the canvas height."""

    lines: tuple[str, ...]
    relative_size: float


@dataclass(frozen=True)
class _Canvas:
    """What every step of planning on one canvas needs."""

    spec: OverlaySpec
    width: int
    height: int
    stack: tuple[FontInfo, ...]
    base: str

    def fit(self, size: int) -> list[list[Line]] | None:
        return _fit_at(self.spec, self.width, self.height, size, self.stack, self.base)

    def balanced(self, size: int, paragraphs: list[list[Line]]) -> list[list[Line]]:
        limit = frame_for(self.spec, self.width, self.height, size).text_limit
        return balance(paragraphs, self.stack, size, self.base, limit)


@dataclass(frozen=True)
class _Trial:
    """A font size and the paragraphs' lines at it."""

    size: int
    paragraphs: list[list[Line]]


@lru_cache(maxsize=256)
def plan_lines(
    spec: OverlaySpec, width: int, height: int, stack: tuple[FontInfo, ...], base: str
) -> Plan:
    """Line breaks and font size (as a fraction of the height) for this canvas.

    1. the largest size in ``[min_size, size]`` at which the text fits;
    2. shrink before wrap: if a size down to ``SHRINK_FLOOR`` of the font size
       (not below ``min_size``) needs fewer lines, the largest such size;
    3. the lines are balanced;
    4. a paragraph ending in a lone word takes the largest size in that same
       range that avoids it without adding a line, if there is one.
    """
    canvas = _Canvas(spec, width, height, stack, base)
    largest = max(1, round(spec.size * height))
    smallest = max(1, min(largest, round(spec.min_size * height)))
    best = _largest_fitting(canvas, smallest, largest)
    floor = min(best.size, max(smallest, round(SHRINK_FLOOR * largest)))
    best = _shrink_before_wrap(canvas, best, floor)
    chosen = _Trial(best.size, canvas.balanced(best.size, best.paragraphs))
    if lone_last_word(chosen.paragraphs):
        chosen = _without_lone_word(canvas, chosen, best, floor, step=max(1, largest // 50))
    lines = tuple(line.text for p in chosen.paragraphs for line in p)
    return Plan(lines, chosen.size / height)


def _largest_fitting(canvas: _Canvas, smallest: int, largest: int) -> _Trial:
    """Step 1: the largest size at which the text fits (bisection), or the error."""
    found = canvas.fit(largest)
    if found is not None:
        return _Trial(largest, found)
    best: _Trial | None = None
    low, high = smallest, largest - 1
    while low <= high:
        middle = (low + high) // 2
        found = canvas.fit(middle)
        if found is None:
            high = middle - 1
        else:
            best, low = _Trial(middle, found), middle + 1
    if best is None:
        raise _too_long()
    return best


def _shrink_before_wrap(canvas: _Canvas, best: _Trial, floor: int) -> _Trial:
    """Step 2: the largest size down to ``floor`` that needs fewer lines, if any."""
    if not (floor < best.size and _count(best.paragraphs) > len(best.paragraphs)):
        return best
    fewest = canvas.fit(floor)
    if fewest is None or _count(fewest) >= _count(best.paragraphs):
        return best
    target = _count(fewest)
    low, high, found_low = floor, best.size, fewest  # low fits target; high does not
    while high - low > 1:
        middle = (low + high) // 2
        found = canvas.fit(middle)
        if found is not None and _count(found) <= target:
            low, found_low = middle, found
        else:
            high = middle
    return _Trial(low, found_low)


def _without_lone_word(
    canvas: _Canvas, chosen: _Trial, best: _Trial, floor: int, step: int
) -> _Trial:
    """Step 4: the largest smaller size (down to ``floor``, by ``step``) whose balanced
    lines end no paragraph in a lone word, without more lines than ``best``; else
    ``chosen`` as it is."""
    trial_size = best.size - step
    while trial_size >= floor:
        found = canvas.fit(trial_size)
        if found is not None and _count(found) <= _count(best.paragraphs):
            trial = canvas.balanced(trial_size, found)
            if not lone_last_word(trial):
                return _Trial(trial_size, trial)
        trial_size -= step
    return chosen


def reference_plan(
    spec: OverlaySpec, width: int, height: int, stack: tuple[FontInfo, ...], base: str
) -> Plan:
    """The plan made for this aspect ratio on the reference canvas, ``REFERENCE_WIDTH``
    px on its longer side (or, when the text fits only on the real one, on this canvas)."""
    scale = REFERENCE_WIDTH / max(width, height)
    reference_width, reference_height = max(1, round(width * scale)), max(1, round(height * scale))
    try:
        return plan_lines(spec, reference_width, reference_height, stack, base)
    except OverlayValidationError:
        return plan_lines(spec, width, height, stack, base)


@dataclass(frozen=True)
class FittedLines:
    """A plan's lines measured at the font size they are drawn at on one canvas."""

    font_size: int
    frame: Frame
    lines: tuple[Line, ...]


def _measured(
    spec: OverlaySpec,
    plan: Plan,
    width: int,
    height: int,
    size: int,
    stack: tuple[FontInfo, ...],
    base: str,
) -> FittedLines:
    frame = frame_for(spec, width, height, size)
    return FittedLines(size, frame, tuple(measure_line(t, stack, size, base) for t in plan.lines))


def _fits(spec: OverlaySpec, fitted: FittedLines, stack: tuple[FontInfo, ...]) -> bool:
    frame = fitted.frame
    block_h = block_height(fitted.lines, stack, fitted.font_size, spec, frame.stroke)
    return (
        max(line.width for line in fitted.lines) <= frame.text_limit
        and block_h + 2 * frame.pad <= frame.avail_h
    )


def fit_lines(
    spec: OverlaySpec, width: int, height: int, stack: tuple[FontInfo, ...], base: str
) -> FittedLines:
    """The reference plan's lines at this canvas's pixel size.

    Rounding to whole pixels can make them a little too wide here: the font then shrinks
    a pixel at a time, by up to 15%; past that (tiny images) the text is laid out for
    this canvas alone.
    """
    plan = reference_plan(spec, width, height, stack, base)
    size = max(1, round(plan.relative_size * height))
    lowest = max(1, math.floor(size * 0.85))
    for at in range(size, lowest - 1, -1):
        fitted = _measured(spec, plan, width, height, at, stack, base)
        if _fits(spec, fitted, stack):
            return fitted
    # Rounding at a tiny size broke the reference layout: lay out for this size alone.
    plan = plan_lines(spec, width, height, stack, base)
    size = max(1, round(plan.relative_size * height))
    return _measured(spec, plan, width, height, size, stack, base)
