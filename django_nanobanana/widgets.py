"""``GeneratedAssetChooserWidget``: pick a generated image, or generate one, in a popup.

The popup is :mod:`django_nanobanana.chooser` (mount ``django_nanobanana.chooser.urls``);
the chosen image comes back through ``window.postMessage`` (same origin only). The widget
is a visible block (a thumbnail, the title and "Choose" / "Generate new" / "Clear" buttons)
around a hidden input holding the asset's id.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.urls import NoReverseMatch, reverse

from .access import may_generate
from .chooser.core import asset_summary
from .models import GeneratedAsset
from .pictures import prefetch_pictures


class GeneratedAssetChooserWidget(forms.Widget):
    """A visible widget (thumbnail, title, buttons) around a hidden ``<input>``.

    It must not declare ``input_type = "hidden"``: Django then treats the whole widget as
    hidden (``BoundField.is_hidden``) and the admin hides its form row, buttons included.
    """

    template_name = "nanobanana/chooser/widget.html"

    class Media:
        js = ("nanobanana/chooser/chooser.js",)
        css = {"all": ("nanobanana/chooser/chooser.css",)}

    def __init__(
        self, attrs: dict[str, Any] | None = None, *, generate: bool = True, user: Any = None
    ) -> None:
        super().__init__(attrs)
        self.generate = generate
        #: Whose form this is (set by ``GeneratedAssetChoiceField.limit_to_user``): the
        #: chosen image is shown only if that user may see it (django_nanobanana.access).
        self.user = user

    def format_value(self, value: Any) -> str | None:
        if value in (None, ""):
            return None
        return str(getattr(value, "pk", value))

    def chosen_asset(self, value: Any) -> dict[str, Any] | None:
        pk = self.format_value(value)
        if pk is None:
            return None
        queryset = GeneratedAsset.objects.all()
        if self.user is not None:
            queryset = queryset.visible_to(self.user)
        try:
            asset = prefetch_pictures(queryset.filter(pk=pk)).first()
        except (ValueError, ValidationError):
            return None
        return asset_summary(asset) if asset is not None else None

    def _may_generate(self) -> bool:
        return self.generate and (self.user is None or may_generate(self.user))

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        try:
            choose_url = reverse("nanobanana_chooser:choose")
            generate_url = reverse("nanobanana_chooser:generate") if self._may_generate() else ""
        except NoReverseMatch:
            choose_url = generate_url = ""
        context.update(
            asset=self.chosen_asset(value), choose_url=choose_url, generate_url=generate_url
        )
        return context
