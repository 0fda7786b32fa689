"""The "Generated image" plugin for django CMS 4 and 5."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.utils.translation import gettext_lazy as _

from .. import require

require("djangocms")

from cms.plugin_base import CMSPluginBase  # noqa: E402
from cms.plugin_pool import plugin_pool  # noqa: E402

from ... import access, services  # noqa: E402
from ...exceptions import NanobananaError  # noqa: E402
from ...models import GeneratedAsset  # noqa: E402
from ...pictures import prefetch_pictures  # noqa: E402
from ...services.descriptions import alt_text_for  # noqa: E402
from .forms import GeneratedAssetPluginForm  # noqa: E402
from .models import GeneratedAssetPluginModel  # noqa: E402


def may_change_overlay(user: Any, asset: GeneratedAsset) -> bool:
    return access.may_change(user, asset)


@plugin_pool.register_plugin
class GeneratedAssetPlugin(CMSPluginBase):
    model = GeneratedAssetPluginModel
    form = GeneratedAssetPluginForm
    name = _("Generated image")
    module = _("Media")
    render_template = "nanobanana/djangocms/picture.html"
    text_enabled = True
    # The image behind the plugin changes without the page changing (a generation
    # finishing, an overlay re-rendered): never serve a cached placeholder for it.
    cache = False
    fieldsets = [
        (None, {"fields": ["asset", "alt_text", "caption"]}),
        (
            _("Text overlay"),
            {"fields": ["overlay_text", "overlay_anchor", "overlay_style", "overlay_color"]},
        ),
        (_("Rendering"), {"classes": ["collapse"], "fields": ["sizes", "loading", "css_class"]}),
    ]

    def get_form(self, request: Any, obj: Any = None, **kwargs: Any) -> Any:
        """The form accepts only images the editor may see (the one already placed stays
        acceptable, so editing someone else's plugin does not fail on it)."""
        form = super().get_form(request, obj, **kwargs)
        user = request.user

        class EditorsForm(form):  # type: ignore[misc, valid-type]
            def __init__(self, *args: Any, **kw: Any) -> None:
                kw.setdefault("user", user)
                super().__init__(*args, **kw)

        EditorsForm.__name__ = form.__name__
        return EditorsForm

    def save_model(
        self,
        request: Any,
        obj: GeneratedAssetPluginModel,
        form: GeneratedAssetPluginForm,
        change: bool,
    ) -> None:
        super().save_model(request, obj, form, change)
        asset = form.cleaned_data.get("asset")
        if asset is None or not form.overlay_changed():
            return
        if not may_change_overlay(request.user, asset):
            messages.warning(
                request,
                _("You may not change this image's overlay; the plugin was saved without it."),
            )
            return
        try:
            services.rerender_overlay(asset, form.overlay_spec(), user=request.user)
        except NanobananaError as exc:
            messages.error(request, str(exc))

    def render(
        self, context: dict[str, Any], instance: GeneratedAssetPluginModel, placeholder: Any
    ) -> dict[str, Any]:
        context = super().render(context, instance, placeholder)
        asset = None
        if instance.asset_id:
            asset = prefetch_pictures(GeneratedAsset.objects.filter(pk=instance.asset_id)).first()
        context["asset"] = asset
        # The plugin's own alt text, else what every page uses for the image (the reviewed
        # one in the page's language, or the suggestion where DESCRIPTIONS allows it).
        context["alt"] = instance.alt_text or (alt_text_for(asset) if asset else "")
        return context
