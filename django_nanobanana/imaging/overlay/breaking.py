"""Line breaking: greedy filling to a measure, then balancing (the narrowest measure
that keeps the line count, what CSS calls ``text-wrap: balance``) and no lone last word
when the previous line's last word can come down."""

from __future__ import annotations

from dataclasses import dataclass

from .fonts import FontInfo, load_font
from .runs import Run, split_runs, text_width, visual_order
from .text import split_tokens


@dataclass(frozen=True)
class Line:
    """One line of a layout: its text, its runs, whether one font draws all of it (then it
    is shaped as a whole) and its advance width in pixels."""

    text: str
    runs: tuple[Run, ...]
    single_font: bool
    width: float


class NoFit(Exception):
    """A single token is wider than the measure: no line breaking makes it fit."""


def measure_line(text: str, stack: tuple[FontInfo, ...], size: int, base: str) -> Line:
    """``text`` as one line at ``size`` px in paragraph direction ``base``."""
    runs = tuple(split_runs(text, stack)) if text else ()
    fonts_used = {run.font.name for run in runs if not run.is_space}
    single = len(fonts_used) <= 1
    if not runs:
        return Line(text, runs, True, 0.0)
    if single:
        font_info = next((r.font for r in runs if not r.is_space), runs[0].font)
        font = load_font(font_info, size)
        return Line(text, runs, True, text_width(font, text, base))
    total = 0.0
    for ordered in visual_order(list(runs), base):
        run = ordered.run
        total += text_width(load_font(run.font, size), run.text, ordered.direction)
    return Line(text, runs, False, total)


def _wrap_paragraph(
    paragraph: str, stack: tuple[FontInfo, ...], size: int, base: str, limit: float
) -> list[Line]:
    """Greedy line filling of one paragraph; raises NoFit when a single token is too wide."""
    lines: list[Line] = []
    current = ""
    current_line: Line | None = None
    for token in split_tokens(paragraph):
        if token.isspace():
            if current:
                current += token  # kept only if a word follows on this line
            continue
        measured = measure_line(current + token, stack, size, base)
        if measured.width <= limit:
            current, current_line = current + token, measured
            continue
        if current_line is not None:
            lines.append(current_line)
        measured = measure_line(token, stack, size, base)
        if measured.width > limit:
            raise NoFit
        current, current_line = token, measured
    lines.append(current_line if current_line is not None else Line("", (), True, 0.0))
    return lines


def wrap(
    text: str, stack: tuple[FontInfo, ...], size: int, base: str, limit: float
) -> list[list[Line]]:
    """Greedy lines, grouped by paragraph (explicit line breaks)."""
    return [_wrap_paragraph(p, stack, size, base, limit) for p in text.split("\n")]


def balance(
    paragraphs: list[list[Line]],
    stack: tuple[FontInfo, ...],
    size: int,
    base: str,
    limit: float,
) -> list[list[Line]]:
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
            except NoFit:
                trial = None
            if trial is not None and len(trial) <= len(lines):
                best, high = trial, middle
            else:
                low = middle
        out.append(_no_widow(best, stack, size, base, limit))
    return out


def _no_widow(
    lines: list[Line], stack: tuple[FontInfo, ...], size: int, base: str, limit: float
) -> list[Line]:
    """Bring the previous line's last word down to a lone last word, when it fits."""
    if len(lines) < 2 or not lone_last_word([lines]):
        return lines
    tokens = split_tokens(lines[-2].text.rstrip())
    if len([t for t in tokens if not t.isspace()]) < 2:
        return lines
    word = tokens.pop()
    joint = ""
    while tokens and tokens[-1].isspace():
        joint = " "
        tokens.pop()
    previous = measure_line("".join(tokens), stack, size, base)
    last = measure_line(word + joint + lines[-1].text, stack, size, base)
    if last.width > limit:
        return lines
    return [*lines[:-2], previous, last]


def lone_last_word(paragraphs: list[list[Line]]) -> bool:
    """A wrapped paragraph whose last line is one word (or one CJK character)."""
    for lines in paragraphs:
        if (
            len(lines) > 1
            and len([t for t in split_tokens(lines[-1].text) if not t.isspace()]) == 1
        ):
            return True
    return False
