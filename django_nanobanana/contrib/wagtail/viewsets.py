"""Wagtail admin: a chooser for generated images and a section to browse, generate and
copy them into the image library. Both go through :mod:`django_nanobanana.services` and
the same permissions as the Django admin and the REST API."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from django.views.generic.edit import FormMixin

from .. import require

require("wagtail")

from wagtail.admin.forms.choosers import BaseFilterForm  # noqa: E402
from wagtail.admin.staticfiles import versioned_static  # noqa: E402
from wagtail.admin.ui.tables import Column, DateColumn, TitleColumn  # noqa: E402
from wagtail.admin.views import generic  # noqa: E402
from wagtail.admin.views.generic import chooser as chooser_views  # noqa: E402
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin  # noqa: E402
from wagtail.admin.views.generic.history import HistoryView as BaseHistoryView  # noqa: E402
from wagtail.admin.views.generic.usage import UsageView as BaseUsageView  # noqa: E402
from wagtail.admin.viewsets.chooser import ChooserViewSet  # noqa: E402
from wagtail.admin.viewsets.model import ModelViewSet  # noqa: E402
from wagtail.admin.widgets.button import HeaderButton  # noqa: E402
from wagtail.admin.widgets.chooser import BaseChooser, BaseChooserAdapter  # noqa: E402

from ... import access, services  # noqa: E402
from ...chooser.core import (  # noqa: E402
    ChooserGenerationForm,
    can_generate,
    queue_generation,
    search_assets,
    thumbnail_url,
    visible_assets,
)
from ...exceptions import NanobananaError  # noqa: E402
from ...models import GeneratedAsset  # noqa: E402
from ...pictures import prefetch_pictures  # noqa: E402
from .images import copy_to_image_library  # noqa: E402
from .permissions import GeneratedAssetPermissionPolicy  # noqa: E402

try:  # Wagtail 8+: the policy is registered for the model (apps.ready)
    from wagtail.permissions import register_permission_policy as _POLICY_REGISTRY
except ImportError:  # Wagtail 7
    _POLICY_REGISTRY = None


class ThumbnailColumn(Column):
    """A small preview of the asset's current version (or "no image yet")."""

    cell_template_name = "nanobanana/wagtail/thumbnail_cell.html"

    def get_value(self, instance: GeneratedAsset) -> str:
        return thumbnail_url(instance)


class AssetSearchForm(BaseFilterForm):
    q = forms.CharField(
        label=gettext_lazy("Search term"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("Search")}),
    )

    def filter(self, objects: Any) -> Any:
        objects = super().filter(objects)
        query = (self.cleaned_data.get("q") or "").strip()
        if query:
            objects = search_assets(objects, query)
            self.is_searching = True
            self.search_query = query
        return objects


def scoped_asset(user: Any, pk: Any, action: str = "view") -> GeneratedAsset:
    """The asset ``pk`` if ``user`` may see it (else 404: its existence is not revealed)
    and do ``action`` on it (else 403), per :mod:`django_nanobanana.access`."""
    try:
        asset = prefetch_pictures(visible_assets(user)).filter(pk=unquote(str(pk))).first()
    except (ValueError, ValidationError):
        asset = None
    if asset is None:
        raise Http404
    if not access.may(user, asset, action):
        raise PermissionDenied
    return asset


class ScopedObjectMixin:
    """Every object view of the section loads its asset through :func:`scoped_asset`."""

    access_action = "view"
    request: HttpRequest
    kwargs: dict[str, Any]
    pk_url_kwarg = "pk"

    def get_object(self, queryset: Any = None) -> GeneratedAsset:
        cached = getattr(self, "object", None)
        if isinstance(cached, GeneratedAsset):
            return cached
        return scoped_asset(self.request.user, self.kwargs[self.pk_url_kwarg], self.access_action)


# -- chooser -----------------------------------------------------------------------------------


class _ChooseMixin:
    filter_form_class = AssetSearchForm
    request: HttpRequest

    def get_object_list(self) -> Any:
        return prefetch_pictures(visible_assets(self.request.user)).order_by("-updated_at")

    def can_create(self) -> bool:
        return can_generate(self.request.user)

    @property
    def columns(self) -> list[Column]:
        title = self.title_column  # type: ignore[attr-defined]
        return [
            ThumbnailColumn("thumbnail", label=_("Image"), width="15%"),
            title,
            Column("size", label=_("Size"), accessor=_size),
            DateColumn("updated_at", label=_("Updated")),
        ]


def _size(asset: GeneratedAsset) -> str:
    version = asset.current_version
    if version is None or not version.width:
        return _("No image yet")
    return f"{version.width}\u00d7{version.height}"


class ChooseView(_ChooseMixin, chooser_views.ChooseView):
    pass


