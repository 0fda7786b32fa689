"""The chooser popup: list/search with thumbnails, "generate new", and a status page that
hands the new image to the opener once it is ready.

Every page works as a popup (``?_popup=1&target=<input id>``): choosing posts a message to
``window.opener`` (same origin only) and closes the window. ``?format=json`` answers JSON.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ..models import AssetVersion, State
from ..pictures import prefetch_pictures
from .core import (
    ChooserGenerationForm,
    asset_summary,
    can_generate,
    may_view,
    queue_generation,
    search_assets,
    visible_assets,
)

PER_PAGE = 24
_TARGET = re.compile(r"^[\w\-.:]{1,200}$")


def _popup_params(request: HttpRequest) -> dict[str, str]:
    """``_popup`` and a well-formed ``target`` (an input id), kept across the popup's pages."""
    params = {}
    if request.GET.get("_popup"):
        params["_popup"] = "1"
    target = request.GET.get("target", "")
    if _TARGET.match(target):
        params["target"] = target
    return params


def _context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    params = _popup_params(request)
    return {
        "is_popup": "_popup" in params,
        "target": params.get("target", ""),
        "popup_query": urlencode(params),
        "can_generate": can_generate(request.user),
        **extra,
    }


@staff_member_required
def choose(request: HttpRequest) -> HttpResponse:
    """List and search the images the user may see, newest first, with thumbnails."""
    query = request.GET.get("q", "").strip()
    assets = visible_assets(request.user)
    if query:
        assets = search_assets(assets, query)
    if request.GET.get("ready"):
        assets = assets.filter(current_version__isnull=False)
    page = Paginator(prefetch_pictures(assets.order_by("-updated_at")), PER_PAGE).get_page(
        request.GET.get("page")
    )
    results = [asset_summary(a) for a in page.object_list]
    if request.GET.get("format") == "json":
        return JsonResponse(
            {
                "results": results,
                "page": page.number,
                "pages": page.paginator.num_pages,
                "count": page.paginator.count,
            }
        )
    base = {**_popup_params(request), **({"q": query} if query else {})}
    return render(
        request,
        "nanobanana/chooser/choose.html",
        _context(
            request,
            title=_("Choose an image"),
            page=page,
            results=results,
            query=query,
            page_query=urlencode(base),
        ),
    )


@staff_member_required
@require_http_methods(["GET", "POST"])
def generate(request: HttpRequest) -> HttpResponse:
    """Queue a new image through the services, then show its status."""
    if not can_generate(request.user):
        raise PermissionDenied
    form = ChooserGenerationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        version = queue_generation(form, request.user)
        if version is not None:
            url = reverse("nanobanana_chooser:status", args=[version.pk])
            query = urlencode(_popup_params(request))
            return redirect(f"{url}?{query}" if query else url)
    return render(
        request,
        "nanobanana/chooser/generate.html",
        _context(
            request,
            title=_("Generate a new image"),
            form=form,
        ),
    )


@staff_member_required
def status(request: HttpRequest, pk: Any) -> HttpResponse:
    """Where a queued generation stands; once it succeeded, the opener receives the asset."""
    version = get_object_or_404(AssetVersion.objects.select_related("asset"), pk=pk)
    if not may_view(request.user, version.asset):
        raise Http404
    asset = prefetch_pictures(visible_assets(request.user)).filter(pk=version.asset_id).first()
    if asset is None:
        raise Http404
    succeeded = version.state == State.SUCCEEDED and asset.current_version_id is not None
    data = {
        "state": version.state,
        "state_label": version.get_state_display(),
        "final": version.is_final,
        "succeeded": succeeded,
        "error": version.error,
        "asset": asset_summary(asset),
    }
    if request.GET.get("format") == "json":
        return JsonResponse(data)
    status_url = reverse("nanobanana_chooser:status", args=[version.pk])
    return render(
        request,
        "nanobanana/chooser/status.html",
        _context(
            request,
            title=_("Generating…") if not version.is_final else version.get_state_display(),
            version=version,
            data=data,
            status_json_url=f"{status_url}?format=json",
            generate_query=urlencode(_popup_params(request)),
        ),
    )
