"""Admin for generated images: create with a prompt, see versions, state and cost."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ..forms import GenerationForm
from ..models import AssetVersion, GeneratedAsset, Source
from ..services import generate


class AssetCreationForm(forms.ModelForm):
    """The add form: the asset's title and alt text plus what to generate."""

    class Meta:
        model = GeneratedAsset
        fields = ("title", "alt_text")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.generation = GenerationForm(data=self.data or None, prefix=None)
        self.fields.update(self.generation.fields)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not self.generation.is_valid():
            for field, errors in self.generation.errors.items():
                for error in errors:
                    self.add_error(None if field == "__all__" else field, error)
        return data


class AssetVersionInline(admin.TabularInline):
    model = AssetVersion
    fk_name = "asset"
    extra = 0
    can_delete = False
    show_change_link = False
    fields = ("thumbnail", "state", "kind", "prompt", "model", "image_size", "cost",
              "created_by", "created_at", "error")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("image"))
    def thumbnail(self, obj: AssetVersion) -> str:
        if not obj.original:
            return "—"
        return format_html('<img src="{}" style="max-height:80px" alt="">', obj.original.url)


@admin.register(GeneratedAsset)
class GeneratedAssetAdmin(admin.ModelAdmin):
    list_display = ("title", "preview_small", "state", "model", "owner", "updated_at")
    list_select_related = ("current_version", "owner")
    search_fields = ("title", "versions__prompt")
    readonly_fields = ("preview", "owner", "current_version", "created_at", "updated_at")
    inlines = [AssetVersionInline]

    def get_form(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = AssetCreationForm
            kwargs["fields"] = ("title", "alt_text")
        return super().get_form(request, obj, **kwargs)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return [
                (None, {"fields": ("title", "alt_text")}),
                (_("Generate"), {"fields": ("prompt", "model", "aspect_ratio", "image_size",
                                            "seed")}),
            ]
        return [
            (None, {"fields": ("preview", "title", "alt_text", "owner", "current_version")}),
            (_("Dates"), {"fields": ("created_at", "updated_at")}),
        ]

    def get_inlines(self, request: HttpRequest, obj: Any) -> Any:
        return self.inlines if obj is not None else []

    def save_model(self, request: HttpRequest, obj: GeneratedAsset, form: Any, change: bool) -> None:
        if not change:
            obj.owner = request.user
        super().save_model(request, obj, form, change)
        if not change:
            generate(form.generation.generation_params(), asset=obj, user=request.user,
                     source=Source.ADMIN)
            self.message_user(request, _("Generation queued; the image appears when it is ready."),
                              messages.SUCCESS)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("current_version", "owner")

    @admin.display(description=_("state"))
    def state(self, obj: GeneratedAsset) -> str:
        latest = obj.versions.order_by("-created_at").values_list("state", flat=True).first()
        return latest or "—"

    @admin.display(description=_("model"))
    def model(self, obj: GeneratedAsset) -> str:
        return obj.current_version.model if obj.current_version else "—"

    @admin.display(description=_("image"))
    def preview_small(self, obj: GeneratedAsset) -> str:
        version = obj.current_version
        if not version or not version.original:
            return "—"
        return format_html('<img src="{}" style="max-height:48px" alt="">', version.original.url)

    @admin.display(description=_("current image"))
    def preview(self, obj: GeneratedAsset) -> str:
        version = obj.current_version
        if not version or not version.original:
            return _("No image yet.")
        return format_html('<img src="{}" style="max-width:640px;width:100%" alt="{}">',
                           version.original.url, obj.alt_text)
