"""Rendering: the overlay drawn on a transparent layer over its region of the image, then
composited onto a copy, and the contrast the text got measured on the drawn pixels."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageDraw

from .choices import MINIMUM_CONTRAST
from .fonts import load_font, raqm_available
from .layout import Box, OverlayLayout, check_fits
from .legibility import (
    MEASURE_EM,
    Treatment,
    choose_treatment,
    contrast_over,
    glyph_ring,
    luminance_image,
    opposite_color,
    relative_luminance,
    rgba,
    shadow_halo,
)
from .runs import basic_text, text_width, visual_order
from .spec import OverlaySpec


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
    layout = check_fits(spec, *image.size)
    region = _region(layout, spec)
    region_size = (region[2] - region[0], region[3] - region[1])
    if region_size[0] <= 0 or region_size[1] <= 0:
        return OverlayResult(image.copy(), layout, Treatment("plain", spec.color), 21.0)

    fill = _draw_text_mask(layout, region, 0)
    reduced = _Reduced.of(fill, layout.font_size)
    layer = Image.new("RGBA", region_size, (0, 0, 0, 0))
    if spec.style == "auto":
        treatment = _auto_treatment(image, layout, region, fill, reduced, layer)
    else:
        treatment = _custom_treatment(spec, layout, region, layer)
    layer.alpha_composite(_colour_layer(region_size, treatment.color, fill))
    drawn = _composite(image, layer, region)
    # The figure: the drawn pixels around the glyphs against the text fill.
    small_drawn = reduced.shrink(drawn.region.crop(reduced.box).convert("RGB"))
    fill_luminance = relative_luminance(treatment.color)
    contrast = contrast_over(luminance_image(small_drawn), reduced.ring, fill_luminance)
    return OverlayResult(drawn.image, layout, treatment, round(contrast, 2))


def render_overlay(image: Image.Image, spec: OverlaySpec) -> Image.Image:
    """Return a new image with ``spec`` drawn on it, laid out for this image's size.

    The result has the mode of the input (RGB or RGBA).  Colours and the
    background are composited with proper alpha: the overlay is drawn on a
    transparent layer covering only the overlay's region, then
    ``alpha_composite``-d onto a copy of the image.  :func:`draw_overlay`
    also tells the treatment and the measured contrast.
    """
    return draw_overlay(image, spec).image


def _region(layout: OverlayLayout, spec: OverlaySpec) -> Box:
    """Background/scrim plus text, with slack for glyph overhang beyond the advance box
    (accents, Devanagari matras) and for the shadow, within the image."""
    slack = layout.font_size
    x0, y0, x1, y1 = layout.text_box
    extra = layout.background_box or (layout.scrim_box if spec.style == "auto" else None)
    if extra:
        x0, y0, x1, y1 = min(x0, extra[0]), min(y0, extra[1]), max(x1, extra[2]), max(y1, extra[3])
    return (
        max(0, x0 - slack),
        max(0, y0 - slack),
        min(layout.width, x1 + slack),
        min(layout.height, y1 + slack),
    )


@dataclass(frozen=True)
class _Reduced:
    """The glyphs reduced ``factor`` times (the font about ``MEASURE_EM`` px tall) and
    cropped to the pixels around them: what legibility is measured on.  ``crop`` is that
    crop in reduced pixels, ``box`` the same in the region's full-size pixels."""

    factor: int
    em: float
    mask: Image.Image
    ring: Image.Image
    crop: Box
    box: Box

    @classmethod
    def of(cls, fill: Image.Image, em: int) -> _Reduced:
        factor = max(1, em // MEASURE_EM)
        small_mask = fill.reduce(factor) if factor > 1 else fill
        small_em = em / factor
        ring = glyph_ring(small_mask, small_em)
        # Everything measured lies within the ring's bounding box: crop to it.
        crop = ring.getbbox() or (0, 0, 1, 1)
        box = (crop[0] * factor, crop[1] * factor, crop[2] * factor, crop[3] * factor)
        return cls(factor, small_em, small_mask.crop(crop), ring.crop(crop), crop, box)

    def shrink(self, image: Image.Image) -> Image.Image:
        return image.reduce(self.factor) if self.factor > 1 else image


def _auto_treatment(
    image: Image.Image,
    layout: OverlayLayout,
    region: Box,
    fill: Image.Image,
    reduced: _Reduced,
    layer: Image.Image,
) -> Treatment:
    """Choose the treatment from the picture under the text and paint its shadow or
    scrim on ``layer``."""
    background = reduced.shrink(image.crop(region).crop(reduced.box))
    sx0, sy0, sx1, sy1 = _shift(layout.scrim_box, region, reduced.factor)
    bx0, by0 = reduced.crop[:2]
    treatment = choose_treatment(
        background.convert("RGB"),
        reduced.mask,
        reduced.ring,
        (sx0 - bx0, sy0 - by0, sx1 - bx0, sy1 - by0),
        reduced.em,
    )
    behind = opposite_color(treatment.color)
    if treatment.kind == "shadow":
        halo = shadow_halo(fill, layout.font_size)
        layer.alpha_composite(_colour_layer(layer.size, behind, halo))
    elif treatment.kind == "scrim":
        ImageDraw.Draw(layer).rectangle(
            _shift(layout.scrim_box, region),
            fill=(*rgba(behind)[:3], round(255 * treatment.opacity)),
        )
    return treatment


def _custom_treatment(
    spec: OverlaySpec, layout: OverlayLayout, region: Box, layer: Image.Image
) -> Treatment:
    """Paint the spec's own background and outline on ``layer``."""
    if layout.background_box:
        r, g, b, a = rgba(spec.background_color)
        ImageDraw.Draw(layer).rectangle(
            _shift(layout.background_box, region),
            fill=(r, g, b, round(a * spec.background_opacity)),
        )
    stroke = round(spec.stroke_width * layout.font_size)
    if stroke:
        outline = _draw_text_mask(layout, region, stroke)
        layer.alpha_composite(_colour_layer(layer.size, spec.stroke_color, outline))
    return Treatment("custom", spec.color)


@dataclass(frozen=True)
class _Composited:
    """A copy of the image with the overlay's layer composited on it, and the overlay's
    region of it as drawn."""

    image: Image.Image
    region: Image.Image


def _composite(image: Image.Image, layer: Image.Image, region: Box) -> _Composited:
    result = image.copy()
    if result.mode == "RGBA":
        result.alpha_composite(layer, dest=region[:2])
        return _Composited(result, result.crop(region))
    patch = result.crop(region).convert("RGBA")
    patch.alpha_composite(layer)
    drawn = patch.convert("RGB")
    result.paste(drawn, region[:2])
    return _Composited(result, drawn)


def _draw_text_mask(layout: OverlayLayout, region: Box, stroke: int) -> Image.Image:
    """Coverage mask (L) of all lines, optionally with an outline of ``stroke`` px."""
    left, top, right, bottom = region
    mask = Image.new("L", (right - left, bottom - top), 0)
    draw = ImageDraw.Draw(mask)
    raqm = raqm_available()
    size = layout.font_size
    for placed in layout.placed:
        line = placed.line
        if not line.runs:
            continue
        x = placed.x - left
        y = placed.baseline - top
        if line.single_font:
            info = next((r.font for r in line.runs if not r.is_space), line.runs[0].font)
            pieces = [(line.text, info, layout.direction)]
        else:
            pieces = [
                (o.run.text, o.run.font, o.direction)
                for o in visual_order(list(line.runs), layout.direction)
            ]
        for text, info, direction in pieces:
            font = load_font(info, size)
            kwargs: dict[str, Any] = {"font": font, "anchor": "ls", "fill": 255}
            if stroke:
                kwargs.update(stroke_width=stroke, stroke_fill=255)
            if raqm:
                draw.text((x, y), text, direction=direction, **kwargs)
            else:
                draw.text((x, y), basic_text(text, direction), **kwargs)
            if not line.single_font:
                x += text_width(font, text, direction)
    return mask


def _colour_layer(size: tuple[int, int], color: str, mask: Image.Image) -> Image.Image:
    r, g, b, a = rgba(color)
    layer = Image.new("RGBA", size, (r, g, b, 0))
    if a < 255:
        mask = mask.point([v * a // 255 for v in range(256)])
    layer.putalpha(mask)
    return layer


def _shift(box: Box, region: Box, factor: int = 1) -> Box:
    return (
        (box[0] - region[0]) // factor,
        (box[1] - region[1]) // factor,
        (box[2] - region[0]) // factor - 1,
        (box[3] - region[1]) // factor - 1,
    )
