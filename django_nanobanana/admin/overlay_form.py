"""The overlay editor's form: the text overlay's spec as form fields, validated (and
checked to fit the image) by :func:`~django_nanobanana.services.validate_overlay`. The
admin's change page, its Re-render overlay action and its add page use it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ..exceptions import RequestValidationError
from ..forms import OVERLAY_STYLE_CHOICES, OVERLAY_STYLE_HELP, add_service_errors
from ..imaging.overlay import (
    ALIGNS,
    ANCHORS,
    BACKGROUNDS,
    DEFAULT_ANCHOR,
    DEFAULT_COLOR,
    DEFAULT_LINE_SPACING,
    DEFAULT_MARGIN,
    DEFAULT_MAX_WIDTH,
    DEFAULT_MIN_SIZE,
    DEFAULT_PADDING,
    DEFAULT_SIZE,
    DEFAULT_STROKE_COLOR,
    DEFAULT_STYLE,
    DIRECTIONS,
    OverlaySpec,
    OverlayValidationError,
    available_fonts,
)
from ..services import validate_overlay


def _choice(label: str, values: Iterable[str], initial: str, help_text: str) -> forms.ChoiceField:
    """A field of the spec that takes one of ``values`` (shown as they are)."""
    return forms.ChoiceField(
        label=label, choices=[(v, v) for v in values], initial=initial, help_text=help_text
    )


def _number(
    label: str, initial: float, low: float, high: float, step: str, help_text: str
) -> forms.FloatField:
    """A number of the spec (most are fractions of the image or of the font size)."""
    return forms.FloatField(
        label=label,
        initial=initial,
        min_value=low,
        max_value=high,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"step": step}),
    )


def _colour(label: str, initial: str) -> forms.CharField:
    """A colour picker; the colours apply to the custom style only."""
    return forms.CharField(
        label=label,
        initial=initial,
        max_length=9,
        widget=forms.TextInput(attrs={"type": "color"}),
        help_text=_("Custom style only."),
    )


class OverlayForm(forms.Form):
    """The overlay spec as form fields; an empty text means no overlay."""

    text = forms.CharField(
        label=_("Text"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 40}),
        help_text=_("Leave empty for no overlay. Line breaks are kept."),
    )
    style = forms.ChoiceField(
        label=_("Style"),
        choices=OVERLAY_STYLE_CHOICES,
        initial=DEFAULT_STYLE,
        help_text=OVERLAY_STYLE_HELP,
    )
    font = forms.ChoiceField(label=_("Font"), initial="auto")
    size = _number(
        _("Font size"),
        DEFAULT_SIZE,
        0.01,
        0.5,
        "0.005",
        _("Fraction of the image height (0.07 = 7%)."),
    )
    min_size = _number(
        _("Minimum font size"),
        DEFAULT_MIN_SIZE,
        0.005,
        0.5,
        "0.005",
        _("Fraction of the image height. Long text shrinks down to this before it is refused."),
    )
    anchor = _choice(
        _("Position"), ANCHORS, DEFAULT_ANCHOR, _("Where the text block sits, inside the margins.")
    )
    align = _choice(
        _("Alignment"),
        ALIGNS,
        "start",
        _("Of the lines within the block; start and end follow the text direction."),
    )
    direction = _choice(
        _("Text direction"),
        DIRECTIONS,
        "auto",
        _("Auto: from the first letter (Hebrew and Arabic read right to left)."),
    )
    color = _colour(_("Text colour"), DEFAULT_COLOR)
    stroke_width = _number(
        _("Outline width"),
        0.0,
        0,
        0.25,
        "0.01",
        _("Custom style only. Fraction of the font size (0.1 = a tenth of it); 0 for none."),
    )
    stroke_color = _colour(_("Outline colour"), DEFAULT_STROKE_COLOR)
    background = _choice(
        _("Background"),
        BACKGROUNDS,
        "none",
        _(
            "Box: around the text; band: the full width, reaching the top or bottom "
            "edge when anchored there. With the automatic style: the shape of the "
            "scrim, when one is needed."
        ),
    )
    background_color = _colour(_("Background colour"), "#000000")
    background_opacity = _number(
        _("Background opacity"),
        0.5,
        0,
        1,
        "0.05",
        _("Custom style only. From 0 (transparent) to 1 (opaque)."),
    )
    padding = _number(
        _("Padding"),
        DEFAULT_PADDING,
        0,
        2,
        "0.05",
        _("Space between the text and its background or scrim, as a fraction of the font size."),
    )
    margin_x = _number(
        _("Horizontal margin"),
        DEFAULT_MARGIN,
        0,
        0.45,
        "0.01",
        _("Fraction of the image's shorter side, from the left and right edges."),
    )
    margin_y = _number(
        _("Vertical margin"),
        DEFAULT_MARGIN,
        0,
        0.45,
        "0.01",
        _("Fraction of the image's shorter side, from the top and bottom edges."),
    )
    max_width = _number(
        _("Maximum width"),
        DEFAULT_MAX_WIDTH,
        0.1,
        1,
        "0.05",
        _("Fraction of the image width the text block may take (0.9 = 90%)."),
    )
    line_spacing = _number(
        _("Line spacing"),
        DEFAULT_LINE_SPACING,
        1,
        3,
        "0.05",
        _("Multiple of the font size from one line to the next."),
    )

    def __init__(
        self, *args: Any, image_size: tuple[int, int] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.image_size = image_size
        for field in self.fields.values():  # anything left out takes the spec's default
            field.required = False
        self.fields["font"].choices = [("auto", _("Automatic (by script)"))] + [
            (slug, f"{info.family}{' Bold' if info.bold else ''} ({slug})")
            for slug, info in available_fonts().items()
        ]

    @classmethod
    def initial_from(cls, spec: Mapping[str, Any] | None) -> dict[str, Any]:
        if not spec:
            return {}
        try:  # a stored spec without "style" has one implied by its fields
            spec = {**spec, "style": OverlaySpec.from_dict(spec).style}
        except OverlayValidationError:
            pass
        return {k: v for k, v in spec.items() if k in cls.base_fields}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors or not (data.get("text") or "").strip():
            return data
        try:
            self.cleaned_spec = validate_overlay(self._raw_spec(), size=self.image_size)
        except RequestValidationError as exc:
            add_service_errors(self, exc, prefix="overlay.")
        return data

    def _raw_spec(self) -> dict[str, Any]:
        data = self.cleaned_data
        spec = {name: data[name] for name in self.fields if data.get(name) not in (None, "")}
        spec["text"] = data["text"].strip()
        return spec

    def spec(self) -> dict[str, Any] | None:
        """The validated spec, or None (no text: no overlay)."""
        if not (self.cleaned_data.get("text") or "").strip():
            return None
        return getattr(self, "cleaned_spec", None) or self._raw_spec()
