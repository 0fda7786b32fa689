"""What every chooser (plain Django, Wagtail, django CMS) shares: who sees what, how an
asset is summarised for a picker, and the "generate new" form that queues via services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from .. import access
from ..exceptions import NanobananaError
from ..forms import GenerationForm, add_service_errors
from ..models import AssetVersion, GeneratedAsset, Source
from ..pictures import picture_for
from ..services import generate

#: Thumbnails: the smallest rendition at least this wide.
THUMBNAIL_WIDTH = 160


def visible_assets(user: Any) -> QuerySet[GeneratedAsset]:
    """The images ``user`` may see (:mod:`django_nanobanana.access`)."""
    return GeneratedAsset.objects.visible_to(user)


def may_view(user: Any, asset: GeneratedAsset) -> bool:
    return access.may_view(user, asset)


def can_generate(user: Any) -> bool:
    return access.may_generate(user)


def search_assets(queryset: QuerySet[GeneratedAsset], query: str) -> QuerySet[GeneratedAsset]:
    """Title, alt text, or the current version's prompt contains every word of ``query``."""
    for word in query.split():
        queryset = queryset.filter(
            Q(title__icontains=word)
            | Q(alt_text__icontains=word)
            | Q(current_version__prompt__icontains=word)
        )
    return queryset


def thumbnail_url(asset: GeneratedAsset, width: int = THUMBNAIL_WIDTH) -> str:
    """A small image for pickers: the smallest WebP (else fallback) rendition >= ``width``."""
    picture = picture_for(asset)
    if picture is None:
        return ""
    source = next((s for s in picture.sources if s.format == "webp"), picture.fallback)
    wide_enough = [r for r in source.renditions if r.width >= width]
    return (wide_enough[0] if wide_enough else source.renditions[-1]).url


def asset_summary(asset: GeneratedAsset) -> dict[str, Any]:
    """JSON-able description of an asset for choosers (id, title, thumbnail, state)."""
    version = asset.current_version
    return {
        "id": str(asset.pk),
        "title": asset.title,
        "alt": asset.alt_text,
        "thumbnail": thumbnail_url(asset),
        "width": getattr(version, "width", None),
        "height": getattr(version, "height", None),
        "ready": bool(version is not None and version.original),
    }


class ChooserGenerationForm(GenerationForm):
    """Title and alt text, then the generation parameters (validated by the base form)."""

    title = forms.CharField(
        label=_("Title"), max_length=200, required=False, help_text=_("Defaults to the prompt.")
    )
    alt_text = forms.CharField(
        label=_("Alt text"),
        max_length=500,
        required=False,
        help_text=_("Describe the image for people who cannot see it."),
    )
    field_order = ["prompt", "title", "alt_text", "model", "aspect_ratio", "image_size", "seed"]


def queue_generation(
    form: ChooserGenerationForm, user: Any, source: str = Source.ADMIN
) -> AssetVersion | None:
    """Queue the form's generation through :func:`services.generate`.

    Returns the queued version, or None after adding the refusal (budget, validation,
    configuration) to the form's errors.
    """
    data = form.cleaned_data
    try:
        return generate(
            form.generation_params(),
            title=data.get("title") or "",
            alt_text=data.get("alt_text") or "",
            user=user,
            source=source,
        )
    except NanobananaError as exc:
        add_service_errors(form, exc)
    return None
