"""The plugin's form: the image (chooser with "Generate new") and its text overlay."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .. import require

require("djangocms")

from ...exceptions import RequestValidationError  # noqa: E402
from ...fields import limit_to_user  # noqa: E402
from ...forms import OVERLAY_STYLE_CHOICES, OVERLAY_STYLE_HELP, add_service_errors  # noqa: E402
from ...imaging.overlay import (  # noqa: E402
    ANCHORS,
    DEFAULT_ANCHOR,
    DEFAULT_COLOR,
    DEFAULT_STYLE,
    OverlaySpec,
    OverlayValidationError,
)
from ...services import validate_overlay  # noqa: E402
from ...services.assets import merged_overlay  # noqa: E402
from .models import GeneratedAssetPluginModel  # noqa: E402

COLOR = forms.CharField(
    label=_("Overlay colour"),
    required=False,
    max_length=9,
    initial=DEFAULT_COLOR,
    widget=forms.TextInput(attrs={"type": "color"}),
    help_text=_("Custom style only."),
)


def _style_of(overlay: dict) -> str:
    """The style of a saved overlay (one with colours but no style is custom)."""
    try:
        return OverlaySpec.from_dict(overlay).style if overlay else DEFAULT_STYLE
    except OverlayValidationError:
        return DEFAULT_STYLE


class GeneratedAssetPluginForm(forms.ModelForm):
    """The overlay fields edit the image's own overlay (every page that shows the image
    gets it), re-rendered through :func:`services.rerender_overlay` without a new
    generation."""

    overlay_text = forms.CharField(
        label=_("Overlay text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Text drawn exactly over the image. Changes the image everywhere it is "
            "used. Leave empty for no overlay."
        ),
    )
    overlay_anchor = forms.ChoiceField(
        label=_("Overlay position"),
        required=False,
        initial=DEFAULT_ANCHOR,
        choices=[(a, a.replace("-", " ").capitalize()) for a in ANCHORS],
    )
    overlay_style = forms.ChoiceField(
        label=_("Overlay style"),
        required=False,
        initial=DEFAULT_STYLE,
        choices=OVERLAY_STYLE_CHOICES,
        help_text=OVERLAY_STYLE_HELP,
    )
    overlay_color = COLOR

    class Meta:
        model = GeneratedAssetPluginModel
        fields = ["asset", "alt_text", "caption", "sizes", "loading", "css_class"]

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["asset"].required = True
        if user is not None:
            limit_to_user(self, user)
        asset = self.instance.asset if self.instance.pk and self.instance.asset_id else None
        overlay = (asset.overlay or {}) if asset is not None else {}
        self.initial.setdefault("overlay_text", overlay.get("text", ""))
        self.initial.setdefault("overlay_anchor", overlay.get("anchor", DEFAULT_ANCHOR))
        self.initial.setdefault("overlay_style", _style_of(overlay))
        self.initial.setdefault("overlay_color", overlay.get("color", DEFAULT_COLOR))

    def overlay_spec(self) -> dict[str, Any] | None:
        """The overlay the form asks for, on top of the image's current one (None: none)."""
        text = (self.cleaned_data.get("overlay_text") or "").strip()
        if not text:
            return None
        asset = self.cleaned_data.get("asset")
        style = self.cleaned_data.get("overlay_style") or DEFAULT_STYLE
        changes: dict[str, Any] = {
            "text": text,
            "anchor": self.cleaned_data.get("overlay_anchor") or DEFAULT_ANCHOR,
            "style": style,
        }
        if style == "custom":  # the colour input always sends one: used only when asked for
            changes["color"] = (self.cleaned_data.get("overlay_color") or DEFAULT_COLOR).upper()
        return merged_overlay(asset, changes)

    def overlay_changed(self) -> bool:
        asset = self.cleaned_data.get("asset")
        return asset is not None and (asset.overlay or None) != self.overlay_spec()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        asset = data.get("asset")
        if asset is not None and self.overlay_changed():
            current = asset.current_version
            size = (current.width, current.height) if current and current.width else None
            try:
                validate_overlay(self.overlay_spec(), size=size)
            except RequestValidationError as exc:
                add_service_errors(self, exc, field="overlay_text")
        return data
