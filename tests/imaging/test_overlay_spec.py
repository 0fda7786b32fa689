"""OverlaySpec validation, canonical form and digest."""

from __future__ import annotations

import dataclasses
import json

import pytest

from django_nanobanana.imaging.overlay import (
    DEFAULT_MAX_TEXT_LENGTH,
    OverlaySpec,
    OverlayValidationError,
    available_fonts,
    check_fits,
)


def errors_for(data) -> dict[str, list[str]]:
    with pytest.raises(OverlayValidationError) as info:
        OverlaySpec.from_dict(data)
    return {k: [str(m) for m in v] for k, v in info.value.field_errors.items()}


def test_defaults():
    spec = OverlaySpec.from_dict({"text": "Hello"})
    assert spec.to_dict() == {
        "text": "Hello",
        "font": "auto",
        "size": 0.07,
        "anchor": "bottom-left",
        "margin_x": 0.05,
        "margin_y": 0.05,
        "max_width": 0.9,
        "min_size": 0.02,
        "color": "#FFFFFF",
        "stroke_width": 0.0,
        "stroke_color": "#000000",
        "background": "none",
        "background_color": "#000000",
        "background_opacity": 0.5,
        "padding": 0.4,
        "align": "start",
        "direction": "auto",
        "line_spacing": 1.2,
        "style": "auto",
    }


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("text", ""),
        ("text", "   \n  "),
        ("text", 42),
        ("text", "bell\x07"),
        ("text", "tab\there"),
        ("text", "x" * (DEFAULT_MAX_TEXT_LENGTH + 1)),
        ("font", "comic-sans"),
        ("font", None),
        ("size", 0.0),
        ("size", 0.6),
        ("size", "big"),
        ("size", True),
        ("size", float("nan")),
        ("anchor", "top"),
        ("margin_x", -0.01),
        ("margin_y", -1),
        ("margin_x", 0.5),
        ("max_width", 0.05),
        ("max_width", 1.5),
        ("min_size", 0.0),
        ("color", "white"),
        ("color", "#FFF"),
        ("color", "#GGGGGG"),
        ("stroke_width", 0.3),
        ("stroke_color", "#12345"),
        ("background", "blur"),
        ("background_color", "000000"),
        ("background_opacity", 1.5),
        ("padding", -0.1),
        ("align", "justify"),
        ("direction", "ttb"),
        ("line_spacing", 0.9),
        ("line_spacing", 3.5),
    ],
)
def test_each_bad_field_is_reported_by_name(field, value):
    data = {"text": "Hello", field: value}
    errors = errors_for(data)
    assert list(errors) == [field]
    assert errors[field] and all(message for message in errors[field])


def test_field_messages_name_the_field():
    errors = errors_for({"text": "Hi", "margin_x": -0.2, "color": "red"})
    assert "Horizontal margin" in errors["margin_x"][0]
    assert "0.45" in errors["margin_x"][0]
    assert "Text colour" in errors["color"][0]


def test_all_bad_fields_are_reported_at_once():
    errors = errors_for(
        {
            "text": "",
            "font": "nope",
            "size": 2,
            "anchor": "nowhere",
            "margin_x": -1,
            "color": "#12",
            "background": "x",
            "align": "x",
            "direction": "x",
            "line_spacing": 9,
            "surprise": 1,
        }
    )
    assert set(errors) == {
        "text", "font", "size", "anchor", "margin_x", "color", "background", "align",
        "direction", "line_spacing", "surprise",
    }  # fmt: skip
    assert errors["surprise"] == ["Unknown field."]


def test_missing_text_is_required_and_others_still_checked():
    errors = errors_for({"size": 9})
    assert errors["text"] == ["This field is required."]
    assert "size" in errors


def test_not_a_mapping():
    errors = errors_for(["text", "Hello"])
    assert "__all__" in errors


def test_unknown_font_lists_choices():
    errors = errors_for({"text": "Hi", "font": "papyrus"})
    assert "sans-bold" in errors["font"][0]


@pytest.mark.parametrize("name", ["sans", "sans-bold", "serif", "arabic", "hebrew",
                                  "devanagari", "cjk", "auto"])  # fmt: skip
def test_bundled_font_names_are_accepted(name):
    assert OverlaySpec.from_dict({"text": "Hi", "font": name}).font == name


def test_available_fonts_exist_with_licences():
    fonts = available_fonts()
    assert {"sans", "sans-bold", "serif", "arabic", "hebrew", "devanagari", "cjk"} <= set(fonts)
    for name, info in fonts.items():
        assert info.name == name
        assert info.path.is_file(), info.path
        assert info.licence in {"OFL-1.1", "Apache-2.0"}
        assert info.family and info.scripts
    licences = {p.name for p in next(iter(fonts.values())).path.parent.glob("LICENSE*")}
    assert {"LICENSE-OFL-Noto.txt", "LICENSE-Apache-2.0.txt", "LICENSE-OFL-Nanum.txt"} <= licences


