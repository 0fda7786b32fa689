"""Admin of generated images: the list editors work from, the change page with the image,
overlay editor and version history, and the actions (in :mod:`.actions` and :mod:`.bulk`).

The list costs a fixed number of queries however many rows it shows: the latest state and
the cost to date are subqueries of the one list query, owner and current version are
joined, and the thumbnails' renditions are prefetched in one more query.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import DecimalField, QuerySet, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .. import access
from ..exceptions import NanobananaError
from ..models import GeneratedAsset, State
from ..pictures import prefetch_pictures
from ..providers.models_registry import get_registry
from ..services import delete_asset
from .bulk import BulkActionsMixin
from .descriptions import DescriptionAdminMixin
from .forms import capabilities_json
from .views import (
    dashboard_view,
    editor_context,
    export_csv_view,
    overlay_preview_view,
    panel_context,
    poll_seconds,
    status_view,
    thumbnail_url,
)

STATE_COLOURS = {
    State.QUEUED: "#79aec8",
    State.RUNNING: "#e6a700",
    State.SUCCEEDED: "#2e7d32",
    State.FAILED: "#ba2121",
    State.BLOCKED: "#ba2121",
    State.CANCELLED: "#777",
}


def state_badge(state: str, label: str) -> str:
    return format_html(
        '<span class="nb-state nb-state-{}" data-nb-state="{}" style="background:{}">{}</span>',
        state,
        state,
        STATE_COLOURS.get(state, "#777"),
        label,
    )


class StateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [*State.choices, ("none", _("No version yet"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet | None:
        value = self.value()
        if value == "none":
            return queryset.filter(latest_state__isnull=True)
        if value in State.values:
            return queryset.filter(latest_state=value)
        return None


class ModelFilter(admin.SimpleListFilter):
    title = _("model")
    parameter_name = "model"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(m.id, m.name) for m in get_registry().values()]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet | None:
        if self.value():
            return queryset.filter(current_version__model=self.value())
        return None


@admin.register(GeneratedAsset)
class GeneratedAssetAdmin(DescriptionAdminMixin, BulkActionsMixin, admin.ModelAdmin):
    # Not "model": a method of that name is shadowed by ``ModelAdmin.model`` (the class), and
    # the column would be an empty one headed with the model's name.
    list_display = (
        "thumbnail",
        "title",
        "state",
        "image_model",
        "size",
        "cost_to_date",
        "owner",
        "updated_at",
    )
    list_display_links = ("thumbnail", "title")
    list_filter = (
        StateFilter,
        ModelFilter,
        ("owner", admin.RelatedOnlyFieldListFilter),
        ("updated_at", admin.DateFieldListFilter),
    )
    search_fields = ("title", "versions__prompt")
    list_per_page = 50
    actions = [
        "generate_action",
        "regenerate_action",
        "edit_action",
        "overlay_action",
        "describe_action",
        "delete_selected",
    ]
    fields = (
        "title",
        "alt_text",
        "focal_point_x",
        "focal_point_y",
        "owner",
        "created_at",
        "updated_at",
    )
    readonly_fields = ("owner", "created_at", "updated_at")
    change_form_template = "admin/nanobanana/change_form.html"
    change_list_template = "admin/nanobanana/change_list.html"

    class Media:
        css = {"all": ("nanobanana/admin.css",)}
        js = ("nanobanana/admin.js", "nanobanana/focal_point.js")

    # -- queries -----------------------------------------------------------------------------

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        money = DecimalField(max_digits=14, decimal_places=6)
        # Thumbnails: the current versions' renditions in one query for the whole page.
        return (
            prefetch_pictures(super().get_queryset(request).visible_to(request.user))
            .select_related("owner")
            .with_versions_summary()
            .annotate(cost_total=Coalesce("total_cost", Value(0), output_field=money))
        )

    # -- permissions -------------------------------------------------------------------------

    # All of them ask django_nanobanana.access (owners: their own images; staff with the
    # model permissions: every image). Without an object: "on some image" (lists, menus).

    def has_module_permission(self, request: HttpRequest) -> bool:
        return access.may_view_any(request.user) or access.may_generate(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return access.may_any(request.user, "view")
        return access.may_view(request.user, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return access.may_any(request.user, "change")
        return access.may_change(request.user, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return access.may_any(request.user, "delete")
        return access.may_delete(request.user, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        """Adding an image means generating one."""
        return access.may_generate(request.user)

    # -- list columns ------------------------------------------------------------------------

    @admin.display(description=_("image"))
    def thumbnail(self, obj: GeneratedAsset) -> str:
        version = obj.current_version
        if version is None or not version.original:
            return format_html('<span class="nb-thumb nb-thumb-empty">{}</span>', "—")
        return format_html(
            '<img class="nb-thumb" src="{}" alt="{}" loading="lazy">',
            thumbnail_url(version, obj.rendered_overlay_hash),
            obj.alt_text,
        )

    @admin.display(description=_("state"), ordering="latest_state")
    def state(self, obj: GeneratedAsset) -> str:
        state = getattr(obj, "latest_state", None)
        if not state:
            return "—"
        return state_badge(state, State(state).label)

    @admin.display(description=_("model"), ordering="current_version__model")
    def image_model(self, obj: GeneratedAsset) -> str:
        return obj.current_version.model if obj.current_version else "—"

    @admin.display(description=_("size"))
    def size(self, obj: GeneratedAsset) -> str:
        version = obj.current_version
        if version is None or not version.width:
            return "—"
        label = f"{version.width}\u00d7{version.height}"
        return f"{label} ({version.image_size})" if version.image_size else label

    @admin.display(description=_("cost to date (USD)"), ordering="cost_total")
    def cost_to_date(self, obj: GeneratedAsset) -> str:
        total = getattr(obj, "cost_total", None) or 0
        return f"{total:.4f}"

    # -- change page -------------------------------------------------------------------------

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        extra_context = dict(extra_context or {})
        asset = self.get_object(request, object_id)
        if asset is not None and self.has_view_or_change_permission(request, asset):
            prefix = f"{self.opts.app_label}_{self.opts.model_name}"
            extra_context.update(panel_context(self, request, asset))
            extra_context.update(editor_context(self, request, asset))
            extra_context.update(self.description_context(request, asset))
            extra_context.update(
                {
                    "url_status": reverse(f"admin:{prefix}_status", args=[asset.pk]),
                    "poll_seconds": poll_seconds(),
                    "capabilities": capabilities_json(),
                }
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra_context = dict(extra_context or {})
        extra_context["can_view_usage"] = request.user.has_perm("nanobanana.view_usage")
        return super().changelist_view(request, extra_context)

    def save_model(
        self, request: HttpRequest, obj: GeneratedAsset, form: Any, change: bool
    ) -> None:
        if not change and obj.owner_id is None:
            obj.owner = request.user
        super().save_model(request, obj, form, change)

    # -- deletion goes through the service (queued work is cancelled first) -------------------

    def delete_model(self, request: HttpRequest, obj: GeneratedAsset) -> None:
        try:
            delete_asset(obj, user=request.user)
        except NanobananaError as exc:
            messages.error(request, f"{obj.title}: {exc}")

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for asset in queryset:
            if access.may_delete(request.user, asset):
                self.delete_model(request, asset)

    # -- urls --------------------------------------------------------------------------------

    def get_urls(self) -> list[Any]:
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        wrap = self.admin_site.admin_view

        def bind(view: Any) -> Any:
            def bound(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
                return view(self, request, *args, **kwargs)

            return wrap(bound)

        return [
            path("usage/", bind(dashboard_view), name=f"{prefix}_usage"),
            path("usage/export.csv", bind(export_csv_view), name=f"{prefix}_usage_csv"),
            path("<path:object_id>/status/", bind(status_view), name=f"{prefix}_status"),
            path(
                "<path:object_id>/overlay/preview/",
                bind(overlay_preview_view),
                name=f"{prefix}_overlay_preview",
            ),
            *self.object_action_urls(),
            *self.description_urls(),
            *super().get_urls(),
        ]
