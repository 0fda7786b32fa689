"""Legibility and typesetting: measured contrast, treatments, line breaks, scripts."""

from __future__ import annotations

import random

import pytest
from PIL import Image

from django_nanobanana.imaging.overlay import (
    MINIMUM_CONTRAST,
    SHRINK_FLOOR,
    TARGET_CONTRAST,
    OverlaySpec,
    OverlayValidationError,
    check_fits,
    contrast_ratio,
    draw_overlay,
    relative_luminance,
)
from django_nanobanana.imaging.overlay import text as text_module
from django_nanobanana.imaging.overlay.fitting import plan_lines
from django_nanobanana.imaging.overlay.text import split_tokens
from django_nanobanana.imaging.renditions import render_renditions
from tests.helpers import make_hard_background, require_service

BACKGROUNDS = ("stripes", "busy", "split", "white", "black")


def test_wcag_formula():
    assert relative_luminance("#FFFFFF") == pytest.approx(1.0)
    assert relative_luminance("#000000") == pytest.approx(0.0)
    assert contrast_ratio(1.0, 0.0) == pytest.approx(21.0)
    # #767676 on white is the classic 4.54:1.
    assert contrast_ratio(relative_luminance("#767676"), 1.0) == pytest.approx(4.54, abs=0.01)


@pytest.mark.parametrize("kind", BACKGROUNDS)
def test_default_style_reaches_target_contrast_at_every_width(kind):
    original = make_hard_background(kind, 1376, 768)
    overlay = OverlaySpec.from_dict({"text": "Summer Sale 2026", "anchor": "bottom-center"})
    figures = {}
    for rendered in render_renditions(original, overlay=overlay, formats=("jpeg",)):
        assert rendered.contrast >= TARGET_CONTRAST, (kind, rendered.width, rendered.treatment)
        figures[rendered.width] = rendered.treatment
    assert sorted(figures) == [320, 640, 1024, 1376]


def test_lightest_treatment_is_chosen():
    black = draw_overlay(Image.new("RGB", (800, 450), "black"), OverlaySpec(text="Plain"))
    white = draw_overlay(Image.new("RGB", (800, 450), "white"), OverlaySpec(text="Plain"))
    assert (black.treatment.kind, black.treatment.color) == ("plain", "#FFFFFF")
    assert (white.treatment.kind, white.treatment.color) == ("plain", "#000000")
    assert black.contrast >= 20 and white.contrast >= 20
    # A light/dark split under the text: no colour works alone, a scrim is needed.
    split = draw_overlay(
        make_hard_background("split", 800, 450),
        OverlaySpec(text="Half and half", anchor="bottom-center"),
    )
    assert split.treatment.kind == "scrim" and 0 < split.treatment.opacity <= 1
    assert split.contrast >= TARGET_CONTRAST
    # The scrim is drawn: pixels left of the text on the dark half got lighter.
    box = split.layout.scrim_box
    assert split.image.getpixel((box[2] - 2, box[1] + 2))[0] > 60


def test_mid_grey_gets_a_shadow_not_a_scrim():
    grey = Image.new("RGB", (800, 450), (118, 118, 118))  # ~4.5:1 to white, ~4.6 to black
    result = draw_overlay(grey, OverlaySpec(text="Grey day"))
    assert result.treatment.kind in ("plain", "shadow")
    assert result.contrast >= TARGET_CONTRAST
    # Mid-grey with grain: neither colour reaches 4.5:1 alone; the texture is calm.
    rng = random.Random(1)
    grain = bytes(rng.randrange(110, 140) for _ in range(800 * 450))
    mid = Image.frombytes("L", (800, 450), grain).convert("RGB")
    shadowed = draw_overlay(mid, OverlaySpec(text="Grey day"))
    assert shadowed.treatment.kind == "shadow", shadowed.treatment
    assert shadowed.contrast >= TARGET_CONTRAST


def test_explicit_style_is_measured_and_flagged_below_three():
    white = Image.new("RGB", (800, 450), "white")
    poor = draw_overlay(white, OverlaySpec.from_dict({"text": "Ghost", "color": "#EEEEEE"}))
    assert poor.treatment.kind == "custom" and poor.contrast < MINIMUM_CONTRAST
    assert not poor.legible
    outlined = draw_overlay(
        white,
        OverlaySpec.from_dict(
            {
                "text": "Outlined",
                "color": "#FFFFFF",
                "stroke_width": 0.12,
                "stroke_color": "#000000",
            }
        ),
    )
    assert outlined.legible and outlined.contrast >= TARGET_CONTRAST


def test_spec_without_style_keeps_explicit_colours():
    assert OverlaySpec.from_dict({"text": "x"}).style == "auto"
    assert OverlaySpec.from_dict({"text": "x", "color": "#FF0000"}).style == "custom"
    assert OverlaySpec.from_dict({"text": "x", "background": "box"}).style == "custom"
    banded = OverlaySpec.from_dict({"text": "x", "background": "band", "style": "auto"})
    assert banded.style == "auto"


# -- setting like a designer -----------------------------------------------------------------

PORTRAIT = (720, 1280)


def last_line_is_lone_word(lines: tuple[str, ...]) -> bool:
    return len(lines) > 1 and len(lines[-1].split()) == 1