def test_text_normalisation():
    spec = OverlaySpec.from_dict({"text": "  Line one\r\nLine two  \n"})
    assert spec.text == "Line one\nLine two"
    decomposed = "Cafe\u0301"
    assert OverlaySpec.from_dict({"text": decomposed}).text == "Caf\u00e9"  # NFC


def test_bidi_and_joiner_format_characters_are_allowed():
    text = "\u200fשלום\u200e ok \u200d"
    assert OverlaySpec.from_dict({"text": text}).text.startswith("\u200f")


def test_values_are_normalised():
    spec = OverlaySpec.from_dict(
        {"text": "Hi", "color": "#ff00aa80", "size": "0.1", "anchor": " Center ", "margin_x": 0}
    )
    assert spec.color == "#FF00AA80"
    assert spec.size == 0.1
    assert spec.anchor == "center"
    assert isinstance(spec.margin_x, float)


def test_min_size_above_size():
    # Implicit min_size follows a small size down; an explicit one is an error.
    assert OverlaySpec.from_dict({"text": "Hi", "size": 0.01}).min_size == 0.01
    errors = errors_for({"text": "Hi", "size": 0.05, "min_size": 0.1})
    assert list(errors) == ["min_size"]


def test_roundtrip_and_json():
    spec = OverlaySpec.from_dict({"text": "Hi", "background": "box", "font": "serif"})
    data = spec.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert OverlaySpec.from_dict(data) == spec


def test_immutable_and_hashable():
    spec = OverlaySpec.from_dict({"text": "Hi"})
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.text = "changed"  # type: ignore[misc]
    same = OverlaySpec.from_dict({"text": "Hi"})
    assert len({spec, same}) == 1


def test_direct_construction_validates():
    with pytest.raises(OverlayValidationError) as info:
        OverlaySpec(text="", size=5)
    assert {"text", "size"} <= set(info.value.field_errors)
    assert OverlaySpec(text="Hi", color="#abcdef").color == "#ABCDEF"


def test_digest_is_stable_and_sensitive():
    spec = OverlaySpec.from_dict({"text": "Summer Sale 2026", "font": "sans-bold"})
    same = OverlaySpec.from_dict({"font": "sans-bold", "text": "Summer Sale 2026", "size": 0.07})
    assert spec.digest() == same.digest()
    assert len(spec.digest()) == 16 and int(spec.digest(), 16) >= 0
    # Pinned: changing it renames every stored rendition, so it must be deliberate
    # (bump OVERLAY_LAYOUT_VERSION when the layout changes).
    assert spec.digest() == PINNED_DIGEST
    changed = OverlaySpec.from_dict({"text": "Summer Sale 2027", "font": "sans-bold"})
    assert changed.digest() != spec.digest()
    moved = OverlaySpec.from_dict({"text": "Summer Sale 2026", "font": "sans-bold",
                                   "anchor": "center"})  # fmt: skip
    assert moved.digest() != spec.digest()


PINNED_DIGEST = "da6827af5996e15a"


def test_text_that_cannot_fit_raises_for_text():
    spec = OverlaySpec.from_dict({"text": "word " * 99, "size": 0.2, "min_size": 0.1})
    with pytest.raises(OverlayValidationError) as info:
        check_fits(spec, 1024, 576)
    assert list(info.value.field_errors) == ["text"]
    assert "too long" in str(info.value.field_errors["text"][0])


def test_unbreakable_word_too_wide_raises():
    spec = OverlaySpec.from_dict({"text": "W" * 200, "min_size": 0.05, "size": 0.1})
    with pytest.raises(OverlayValidationError):
        check_fits(spec, 1024, 576)


def test_long_text_shrinks_before_failing():
    text = "The quick brown fox jumps over the lazy dog " * 6
    spec = OverlaySpec.from_dict({"text": text, "size": 0.1, "min_size": 0.02})
    layout = check_fits(spec, 1024, 576)
    assert len(layout.lines) > 1
    assert round(0.02 * 576) <= layout.font_size < round(0.1 * 576)
    left, _top, right, _bottom = layout.text_box
    assert right - left <= 0.9 * 1024 + 1


def test_characters_no_font_has_are_refused():
    spec = OverlaySpec.from_dict({"text": "Sale \U0001f600"})
    with pytest.raises(OverlayValidationError) as info:
        check_fits(spec, 1024, 576)
    assert "\U0001f600" in str(info.value.field_errors["text"][0])
