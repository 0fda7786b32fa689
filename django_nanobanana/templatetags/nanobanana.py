"""Template tags: ``{% load nanobanana %}``.

``{% nanobanana_picture asset sizes="50vw" class="hero" loading="lazy" %}`` renders a
``<picture>`` with AVIF and WebP sources and a JPEG/PNG ``<img>`` fallback (srcset,
width, height, alt, a dominant-colour placeholder).
``{% nanobanana_srcset asset "webp" %}`` gives one format's srcset. Both read
``Rendition`` rows only: use :func:`django_nanobanana.pictures.prefetch_pictures` on list
querysets for a fixed number of queries per page.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from ..pictures import picture_for

register = template.Library()

#: ``<img>`` attributes a caller may pass through.
PASS_THROUGH = {"class", "id", "style", "loading", "decoding", "fetchpriority", "title"}


@register.simple_tag
def nanobanana_picture(asset: Any, sizes: str = "100vw", alt: str | None = None,
                       placeholder: str = "color", **attrs: Any) -> SafeString | str:
    """A responsive ``<picture>``; empty when the asset has no image yet."""
    if asset is None:
        return ""
    picture = picture_for(asset)
    if picture is None:
        return ""
    unknown = set(attrs) - PASS_THROUGH - {"lazy"}
    if unknown:
        raise template.TemplateSyntaxError(
            f"nanobanana_picture: unknown attribute(s) {', '.join(sorted(unknown))}")
    attrs.setdefault("loading", "lazy")
    attrs.setdefault("decoding", "async")
    style = attrs.pop("style", "")
    if placeholder == "color" and picture.placeholder:
        style = f"background-color:{picture.placeholder};{style}"
    elif placeholder == "lqip" and picture.lqip:
        style = f"background:url({picture.lqip}) center/cover no-repeat;{style}"
    return mark_safe(render_to_string("nanobanana/picture.html", {  # noqa: S308 - escaped template
        "picture": picture,
        "sizes": sizes,
        "alt": picture.alt if alt is None else alt,
        "style": style,
        "attrs": sorted(attrs.items()),
    }).strip())


@register.simple_tag
def nanobanana_srcset(asset: Any, format: str = "jpeg") -> str:
    """The srcset of one format (``avif``, ``webp``, ``jpeg`` or ``png``), or ""."""
    picture = picture_for(asset) if asset is not None else None
    if picture is None:
        return ""
    for source in [*picture.sources, picture.fallback]:
        if source.format == format:
            return source.srcset
    return ""


@register.filter
def nanobanana_money(amount: Any) -> str:
    """``{{ amount|nanobanana_money }}``: ``$1.05``, ``$0.039`` (as budget errors print it)."""
    from decimal import Decimal, InvalidOperation

    from ..budgets import format_money

    if amount is None or amount == "":
        return "—"
    try:
        return format_money(Decimal(str(amount)))
    except InvalidOperation:
        return str(amount)