def test_no_lone_last_word_when_a_smaller_size_avoids_it():
    data = {
        "text": "Open house this weekend only",
        "font": "sans-bold",
        "size": 0.06,
        "max_width": 0.8,
    }
    fixed = check_fits(OverlaySpec.from_dict({**data, "min_size": 0.06}), *PORTRAIT)
    assert fixed.lines[-1] == "only"  # no room to shrink: the word is left alone
    layout = check_fits(OverlaySpec.from_dict(data), *PORTRAIT)
    assert not last_line_is_lone_word(layout.lines), layout.lines
    assert len(layout.lines) < len(fixed.lines)  # shrink before wrap
    assert SHRINK_FLOOR * fixed.font_size - 1 <= layout.font_size < fixed.font_size


@pytest.mark.parametrize(
    "text",
    [
        "Open house this weekend only",
        "Fresh pastries daily",
        "Autumn menu tonight",
        "Big Extravaganza now",
        "New season sale starts now",
        "Summer Sale Extravaganza",
    ],
)
@pytest.mark.parametrize("max_width", [0.6, 0.75, 0.9])
def test_never_a_lone_last_word_if_some_size_in_range_has_balanced_lines_without(text, max_width):
    size = 0.06
    base = {"text": text, "font": "sans-bold", "max_width": max_width}
    layout = check_fits(OverlaySpec.from_dict({**base, "size": size}), *PORTRAIT)
    if not last_line_is_lone_word(layout.lines):
        return
    # Every size in range, forced (min_size = size): none may avoid the lone word.
    step = size * (1 - SHRINK_FLOOR) / 6
    for index in range(7):
        trial = round(size - index * step, 5)
        try:
            forced = check_fits(
                OverlaySpec.from_dict({**base, "size": trial, "min_size": trial}), *PORTRAIT
            )
        except OverlayValidationError:
            continue
        assert last_line_is_lone_word(forced.lines) or len(forced.lines) > len(layout.lines), (
            text,
            max_width,
            trial,
            forced.lines,
            layout.lines,
        )


def test_lines_are_balanced():
    layout = check_fits(
        OverlaySpec.from_dict(
            {
                "text": "A rather long headline that has to wrap over two lines here",
                "size": 0.08,
                "min_size": 0.08,
            }
        ),
        1376,
        768,
    )
    assert len(layout.lines) >= 2
    widths = [len(line) for line in layout.lines]
    assert max(widths) - min(widths) <= max(widths) * 0.5, layout.lines


def test_same_layout_at_every_rendition_width():
    overlay = OverlaySpec.from_dict(
        {"text": "Grand opening this Saturday at noon", "font": "sans-bold", "size": 0.07}
    )
    layouts = [check_fits(overlay, w, round(w * 1280 / 720)) for w in (320, 640, 1024, 1600)]
    assert len({layout.lines for layout in layouts}) == 1, [x.lines for x in layouts]
    relative = [layout.font_size / layout.height for layout in layouts]
    assert max(relative) - min(relative) <= 2 / layouts[0].height  # pixel rounding only
    # Safe margins scale with the image: 5% of the shorter side at every size.
    for layout in layouts:
        assert layout.text_box[0] - layout.scrim_box[0] >= 0
        assert abs(layout.scrim_box[0] - 0.05 * layout.width) <= 1


# -- scripts ---------------------------------------------------------------------------------


def test_thai_is_drawn_with_the_thai_font():
    layout = check_fits(OverlaySpec(text="ลดราคาฤดูร้อน 50%"), 1024, 576)
    assert "thai" in layout.fonts
    out = draw_overlay(Image.new("RGB", (1024, 576), "black"), OverlaySpec(text="ลดราคา"))
    assert out.image.getbbox() is not None and out.contrast >= TARGET_CONTRAST


#: "Hello, welcome to our shop", written as Thai is, without spaces; its words by hand.
THAI_WELCOME = ("สวัสดี", "ครับ", "ยินดี", "ต้อนรับ", "สู่", "ร้าน", "ของ", "เรา")


def _whole_thai_words(line: str) -> bool:
    """``line`` is a run of whole words of THAI_WELCOME (no word cut in two)."""
    if not line:
        return True
    return any(line.startswith(w) and _whole_thai_words(line[len(w) :]) for w in THAI_WELCOME)


def test_thai_breaks_between_words_not_only_at_spaces(monkeypatch):
    """Thai has no spaces between words: with the ``thai`` extra (PyThaiNLP) a long
    phrase wraps between words, at the full font size; without it the phrase is one
    unbreakable token and shrinks to fit one line."""
    if text_module.thai_segmenter() is None:
        require_service("pythainlp", "the thai extra is not installed: pip install -e '.[dev]'")
    text = "".join(THAI_WELCOME)
    layout = check_fits(OverlaySpec(text=text), 768, 1376)
    assert len(layout.lines) >= 2 and "".join(layout.lines) == text
    assert all(_whole_thai_words(line) for line in layout.lines), layout.lines
    tokens = split_tokens("ลดราคาพิเศษ 50% วันนี้เท่านั้น (จริง)")
    assert "50%" in tokens and "(จริง)" in tokens  # digits and brackets stay with a word

    monkeypatch.setattr(text_module, "thai_segmenter", lambda: None)  # without the extra
    plan_lines.cache_clear()  # plans are cached per spec: forget the one made with it
    unbroken = check_fits(OverlaySpec(text=text), 768, 1376)
    plan_lines.cache_clear()
    assert unbroken.lines == (text,)
    assert unbroken.font_size < layout.font_size


def test_emoji_are_refused_by_name():
    with pytest.raises(OverlayValidationError) as info:
        check_fits(OverlaySpec(text="Sale 🎉 today ☕"), 1024, 576)
    message = " ".join(str(m) for m in info.value.field_errors["text"])
    assert "Emoji" in message and "U+1F389" in message and "U+2615" in message
