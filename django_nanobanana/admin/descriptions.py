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
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from ..exceptions import BudgetExceeded, NanobananaError, StateConflict
from ..forms import error_message
from ..ledger import client_ip
from ..models import DescriptionState, GeneratedAsset, ImageDescription, Source
from ..services import descriptions


def _point(request: HttpRequest) -> tuple[str, str] | None:
    x, y = request.POST.get("focal_point_x", ""), request.POST.get("focal_point_y", "")
    return (x, y) if x != "" and y != "" else None


class DescriptionAdminMixin:
    """Views and a changelist action for :class:`~.assets.GeneratedAssetAdmin`."""

    def description_context(self, request: HttpRequest, asset: GeneratedAsset) -> dict[str, Any]:
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"  # type: ignore[attr-defined]
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
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"  # type: ignore[attr-defined]
        wrap = self.admin_site.admin_view  # type: ignore[attr-defined]
        return [
            path(
                "<path:object_id>/describe/",
                wrap(require_POST(self.describe_view)),
                name=f"{prefix}_describe",
            ),
            path(
                "<path:object_id>/accept-description/",
                wrap(require_POST(self.accept_description_view)),
                name=f"{prefix}_accept_description",
            ),
            path(
                "<path:object_id>/focal-point/",
                wrap(require_POST(self.focal_point_view)),
                name=f"{prefix}_focal_point",
            ),
        ]

    def _describe(self, request: HttpRequest, asset: GeneratedAsset) -> ImageDescription:
        if asset.current_version is None:
            raise StateConflict(_("This image has no finished version yet."))
        return descriptions.request_description(
            asset.current_version,
            user=request.user,
            source=Source.ADMIN,
            client_ip=client_ip(request),
        )

    def describe_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        asset = self._asset(request, object_id)  # type: ignore[attr-defined]
        self._require(self.has_generate_permission(request, asset))  # type: ignore[attr-defined]
        try:
            self._describe(request, asset)
        except BudgetExceeded as exc:
            messages.error(
                request,
                _("The description was refused: %(reason)s The image is unchanged.")
                % {"reason": exc.message},
            )
        except NanobananaError as exc:
            messages.error(request, error_message(exc))
        else:
            self._log(request, asset, _("Asked for an alt text and focal point."))  # type: ignore[attr-defined]
            messages.success(
                request, _("Describing the image; the suggestion appears here when it is ready.")
            )
        return HttpResponseRedirect(self._change_url(asset))  # type: ignore[attr-defined]

    def accept_description_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        asset = self._asset(request, object_id)  # type: ignore[attr-defined]
        self._require(self.has_change_permission(request, asset))  # type: ignore[attr-defined]
        row = ImageDescription.objects.filter(
            version__asset=asset, pk=request.POST.get("description") or None
        ).first()
        if row is None:
            messages.error(request, _("There is no suggestion to review."))
            return HttpResponseRedirect(self._change_url(asset))  # type: ignore[attr-defined]
        if request.POST.get("reject"):
            descriptions.reject_description(row, user=request.user)
            self._log(request, asset, _("Rejected the suggested alt text."))  # type: ignore[attr-defined]
            messages.success(request, _("Suggestion rejected."))
            return HttpResponseRedirect(self._change_url(asset))  # type: ignore[attr-defined]
        texts = {
            code: request.POST[f"alt_text_{code}"].strip()
            for code in (row.languages or descriptions.languages())
            if f"alt_text_{code}" in request.POST
        }
        try:
            descriptions.accept_description(
                row, user=request.user, alt_text=texts or None, focal_point=_point(request)
            )
        except NanobananaError as exc:
            messages.error(request, error_message(exc))
        else:
            self._log(request, asset, _("Accepted the alt text and focal point."))  # type: ignore[attr-defined]
            messages.success(request, _("Alt text and focal point saved."))
        return HttpResponseRedirect(self._change_url(asset))  # type: ignore[attr-defined]

    def focal_point_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        asset = self._asset(request, object_id)  # type: ignore[attr-defined]
        self._require(self.has_change_permission(request, asset))  # type: ignore[attr-defined]
        try:
            descriptions.set_focal_point(asset, _point(request), user=request.user)
        except NanobananaError as exc:
            messages.error(request, error_message(exc))
        else:
            self._log(request, asset, _("Set the focal point."))  # type: ignore[attr-defined]
            messages.success(
                request, _("Focal point saved; crops are re-rendered (no provider cost).")
            )
        return HttpResponseRedirect(self._change_url(asset))  # type: ignore[attr-defined]

    @admin.action(description=gettext_lazy("Suggest alt text and focal point"))
    def describe_action(self, request: HttpRequest, queryset: QuerySet) -> None:
        queued = 0
        for asset in queryset:
            if not self.has_generate_permission(request, asset):  # type: ignore[attr-defined]
                messages.error(request, _("%(title)s: not allowed.") % {"title": asset.title})
                continue
            try:
                self._describe(request, asset)
            except NanobananaError as exc:
                messages.error(request, f"{asset.title}: {error_message(exc)}")
            else:
                queued += 1
        if queued:
            messages.success(
                request,
                ngettext(
                    "%(count)d image is being described.",
                    "%(count)d images are being described.",
                    queued,
                )
                % {"count": queued},
            )