class ChooseResultsView(_ChooseMixin, chooser_views.ChooseResultsView):
    pass


class _ChosenMixin:
    request: HttpRequest

    def get_object(self, pk: Any) -> GeneratedAsset:
        try:
            asset = visible_assets(self.request.user).filter(pk=pk).first()
        except (ValueError, ValidationError):
            asset = None
        if asset is None:
            raise GeneratedAsset.DoesNotExist
        return asset

    def get_chosen_response_data(self, item: GeneratedAsset) -> dict[str, Any]:
        data = super().get_chosen_response_data(item)  # type: ignore[misc]
        data["id"] = str(item.pk)
        data["preview"] = {"url": thumbnail_url(item)}
        return data

    def get_display_title(self, instance: GeneratedAsset) -> str:
        if instance.current_version_id is None:
            return _("%(title)s (generating…)") % {"title": instance.title}
        return instance.title


class ChosenView(_ChosenMixin, chooser_views.ChosenView):
    pass


class CreateView(_ChosenMixin, chooser_views.CreateView):
    """The chooser's "Generate new" tab: queues through the services and returns the new
    asset at once; its image appears when the worker has finished."""

    def can_create(self) -> bool:
        return can_generate(self.request.user)

    def post(self, request: HttpRequest) -> HttpResponse:
        self.form = self.get_creation_form()
        if self.form.is_valid():
            version = queue_generation(self.form, request.user)
            if version is not None:
                return self.get_chosen_response(version.asset)
        return self.get_reshow_creation_form_response()


class GeneratedAssetChooser(BaseChooser):
    """Wagtail's chooser widget, showing the chosen image's thumbnail (the generic one
    shows a grey icon), with UUID ids made JSON-safe (StreamField form state)."""

    template_name = "nanobanana/wagtail/chooser_widget.html"
    js_constructor = "NanobananaChooser"

    def get_value_data_from_instance(self, instance: GeneratedAsset) -> dict[str, Any]:
        data = super().get_value_data_from_instance(instance)
        data["id"] = str(instance.pk)
        data["preview"] = {"url": thumbnail_url(instance)}
        return data

    def get_context(self, name: str, value_data: Any, attrs: Any) -> dict[str, Any]:
        context = super().get_context(name, value_data, attrs)
        context["preview"] = (value_data or {}).get("preview", {})
        return context

    @property
    def media(self) -> forms.Media:
        return forms.Media(
            js=[
                versioned_static("wagtailadmin/js/chooser-widget.js"),
                versioned_static("nanobanana/wagtail/chooser.js"),
            ]
        )


class GeneratedAssetChooserAdapter(BaseChooserAdapter):
    """The block's widget on the JavaScript side (telepath): the same thumbnail."""

    js_constructor = "nanobanana.wagtail.Chooser"

    @property
    def media(self) -> forms.Media:
        return forms.Media(
            js=[
                versioned_static("wagtailadmin/js/chooser-widget-telepath.js"),
                versioned_static("nanobanana/wagtail/chooser.js"),
            ]
        )


class GeneratedAssetChooserViewSet(ChooserViewSet):
    base_widget_class = GeneratedAssetChooser
    widget_telepath_adapter_class = GeneratedAssetChooserAdapter
    model = GeneratedAsset
    icon = "image"
    choose_one_text = gettext_lazy("Choose a generated image")
    choose_another_text = gettext_lazy("Choose another generated image")
    edit_item_text = gettext_lazy("Edit this generated image")
    create_action_label = gettext_lazy("Generate")
    create_action_clicked_label = gettext_lazy("Queuing…")
    creation_tab_label = gettext_lazy("Generate new")
    creation_form_class = ChooserGenerationForm
    per_page = 24
    choose_view_class = ChooseView
    choose_results_view_class = ChooseResultsView
    chosen_view_class = ChosenView
    create_view_class = CreateView


chooser_viewset = GeneratedAssetChooserViewSet(
    "nanobanana_wagtail_chooser", url_prefix="nanobanana/chooser"
)


# -- browse, generate, copy ----------------------------------------------------------------------

ASSETS_NAMESPACE = "nanobanana_assets"


class IndexView(generic.IndexView):
    def get_base_queryset(self) -> Any:
        return prefetch_pictures(visible_assets(self.request.user))


