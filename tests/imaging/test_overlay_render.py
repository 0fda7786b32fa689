"""Rendering overlays: placement, compositing, scripts."""

from __future__ import annotations

import pytest
from PIL import Image, ImageChops, ImageFont

from django_nanobanana.imaging.overlay import (
    ANCHORS,
    OverlaySpec,
    available_fonts,
    check_fits,
    fribidi_available,
    raqm_available,
    render_overlay,
)

W, H = 960, 540


def spec(**fields) -> OverlaySpec:
    return OverlaySpec.from_dict({"text": "Exact Text", **fields})


def pixels(image: Image.Image) -> list:
    flat = getattr(image, "get_flattened_data", None)
    return list(flat() if flat else image.getdata())


def ink_bbox(image: Image.Image, background=(0, 0, 0)):
    """Bounding box of pixels that differ from a uniform background."""
    plain = Image.new(
        image.mode, image.size, background if image.mode == "RGB" else (*background, 255)
    )
    return (
        ImageChops.difference(image.convert(plain.mode), plain)
        .convert("L")
        .point(lambda v: 255 if v > 40 else 0)
        .getbbox()
    )


def test_raqm_and_fribidi_are_reported():
    assert isinstance(raqm_available(), bool)
    assert isinstance(fribidi_available(), bool)


@pytest.mark.parametrize("anchor", ANCHORS)
def test_anchor_places_text_in_the_expected_region(anchor):
    black = Image.new("RGB", (W, H), (0, 0, 0))
    out = render_overlay(black, spec(anchor=anchor, color="#FF0000", size=0.1))
    left, top, right, bottom = ink_bbox(out)
    cx, cy = (left + right) / 2 / W, (top + bottom) / 2 / H
    vertical, _, horizontal = anchor.partition("-")
    if anchor == "center":
        vertical, horizontal = "middle", "center"
    expected_x = {"left": (0, 1 / 3), "center": (1 / 3, 2 / 3), "right": (2 / 3, 1)}[horizontal]
    expected_y = {"top": (0, 1 / 3), "middle": (1 / 3, 2 / 3), "bottom": (2 / 3, 1)}[vertical]
    assert expected_x[0] <= cx <= expected_x[1], (anchor, cx)
    assert expected_y[0] <= cy <= expected_y[1], (anchor, cy)
    # Margins: 5% of the shorter side from the edges the anchor touches (the same inset
    # on both axes; allowing for side bearings and the space above the capitals).
    margin = 0.05 * min(W, H)
    if horizontal == "left":
        assert margin - 2 <= left <= margin + 0.02 * W
    if horizontal == "right":
        assert W - margin - 0.02 * W <= right <= W - margin + 2
    if vertical == "top":
        assert margin <= top <= margin + 0.07 * H
    if vertical == "bottom":
        assert H - margin - 0.1 * H <= bottom <= H - margin
    # The text is red, and nothing was drawn outside its box.
    assert out.getpixel((0, 0)) == (0, 0, 0)


def test_input_is_untouched_and_mode_kept():
    for mode, colour in (("RGB", (10, 20, 30)), ("RGBA", (10, 20, 30, 0))):
        image = Image.new(mode, (320, 180), colour)
        before = image.tobytes()
        out = render_overlay(image, spec(background="box"))
        assert out is not image
        assert out.mode == mode and out.size == image.size
        assert image.tobytes() == before
        assert out.tobytes() != before


