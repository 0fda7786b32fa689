"""Legibility: WCAG 2.x contrast measured around the glyphs, and the lightest treatment
(plain, a soft shadow, a scrim of rising opacity) that makes the text legible.

Measurements are made on the region reduced so the font is about ``MEASURE_EM`` px tall,
so the figures do not depend on the rendition width.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageChops, ImageDraw, ImageFilter

from .choices import CONTRAST_PERCENTILE, MAX_BACKGROUND_SPREAD, TARGET_CONTRAST


def rgba(color: str) -> tuple[int, int, int, int]:
    """The channels of ``#RRGGBB`` or ``#RRGGBBAA``."""
    value = color.lstrip("#")
    alpha = int(value[6:8], 16) if len(value) == 8 else 255
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16), alpha


def _linear(channel: int) -> float:
    value = channel / 255
    return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4


#: sRGB 8-bit -> linear light, per channel (R, G, B), for Image.point.
_LINEAR_LUT = [min(255, round(_linear(v) * 255)) for v in range(256)] * 3
#: WCAG relative luminance weights (applied to linear light).
_LUMINANCE_MATRIX = (0.2126, 0.7152, 0.0722, 0.0)


def relative_luminance(color: str | tuple[int, int, int]) -> float:
    """WCAG 2.x relative luminance (0 black .. 1 white) of ``#RRGGBB`` or an RGB tuple."""
    r, g, b = rgba(color)[:3] if isinstance(color, str) else color[:3]
    return 0.2126 * _linear(r) + 0.7152 * _linear(g) + 0.0722 * _linear(b)


def contrast_ratio(first: float, second: float) -> float:
    """WCAG contrast ratio of two relative luminances: 1 (none) .. 21 (black on white)."""
    light, dark = max(first, second), min(first, second)
    return (light + 0.05) / (dark + 0.05)


def luminance_image(image: Image.Image) -> Image.Image:
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


def contrast_over(
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
MEASURE_EM = 24
_WHITE, _BLACK = "#FFFFFF", "#000000"
_SHADOW_OPACITY = 0.85
_SCRIM_OPACITIES = (0.35, 0.5, 0.65, 0.8, 0.9, 1.0)


def glyph_ring(mask: Image.Image, em: float) -> Image.Image:
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


def shadow_halo(mask: Image.Image, em: float) -> Image.Image:
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


def opposite_color(color: str) -> str:
    """Black for white text, white for black: the colour of a shadow or scrim behind it."""
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
    halo: Image.Image | None = None,
) -> Image.Image:
    """``background`` (RGB) with the treatment's shadow or scrim applied."""
    out = background
    behind = opposite_color(treatment.color)
    if treatment.kind == "shadow":
        halo = halo if halo is not None else shadow_halo(mask, em)
        out = Image.composite(Image.new("RGB", out.size, behind), out, halo)
    elif treatment.kind == "scrim" and scrim is not None:
        alpha = Image.new("L", out.size, 0)
        ImageDraw.Draw(alpha).rectangle(scrim, fill=round(255 * treatment.opacity))
        out = Image.composite(Image.new("RGB", out.size, behind), out, alpha)
    return out


@dataclass(frozen=True)
class _Measured:
    """A treatment's contrast around the glyphs, and how much the background behind them
    still varies (the contrast between its lightest and darkest pixels)."""

    contrast: float
    spread: float


def choose_treatment(
    background: Image.Image,
    mask: Image.Image,
    ring: Image.Image,
    scrim: tuple[int, int, int, int],
    em: float,
) -> Treatment:
    """The lightest treatment reaching ``TARGET_CONTRAST`` with a calm enough background
    (measured on reduced pixels); if none does, the one with the best contrast."""
    histograms: dict[tuple[str, float, str], list[int]] = {}
    halo: list[Image.Image] = []

    def measure(treatment: Treatment) -> _Measured:
        key = (treatment.kind, treatment.opacity, opposite_color(treatment.color))
        histogram = histograms.get(key)
        if histogram is None:
            if treatment.kind == "shadow" and not halo:
                halo.append(shadow_halo(mask, em))
            composed = _compose(
                background, treatment, mask, scrim, em, halo=halo[0] if halo else None
            )
            histogram = histograms[key] = luminance_image(composed).histogram(mask=ring)
        ratio = contrast_over(None, ring, relative_luminance(treatment.color), histogram)
        if treatment.kind == "shadow":
            # A shadow darkens next to the glyphs and fades out: it cannot calm a busy
            # picture, so it is judged by the picture's own texture.
            return _Measured(ratio, measure(Treatment("plain", treatment.color)).spread)
        return _Measured(ratio, _spread(histogram))

    best: Treatment | None = None
    best_contrast = 0.0
    for treatment in _candidates():
        measured = measure(treatment)
        if best is None or measured.contrast > best_contrast:
            best, best_contrast = treatment, measured.contrast
        if measured.contrast >= TARGET_CONTRAST and measured.spread <= MAX_BACKGROUND_SPREAD:
            # Within one step, take the colour with the better figure.
            twin = Treatment(treatment.kind, opposite_color(treatment.color), treatment.opacity)
            twin_measured = measure(twin)
            if (
                twin_measured.contrast > measured.contrast
                and twin_measured.spread <= MAX_BACKGROUND_SPREAD
            ):
                return twin
            return treatment
    assert best is not None
    return best