class GenerateView(generic.CreateView):
    """ "Add" is "Generate": the form asks for a prompt and parameters, the services queue it."""

    page_title = gettext_lazy("Generate")
    submit_button_label = gettext_lazy("Generate")
    submit_button_active_label = gettext_lazy("Queuing…")

    def user_has_permission(self, permission: str) -> bool:
        return can_generate(self.request.user)

    def get_panel(self) -> None:
        return None

    def get_form_class(self) -> type[forms.Form]:
        return ChooserGenerationForm

    def get_form_kwargs(self) -> dict[str, Any]:
        return FormMixin.get_form_kwargs(self)

    def form_valid(self, form: ChooserGenerationForm) -> HttpResponse:
        version = queue_generation(form, self.request.user)
        if version is None:
            return self.form_invalid(form)
        self.object = version.asset
        messages.success(
            self.request,
            _("“%(title)s” is queued; it appears here when ready.")
            % {"title": version.asset.title},
        )
        return redirect(self.get_success_url())


class EditView(ScopedObjectMixin, generic.EditView):
    template_name = "nanobanana/wagtail/edit.html"
    access_action = "change"

    @property
    def header_more_buttons(self) -> list[Any]:
        buttons = list(super().header_more_buttons)
        if self.object.current_version_id and _may_copy(self.request.user):
            buttons.append(
                HeaderButton(
                    _("Copy to image library"),
                    icon_name="image",
                    priority=30,
                    url=reverse(f"{ASSETS_NAMESPACE}:copy_to_library", args=[self.object.pk]),
                )
            )
        return buttons


class DeleteView(ScopedObjectMixin, generic.DeleteView):
    access_action = "delete"

    def delete_action(self) -> None:
        services.delete_asset(self.object, user=self.request.user)


class HistoryView(ScopedObjectMixin, BaseHistoryView):
    # The asset's own rule, not Wagtail's model-wide "add, change or delete".
    any_permission_required = None
    permission_required = "view"


class UsageView(ScopedObjectMixin, BaseUsageView):
    permission_required = "view"


def _may_copy(user: Any) -> bool:
    return bool(user.has_perm("wagtailimages.add_image"))


class CopyToLibraryView(WagtailAdminTemplateMixin, TemplateView):
    """GET: confirm; POST: create the Wagtail image and go to its edit page."""

    template_name = "nanobanana/wagtail/copy_to_library.html"
    header_icon = "image"
    page_title = gettext_lazy("Copy to image library")
    url_namespace = ""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not _may_copy(request.user):
            raise PermissionDenied
        self.object = scoped_asset(request.user, kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self) -> str:
        return self.object.title

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(
            object=self.object, has_overlay=bool(self.object.rendered_overlay_hash), **kwargs
        )

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            image = copy_to_image_library(
                self.object, user=request.user, with_overlay=bool(request.POST.get("with_overlay"))
            )
        except NanobananaError as exc:
            messages.error(request, str(exc))
            return redirect(f"{self.url_namespace}:edit", self.object.pk)
        messages.success(
            request, _("Copied “%(title)s” into the image library.") % {"title": image.title}
        )
        return redirect("wagtailimages:edit", image.pk)


class GeneratedAssetViewSet(ModelViewSet):
    model = GeneratedAsset
    icon = "image"
    menu_label = gettext_lazy("Generated images")
    menu_order = 310
    add_to_admin_menu = True
    form_fields = ["title", "alt_text"]
    search_fields = ["title", "alt_text", "current_version__prompt"]
    search_backend_name = None
    ordering = ["-updated_at"]
    list_per_page = 30
    index_view_class = IndexView
    add_view_class = GenerateView
    edit_view_class = EditView
    delete_view_class = DeleteView
    history_view_class = HistoryView
    usage_view_class = UsageView
    copy_view_enabled = False
    inspect_view_enabled = False
    add_item_label = gettext_lazy("Generate")

    if not _POLICY_REGISTRY:  # Wagtail 7: the viewset's own policy

        @cached_property
        def permission_policy(self) -> GeneratedAssetPermissionPolicy:
            """:mod:`django_nanobanana.access` for Wagtail's checks, menus and buttons."""
            return GeneratedAssetPermissionPolicy(GeneratedAsset)

    @property
    def list_display(self) -> list[Any]:
        return [
            ThumbnailColumn("thumbnail", label=_("Image"), width="12%"),
            TitleColumn("title", label=_("Title"), url_name=self.get_url_name("edit")),
            Column("size", label=_("Size"), accessor=_size),
            DateColumn("updated_at", label=_("Updated")),
        ]

    @property
    def copy_to_library_view(self) -> Any:
        return CopyToLibraryView.as_view(url_namespace=self.url_namespace)

    def get_urlpatterns(self) -> list[Any]:
        return [
            *super().get_urlpatterns(),
            path("copy-to-library/<str:pk>/", self.copy_to_library_view, name="copy_to_library"),
        ]


asset_viewset = GeneratedAssetViewSet(ASSETS_NAMESPACE, url_prefix="nanobanana/images")


__all__ = [
    "GeneratedAssetChooserViewSet",
    "GeneratedAssetViewSet",
    "asset_viewset",
    "chooser_viewset",
]
