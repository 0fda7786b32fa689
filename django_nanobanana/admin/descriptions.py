"""The asset admin's alt-text and focal-point review: describe (one text-model call),
accept (as suggested or edited), reject, and set the focal point by clicking the image.

Thin: every view validates the POST and calls :mod:`~django_nanobanana.services.
descriptions`. The change page shows the panel (``_description.html``).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import quote
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext_lazy

from ..exceptions import BudgetExceeded, NanobananaError, StateConflict
from ..forms import error_message
from ..models import DescriptionState, GeneratedAsset, ImageDescription
from ..services import descriptions
from .actions import AssetActionsMixin
from .bulk import Refused, run_bulk
from .flows import object_urls, on_behalf_of


def _describe_refusal(exc: NanobananaError) -> str:
    if isinstance(exc, BudgetExceeded):
        return _("The description was refused: %(reason)s The image is unchanged.") % {
            "reason": exc.message
        }
    return error_message(exc)


def _point(request: HttpRequest) -> tuple[str, str] | None:
    x, y = request.POST.get("focal_point_x", ""), request.POST.get("focal_point_y", "")
    return (x, y) if x != "" and y != "" else None


class DescriptionAdminMixin(AssetActionsMixin):
    """Views and a changelist action for :class:`~.assets.GeneratedAssetAdmin`."""

    def description_context(self, request: HttpRequest, asset: GeneratedAsset) -> dict[str, Any]:
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        current = asset.current_version
        row = descriptions.latest_description(current)
        codes = (
            list(row.languages) if row is not None and row.languages else descriptions.languages()
        )
        fields = [
            {
                "code": code,
                "name": f"alt_text_{code}",
                "suggested": (row.alt_text or {}).get(code, "") if row is not None else "",
                "value": (
                    asset.alt_text if code == codes[0] else (asset.alt_texts or {}).get(code, "")
                ),
            }
            for code in codes
        ]
        return {
            "description": row,
            "description_fields": fields,
            "description_long": next(iter((row.description or {}).values()), "")
            if row is not None
            else "",
            "description_busy": row is not None
            and row.state in (DescriptionState.QUEUED, DescriptionState.RUNNING),
            "url_describe": reverse(f"admin:{prefix}_describe", args=[quote(asset.pk)]),
            "url_accept_description": reverse(
                f"admin:{prefix}_accept_description", args=[quote(asset.pk)]
            ),
            "url_focal_point": reverse(f"admin:{prefix}_focal_point", args=[quote(asset.pk)]),
            "focal_x": asset.focal_point_x
            if asset.focal_point_x is not None
            else (row.focal_point_x if row is not None else None),
            "focal_y": asset.focal_point_y
            if asset.focal_point_y is not None
            else (row.focal_point_y if row is not None else None),
        }

    def description_urls(self) -> list[Any]:
        return object_urls(
            self,  # type: ignore[arg-type]
            [
                ("describe", self.describe_view, True),
                ("accept-description", self.accept_description_view, True),
                ("focal-point", self.focal_point_view, True),
            ],
        )

    def _describe(self, request: HttpRequest, asset: GeneratedAsset) -> ImageDescription:
        if asset.current_version is None:
            raise StateConflict(_("This image has no finished version yet."))
        return descriptions.request_description(
            asset.current_version,
            **on_behalf_of(request),
        )

    def describe_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        asset = self._asset(request, object_id)
        self._require(self.has_generate_permission(request, asset))
        return self._act(
            request,
            asset,
            lambda: self._describe(request, asset),
            log=_("Asked for an alt text and focal point."),
            done=_("Describing the image; the suggestion appears here when it is ready."),
            refusal=_describe_refusal,
        )

    def accept_description_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        asset = self._asset(request, object_id)
        self._require(self.has_change_permission(request, asset))  # type: ignore[attr-defined]
        row = ImageDescription.objects.filter(
            version__asset=asset, pk=request.POST.get("description") or None
        ).first()
        if row is None:
            messages.error(request, _("There is no suggestion to review."))
            return HttpResponseRedirect(self._change_url(asset))
        if request.POST.get("reject"):
            descriptions.reject_description(row, user=request.user)
            self._log(request, asset, _("Rejected the suggested alt text."))
            messages.success(request, _("Suggestion rejected."))
            return HttpResponseRedirect(self._change_url(asset))
        texts = {
            code: request.POST[f"alt_text_{code}"].strip()
            for code in (row.languages or descriptions.languages())
            if f"alt_text_{code}" in request.POST
        }
        return self._act(
            request,
            asset,
            lambda: descriptions.accept_description(
                row, user=request.user, alt_text=texts or None, focal_point=_point(request)
            ),
            log=_("Accepted the alt text and focal point."),
            done=_("Alt text and focal point saved."),
        )

    def focal_point_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        asset = self._asset(request, object_id)
        self._require(self.has_change_permission(request, asset))  # type: ignore[attr-defined]
        return self._act(
            request,
            asset,
            lambda: descriptions.set_focal_point(asset, _point(request), user=request.user),
            log=_("Set the focal point."),
            done=_("Focal point saved; crops are re-rendered (no provider cost)."),
        )

    @admin.action(description=gettext_lazy("Suggest alt text and focal point"))
    def describe_action(self, request: HttpRequest, queryset: QuerySet) -> None:
        def step(asset: GeneratedAsset) -> None:
            if not self.has_generate_permission(request, asset):
                raise Refused(_("%(title)s: not allowed.") % {"title": asset.title})
            self._describe(request, asset)

        done = ngettext_lazy(
            "%(count)d image is being described.",
            "%(count)d images are being described.",
            "count",
        )
        run_bulk(request, queryset, step, done=done)
