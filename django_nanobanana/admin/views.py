"""Small admin views: the state of an image as JSON (polled by the change page), the
overlay preview (drawn server-side at a small size, no generation), the usage dashboard
and its CSV export."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.contrib.admin.utils import quote
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image

from ..conf import nanobanana_settings
from ..imaging.overlay import OverlayResult, OverlaySpec, OverlayValidationError, draw_overlay
from ..ledger import budget_timezone, reports
from ..models import AssetVersion, GeneratedAsset, Rendition, State
from ..pictures import overlay_warning, picture_for
from ..providers.models_registry import model_warning
from ..services.renditions import overlay_hash, overlay_spec
from .dashboard import CSV_GROUPS, dashboard_context
from .overlay_form import OverlayForm

VIEW_USAGE = "nanobanana.view_usage"
MANAGE_BUDGETS = "nanobanana.manage_budgets"
#: Width of the overlay preview, in pixels.
PREVIEW_WIDTH = 480
BUSY = (State.QUEUED, State.RUNNING)


def poll_seconds() -> float:
    return float(getattr(nanobanana_settings, "ADMIN_STATUS_POLL_SECONDS", None) or 2.0)


# -- the change page's panels -----------------------------------------------------------------


def smallest_rendition(version: AssetVersion, overlay: str | None = None) -> Rendition | None:
    """The smallest JPEG/WebP/PNG rendition (prefetched ``renditions``), for thumbnails."""
    rows = [
        r
        for r in version.renditions.all()
        if r.format in ("jpeg", "webp", "png") and (overlay is None or r.overlay_hash == overlay)
    ]
    return min(rows, key=lambda r: (r.width, r.format != "jpeg"), default=None)


def thumbnail_url(version: AssetVersion | None, overlay: str | None = None) -> str:
    if version is None or not version.original:
        return ""
    rendition = smallest_rendition(version, overlay)
    return rendition.file.url if rendition else version.original.url


def overlay_pending(asset: GeneratedAsset) -> bool:
    """A changed overlay whose renditions are still being written."""
    if asset.current_version_id is None:
        return False
    try:
        wanted = overlay_hash(overlay_spec(asset.overlay))
    except OverlayValidationError:
        return False
    return wanted != asset.rendered_overlay_hash


def _finishing(
    asset: GeneratedAsset, latest: AssetVersion | None, current: AssetVersion | None
) -> bool:
    """A version just succeeded and is being made current (its renditions are written
    first). Making it current touches the asset, so an asset not touched since the version
    finished is still waiting; bounded in time so a failure never keeps the page polling."""
    if latest is None or latest.state != State.SUCCEEDED or latest is current:
        return False
    if current is not None and current.created_at >= latest.created_at:
        return False
    finished = latest.finished_at
    if finished is None or timezone.now() - finished > dt.timedelta(minutes=2):
        return False
    return asset.updated_at <= finished


def panel_context(modeladmin: Any, request: HttpRequest, asset: GeneratedAsset) -> dict[str, Any]:
    """What the current-image and history panels need (the change page and status JSON)."""
    versions = list(
        asset.versions.select_related("created_by")
        .prefetch_related("renditions")
        .order_by("-created_at")
    )
    # The versions first, then the asset: a version made current meanwhile is already
    # "succeeded" in the list, so the panels never show a succeeded latest version next to
    # "No image yet" or offer to make the current version current.
    fresh = (
        type(asset)
        ._default_manager.filter(pk=asset.pk)
        .values("current_version_id", "rendered_overlay_hash", "overlay", "updated_at")
        .first()
    )
    if fresh is not None:
        for name, value in fresh.items():
            setattr(asset, name, value)
    current = next((v for v in versions if v.pk == asset.current_version_id), None)
    if current is not None:
        asset.current_version = current  # renditions prefetched: picture_for queries nothing
    for version in versions:
        # The current version's thumbnail shows the overlay pages show; older versions
        # keep the renditions they have.
        rendered = asset.rendered_overlay_hash if version is current else None
        version.thumb = thumbnail_url(version, rendered) or thumbnail_url(version)
    latest = versions[0] if versions else None
    prefix = f"{modeladmin.opts.app_label}_{modeladmin.opts.model_name}"
    can_change = modeladmin.has_change_permission(request, asset)
    picture = picture_for(asset) if current is not None else None
    contrast = picture.overlay_contrast if picture else None
    finishing = _finishing(asset, latest, current)
    return {
        "asset": asset,
        "versions": versions,
        "current": current,
        "latest": latest,
        "model_warning": model_warning(current.model, current.model_status)
        if current is not None
        else None,
        "notices": (latest.params or {}).get("notices", []) if latest is not None else [],
        # A succeeded version whose renditions are still being written: shown as running.
        "finishing": finishing,
        "picture": picture,
        "overlay_contrast": contrast,
        "overlay_warning": overlay_warning(contrast),
        "busy": any(v.state in BUSY for v in versions) or finishing,
        "overlay_pending": overlay_pending(asset),
        "can_change": can_change,
        "can_generate": modeladmin.has_generate_permission(request, asset),
        "url_make_current": reverse(f"admin:{prefix}_make_current", args=[quote(asset.pk)]),
        "url_cancel": reverse(f"admin:{prefix}_cancel", args=[quote(asset.pk)]),
        "url_edit": reverse(f"admin:{prefix}_edit", args=[quote(asset.pk)]),
        "url_regenerate": reverse(f"admin:{prefix}_regenerate", args=[quote(asset.pk)]),
        "url_generate": reverse(f"admin:{prefix}_generate", args=[quote(asset.pk)]),
    }


def editor_context(modeladmin: Any, request: HttpRequest, asset: GeneratedAsset) -> dict[str, Any]:
    """The overlay editor's form and URLs (the change page, and the status JSON once a
    first or new current version appears)."""
    current = asset.current_version if asset.current_version_id else None
    size = (current.width, current.height) if current and current.width else None
    prefix = f"{modeladmin.opts.app_label}_{modeladmin.opts.model_name}"
    return {
        "overlay_form": OverlayForm(
            prefix="overlay", image_size=size, initial=OverlayForm.initial_from(asset.overlay)
        ),
        "url_preview": reverse(f"admin:{prefix}_overlay_preview", args=[quote(asset.pk)]),
        "url_overlay": reverse(f"admin:{prefix}_overlay", args=[quote(asset.pk)]),
    }


def description_key(description: Any) -> str:
    """What the alt-text panel shows, as the page and the status JSON compare it."""
    return f"{description.pk}:{description.state}" if description is not None else ""


def status_view(modeladmin: Any, request: HttpRequest, object_id: str) -> JsonResponse:
    """The image's state as JSON, with the two panels re-rendered (the page swaps them in)."""
    asset = modeladmin._asset(request, object_id)
    if not modeladmin.has_view_or_change_permission(request, asset):
        raise PermissionDenied
    context = panel_context(modeladmin, request, asset)
    versions = context["versions"]
    latest = context["latest"]
    data = {
        "asset": str(asset.pk),
        "busy": context["busy"] or context["overlay_pending"],
        "state": latest.state if latest else "",
        "state_label": str(latest.get_state_display()) if latest else "",
        "current_version": str(asset.current_version_id or ""),
        "overlay_pending": context["overlay_pending"],
        "versions": [
            {
                "id": str(v.pk),
                "state": v.state,
                "state_label": str(v.get_state_display()),
                "error": v.error,
                "error_code": v.error_code,
            }
            for v in versions
        ],
        "poll_seconds": poll_seconds(),
        "html": {
            "current": render_to_string("admin/nanobanana/_current.html", context, request),
            "history": render_to_string("admin/nanobanana/_history.html", context, request),
        },
    }
    if "description" in request.GET:
        # The alt-text panel: polled while a suggestion is being made, re-rendered only
        # when its description or state changed (an editor's typing there is kept).
        context.update(modeladmin.description_context(request, asset))
        data["busy"] = data["busy"] or context["description_busy"]
        data["description"] = description_key(context["description"])
        if request.GET["description"] != data["description"]:
            data["html"]["description"] = render_to_string(
                "admin/nanobanana/_description.html", context, request
            )
    if request.GET.get("current", "") != data["current_version"]:
        # A new current version: the page also swaps its tools (Edit with an instruction)
        # and the overlay editor, which follow the current image.
        context.update(editor_context(modeladmin, request, asset))
        data["html"]["tools"] = render_to_string("admin/nanobanana/_tools.html", context, request)
        data["html"]["editor"] = render_to_string("admin/nanobanana/_editor.html", context, request)
    response = JsonResponse(data)
    response["Cache-Control"] = "no-store"
    return response