def test_band_background_spans_the_width_with_opacity():
    white = Image.new("RGB", (W, H), (255, 255, 255))
    out = render_overlay(
        white, spec(background="band", background_opacity=0.5, anchor="bottom-left")
    )
    layout = check_fits(spec(background="band", anchor="bottom-left"), W, H)
    _x0, y0, _x1, y1 = layout.background_box
    assert layout.background_box[0] == 0 and layout.background_box[2] == W
    inside = out.getpixel((2, (y0 + y1) // 2))
    inside_right = out.getpixel((W - 2, (y0 + y1) // 2))
    assert all(120 <= c <= 136 for c in inside), inside  # 50% black over white
    assert inside == inside_right
    assert out.getpixel((2, y0 - 3)) == (255, 255, 255)
    # Anchored at the bottom, the band runs to the bottom edge: no strip of picture below.
    assert y1 == H
    assert out.getpixel((2, H - 1)) == inside and out.getpixel((W - 1, H - 1)) == inside


def test_band_anchored_at_the_top_reaches_the_top_edge_and_a_middle_band_hugs_the_text():
    top = check_fits(spec(background="band", anchor="top-center"), W, H)
    assert top.background_box[1] == 0 and top.background_box[3] < H / 2
    middle = check_fits(spec(background="band", anchor="center"), W, H)
    assert 0 < middle.background_box[1] < middle.text_box[1]
    assert middle.text_box[3] < middle.background_box[3] < H
    # The auto style's scrim takes the same shape.
    auto = check_fits(
        OverlaySpec.from_dict({"text": "Exact Text", "background": "band", "style": "auto"}), W, H
    )
    assert auto.background_box is None and auto.scrim_box[3] == H


def test_box_background_hugs_the_text_with_padding():
    white = Image.new("RGB", (W, H), (255, 255, 255))
    overlay = spec(background="box", background_opacity=0.25, anchor="top-left", color="#FFFFFF")
    out = render_overlay(white, overlay)
    x0, y0, x1, _y1 = check_fits(overlay, W, H).background_box
    assert x0 == round(0.05 * H) and y0 == round(0.05 * H)  # 5% of the shorter side
    corner = out.getpixel((x0 + 1, y0 + 1))
    assert all(185 <= c <= 196 for c in corner), corner  # 25% black over white
    assert out.getpixel((x0 - 2, y0 + 5)) == (255, 255, 255)
    assert out.getpixel((x1 + 2, y0 + 5)) == (255, 255, 255)
    assert out.getpixel((W - 5, H - 5)) == (255, 255, 255)


def test_opacity_zero_and_one():
    white = Image.new("RGB", (W, H), (255, 255, 255))
    layout = check_fits(spec(background="box"), W, H)
    x0, y0, _, _ = layout.background_box
    clear = render_overlay(white, spec(background="box", background_opacity=0, color="#FFFFFF"))
    solid = render_overlay(white, spec(background="box", background_opacity=1))
    assert clear.getpixel((x0 + 1, y0 + 1)) == (255, 255, 255)
    assert solid.getpixel((x0 + 1, y0 + 1)) == (0, 0, 0)


def test_colour_alpha_is_composited():
    white = Image.new("RGB", (W, H), (255, 255, 255))
    out = render_overlay(white, spec(color="#FF000080", size=0.3, text="I"))
    reds = [p for p in pixels(out) if p != (255, 255, 255)]
    # Fully covered glyph pixels are half-transparent red over white.
    assert (255, 127, 127) in reds or (255, 128, 128) in reds
    assert (255, 0, 0) not in reds


def test_rgba_image_gets_real_alpha():
    clear = Image.new("RGBA", (W, H), (0, 0, 0, 0))
    overlay = spec(background="box", background_opacity=0.5)
    out = render_overlay(clear, overlay)
    x0, y0, _, _ = check_fits(overlay, W, H).background_box
    assert out.getpixel((x0 + 1, y0 + 1))[3] in (127, 128)
    assert out.getpixel((2, 2))[3] == 0


def test_stroke_draws_an_outline():
    white = Image.new("RGB", (W, H), (255, 255, 255))
    plain = render_overlay(white, spec(color="#FFFF00", size=0.2))
    outlined = render_overlay(white, spec(color="#FFFF00", size=0.2, stroke_width=0.08))
    dark = sum(1 for p in pixels(outlined) if max(p) < 60)
    assert dark > 500
    assert sum(1 for p in pixels(plain) if max(p) < 60) == 0


def test_layout_is_proportional_across_sizes():
    overlay = spec(anchor="bottom-right", background="box", text="Proportional layout")
    small = check_fits(overlay, 320, 180)
    large = check_fits(overlay, 2048, 1152)
    for a, b, scale in zip(small.background_box, large.background_box, (320, 180, 320, 180),
                           strict=True):  # fmt: skip
        assert abs(a / scale - b / (scale * 6.4)) < 0.03
    assert small.lines == large.lines


def test_wrapping_respects_max_width():
    overlay = spec(text="one two three four five six seven eight nine ten", max_width=0.3)
    layout = check_fits(overlay, W, H)
    assert len(layout.lines) > 1
    assert " ".join(layout.lines) == overlay.text
    assert layout.text_box[2] - layout.text_box[0] <= 0.3 * W + 1


def test_cjk_wraps_between_characters():
    overlay = spec(text="夏季限定セール開催中です今すぐお買い求めください", max_width=0.3)
    layout = check_fits(overlay, W, H)
    assert len(layout.lines) > 1
    assert "".join(layout.lines) == overlay.text
    assert not any(line.startswith(("。", "ー", "ッ")) for line in layout.lines)


def test_explicit_line_breaks_and_alignment():
    overlay = spec(text="Short\nA much longer line", align="right", anchor="top-left")
    layout = check_fits(overlay, W, H)
    assert layout.lines == ("Short", "A much longer line")
    out = render_overlay(Image.new("RGB", (W, H)), overlay)
    first_line = out.crop((0, 0, W, layout.text_box[1] + layout.font_size))
    second_line = out.crop((0, layout.text_box[1] + layout.font_size + 5, W, H))
    # Right-aligned: both lines end at the same x; the short one starts later.
    a, b = ink_bbox(first_line), ink_bbox(second_line)
    assert abs(a[2] - b[2]) < 0.02 * W
    assert a[0] > b[0] + 0.1 * W


# --- scripts ----------------------------------------------------------------------------

SCRIPTS = {
    "arabic": ("مرحبا بالعالم", "تخفيضات الصيف"),
    "hebrew": ("שלום עולם", "מבצע קיץ"),
    "devanagari": ("नमस्ते दुनिया", "गर्मी की सेल"),
    "cjk": ("夏季セール", "新年快乐"),
    "korean": ("여름 세일", "안녕하세요"),
}


def _glyph_is_real(font: ImageFont.FreeTypeFont, char: str) -> bool:
    notdef = font.getmask("\U0010fffd")
    mask = font.getmask(char)
    return mask.size != notdef.size or bytes(mask) != bytes(notdef)


@pytest.mark.parametrize("script", list(SCRIPTS))
def test_scripts_render_without_tofu(script):
    first, second = SCRIPTS[script]
    black = Image.new("RGB", (W, H))
    overlays = [spec(text=text, anchor="center", size=0.1) for text in (first, second)]
    layouts = [check_fits(o, W, H) for o in overlays]
    assert layouts[0].fonts[0] == script  # auto picked the script's font
    images = [render_overlay(black, o) for o in overlays]
    boxes = [ink_bbox(i) for i in images]
    assert all(box is not None and box[2] - box[0] > 50 for box in boxes)
    assert images[0].tobytes() != images[1].tobytes()
    for text, layout in zip((first, second), layouts, strict=True):
        fonts = [ImageFont.truetype(str(available_fonts()[name].path), 48)
                 for name in layout.fonts]  # fmt: skip
        for char in set(text) - {" "}:
            if char.isspace() or __import__("unicodedata").category(char).startswith("M"):
                continue
            assert any(_glyph_is_real(font, char) for font in fonts), (script, char)


def test_mixed_scripts_fall_back_per_character():
    overlay = spec(text="מבצע 50% הנחה", anchor="center")
    layout = check_fits(overlay, W, H)
    assert layout.fonts[0] == "hebrew"
    assert "sans" in layout.fonts  # digits and % come from the Latin font
    assert layout.direction == "rtl"


def _clusters(image: Image.Image) -> list[tuple[int, int]]:
    """Horizontal extents of ink separated by the widest empty gap."""
    mask = image.convert("L").point(lambda v: 255 if v > 40 else 0)
    columns = [mask.crop((x, 0, x + 1, mask.height)).getbbox() is not None
               for x in range(mask.width)]  # fmt: skip
    inked = [x for x, on in enumerate(columns) if on]
    gaps = [(inked[i + 1] - inked[i], i) for i in range(len(inked) - 1)]
    _size, at = max(gaps)
    return [(inked[0], inked[at]), (inked[at + 1], inked[-1])]


@pytest.mark.skipif(not raqm_available(), reason="needs libraqm")
def test_rtl_paragraph_puts_the_number_on_the_left():
    # Logical order: Hebrew word, then a number.  In a right-to-left paragraph
    # the number is displayed to the LEFT of the word; forced LTR, to the right.
    black = Image.new("RGB", (W, H))
    rtl = render_overlay(black, spec(text="שלום 12345", anchor="center", size=0.12))
    ltr = render_overlay(
        black, spec(text="שלום 12345", anchor="center", size=0.12, direction="ltr")
    )
    (rl, rr), (ll, lr) = _clusters(rtl), _clusters(ltr)
    number_width = rl[1] - rl[0]
    assert abs(number_width - (lr[1] - lr[0])) <= 3  # the number moved from left to right
    assert abs((rr[1] - rr[0]) - (ll[1] - ll[0])) <= 3
    assert abs(number_width - (rr[1] - rr[0])) > 5  # and the two words differ


@pytest.mark.skipif(not raqm_available(), reason="needs libraqm for Arabic joining")
def test_arabic_letters_are_joined():
    single = check_fits(spec(text="ب", anchor="center"), W, H)
    joined = check_fits(spec(text="بببب", anchor="center"), W, H)
    width = lambda layout: layout.text_box[2] - layout.text_box[0]  # noqa: E731
    assert width(joined) < 0.8 * 4 * width(single)


@pytest.mark.skipif(not raqm_available(), reason="needs libraqm for Devanagari shaping")
def test_devanagari_vowel_sign_is_reordered():
    # "कि": the i-matra is written after क but drawn before it (to its left).
    font = ImageFont.truetype(str(available_fonts()["devanagari"].path), 64,
                              layout_engine=ImageFont.Layout.RAQM)  # fmt: skip
    black = Image.new("RGB", (W, H))
    shaped = render_overlay(black, spec(text="कि", anchor="center", size=0.2))
    bare = render_overlay(black, spec(text="क", anchor="center", size=0.2))
    assert shaped.tobytes() != bare.tobytes()
    # Shaped as one cluster, the matra sits over and left of the consonant
    # instead of after it on a dotted circle, as an isolated mark would.
    assert font.getlength("कि") < font.getlength("क") + font.getlength("\u25cc\u093f")
