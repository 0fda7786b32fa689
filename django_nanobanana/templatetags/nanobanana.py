"""Template tags: ``{% load nanobanana %}``.

``{% nanobanana_picture asset sizes="50vw" class="hero" loading="lazy" %}`` renders a
``<picture>`` with AVIF and WebP sources and a JPEG/PNG ``<img>`` fallback (srcset,
width, height, alt, a dominant-colour placeholder).
``{% nanobanana_srcset asset "webp" %}`` gives one format's srcset. Both read
``Rendition`` rows only: use :func:`django_nanobanana.pictures.prefetch_pictures` on list
querysets for a fixed number of queries per page.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from ..conf import nanobanana_settings
from ..models import VersionKind
from ..money import format_money
from ..pictures import picture_for
from ..services.crops import breakpoints

register = template.Library()

#: ``<img>`` attributes a caller may pass through.
PASS_THROUGH = {"class", "id", "style", "loading", "decoding", "fetchpriority", "title"}


@register.simple_tag
def nanobanana_picture(
    asset: Any,
    sizes: str = "100vw",
    alt: str | None = None,
    placeholder: str = "color",
    ai_label: Any = None,
    crops: str | None = None,
    **attrs: Any,
) -> SafeString | str:
    """A responsive ``<picture>``; empty when the asset has no image yet.

    ``crops``: art direction, per breakpoint ``"(max-width: 599px) 1:1; (max-width: 999px)
    4:5"`` (media query, then a configured crop ratio; the first match wins, as in
    ``<source media>``); None follows ``CROPS["BREAKPOINTS"]``, "" serves no crop.

    ``ai_label``: True/False shows or hides a visible "AI-generated" label under the image
    (a string is the label's text); None follows ``AI_LABEL["ENABLED"]``.
    """
    if asset is None:
        return ""
    picture = picture_for(asset)
    if picture is None:
        return ""
    unknown = set(attrs) - PASS_THROUGH - {"lazy"}
    if unknown:
        raise template.TemplateSyntaxError(
            f"nanobanana_picture: unknown attribute(s) {', '.join(sorted(unknown))}"
        )
    attrs.setdefault("loading", "lazy")
    attrs.setdefault("decoding", "async")
    style = attrs.pop("style", "")
    if placeholder == "color" and picture.placeholder:
        style = f"background-color:{picture.placeholder};{style}"
    elif placeholder == "lqip" and picture.lqip:
        style = f"background:url({picture.lqip}) center/cover no-repeat;{style}"
    html = render_to_string(
        "nanobanana/picture.html",
        {
            "picture": picture,
            "art": _art_direction(picture, crops),
            "sizes": sizes,
            "alt": picture.alt if alt is None else alt,
            "style": style,
            "attrs": sorted(attrs.items()),
        },
    ).strip()
    label = _ai_label(asset, ai_label)
    if label:
        html = render_to_string(
            "nanobanana/ai_label.html",
            {
                "picture_html": mark_safe(html),  # noqa: S308 - rendered by our escaped template
                "label": label,
            },
        ).strip()
    return mark_safe(html)  # noqa: S308 - escaped templates


def _art_direction(picture: Any, option: str | None) -> list[tuple[str, Any]]:
    """``[(media query, CropSources), ...]`` for the crops this picture has."""
    if option is None:
        wanted = breakpoints()
    else:
        items = [i for i in option.split(";" if ";" in option else ",") if i.strip()]
        wanted = []
        for item in items:
            media, _sep, ratio = item.strip().rpartition(" ")
            if not media or ":" not in ratio:
                raise template.TemplateSyntaxError(
                    f"nanobanana_picture: crops wants 'media-query ratio; ...', not {item!r}"
                )
            wanted.append((media.strip(), ratio.strip()))
    return [(media, picture.crops[ratio]) for media, ratio in wanted if ratio in picture.crops]


def _ai_label(asset: Any, option: Any) -> str:
    """The visible label's text, or "" (not wanted, or not an AI-generated image)."""
    setting = nanobanana_settings.AI_LABEL
    wanted = setting.get("ENABLED") if option is None or option == "" else option
    if not wanted:
        return ""
    version = getattr(asset, "current_version", None)
    if version is None or version.kind == VersionKind.UPLOAD:
        return ""
    if isinstance(wanted, str) and wanted.lower() not in ("true", "1", "yes"):
        return wanted
    return str(setting.get("TEXT") or _("AI-generated"))


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
    if amount is None or amount == "":
        return "—"
    try:
        return format_money(Decimal(str(amount)))
    except InvalidOperation:
        return str(amount)