# -- overlay preview ---------------------------------------------------------------------------


def _preview_base(version: AssetVersion) -> Image.Image:
    """The version's image at preview size (cached: typing must not decode a 4K PNG)."""
    key = f"nanobanana:preview-base:{version.pk}"
    data = cache.get(key)
    if data is None:
        with version.original.open("rb") as handle:
            with Image.open(handle) as image:
                image.draft("RGB", (PREVIEW_WIDTH * 2, PREVIEW_WIDTH * 2))
                base = image.convert("RGB")
        base.thumbnail((PREVIEW_WIDTH, PREVIEW_WIDTH * 4))
        out = io.BytesIO()
        base.save(out, format="PNG")
        data = out.getvalue()
        cache.set(key, data, 600)
    image = Image.open(io.BytesIO(data))
    image.load()
    return image.convert("RGB")


def preview_overlay(version: AssetVersion, spec: dict[str, Any]) -> OverlayResult:
    """``spec`` drawn and measured on the version's image at preview size."""
    return draw_overlay(_preview_base(version), OverlaySpec.from_dict(spec))


def overlay_preview_view(modeladmin: Any, request: HttpRequest, object_id: str) -> HttpResponse:
    """POST the overlay editor's fields; answer with a JPEG of the current image with that
    overlay, or 400 with the field errors as JSON. Nothing is stored or generated.

    The headers ``X-Overlay-Treatment`` (plain, shadow, scrim, custom),
    ``X-Overlay-Opacity`` (of a scrim) and ``X-Overlay-Contrast`` (the WCAG ratio measured
    on the preview) tell the editor what the text got."""
    asset = modeladmin._asset(request, object_id)
    if not modeladmin.has_change_permission(request, asset):
        raise PermissionDenied
    version = asset.current_version
    if request.GET.get("version"):
        version = modeladmin._version(asset, request.GET["version"])
    if version is None or not version.original:
        return JsonResponse(
            {"errors": {"__all__": [_("There is no image to preview yet.")]}}, status=400
        )
    form = OverlayForm(request.POST or request.GET, prefix="overlay")
    if not form.is_valid():
        return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
    spec = form.spec()
    result = None
    if spec:
        try:
            result = preview_overlay(version, spec)
        except OverlayValidationError as exc:
            errors = {k: [{"message": str(m)} for m in v] for k, v in exc.field_errors.items()}
            return JsonResponse({"errors": errors}, status=400)
    image = result.image if result else _preview_base(version)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    response = HttpResponse(out.getvalue(), content_type="image/jpeg")
    response["Cache-Control"] = "no-store"
    if result is not None:
        response["X-Overlay-Treatment"] = result.treatment.kind
        response["X-Overlay-Opacity"] = f"{result.treatment.opacity:g}"
        response["X-Overlay-Contrast"] = f"{result.contrast:.2f}"
    return response


# -- usage dashboard ---------------------------------------------------------------------------


def _require_usage(request: HttpRequest) -> None:
    if not request.user.has_perm(VIEW_USAGE):
        raise PermissionDenied


def dashboard_view(modeladmin: Any, request: HttpRequest) -> TemplateResponse:
    _require_usage(request)
    try:
        days = max(1, min(int(request.GET.get("days", 30)), 366))
    except ValueError:
        days = 30
    context = {
        **modeladmin.admin_site.each_context(request),
        **dashboard_context(days=days),
        "title": _("Image generation usage"),
        "opts": modeladmin.opts,
        "can_manage_budgets": request.user.has_perm(MANAGE_BUDGETS),
        "csv_groups": CSV_GROUPS,
    }
    request.current_app = modeladmin.admin_site.name
    return TemplateResponse(request, "admin/nanobanana/dashboard.html", context)


def _date(value: str | None, default: dt.date) -> dt.date:
    """An ISO date from the query (``default`` when absent); ValueError when bad."""
    if not value:
        return default
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(_("%(value)s is not a date (YYYY-MM-DD).") % {"value": value}) from None
    return reports.check_day(day)


def export_csv_view(modeladmin: Any, request: HttpRequest) -> HttpResponse:
    """Usage rows as CSV: ``since``/``until`` (ISO dates, inclusive), ``group`` (repeatable:
    day, user, model, source; default day+user+model). Bad dates: 400 with the reason."""
    _require_usage(request)
    today = timezone.localdate(timezone=budget_timezone())
    try:
        until = _date(request.GET.get("until"), today)
        since = _date(
            request.GET.get("since"), max(reports.FIRST_DAY, until - dt.timedelta(days=29))
        )
        if since > until:
            raise ValueError(_("since must not be after until."))
    except ValueError as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")
    groups = [g for g in request.GET.getlist("group") if g in CSV_GROUPS] or [
        "day",
        "user",
        "model",
    ]
    rows = reports.to_json(reports.usage(since=since, until=until, group_by=tuple(groups)))
    out = io.StringIO()
    reports.write_csv(out, rows, [*groups, *reports.METRICS])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="nanobanana-usage-{since.isoformat()}-{until.isoformat()}.csv"'
    )
    return response
