"""What a page needs to show an asset responsively, built from ``Rendition`` rows only.

No storage lookups (``exists``, ``size``): URLs come from the deterministic names stored
on the rows, so a list of N assets costs the queries of :func:`prefetch_pictures`, not N.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext

from .imaging.overlay import MINIMUM_CONTRAST
from .models import GeneratedAsset, Rendition
from .services.descriptions import alt_text_for

#: Modern formats first: browsers take the first ``<source>`` they support.
SOURCE_ORDER = ("avif", "webp")
FALLBACK_ORDER = ("jpeg", "png")
MIME = {"avif": "image/avif", "webp": "image/webp", "jpeg": "image/jpeg", "png": "image/png"}


@dataclass(frozen=True)
class RenditionInfo:
    url: str
    width: int
    height: int
    bytes: int
    #: WCAG contrast the overlay's text reached on this file (None without an overlay).
    contrast: float | None = None
    treatment: str = ""


@dataclass(frozen=True)
class PictureSource:
    format: str
    mime_type: str
    renditions: list[RenditionInfo]

    @property
    def srcset(self) -> str:
        return ", ".join(f"{r.url} {r.width}w" for r in self.renditions)

    @property
    def largest(self) -> RenditionInfo:
        return self.renditions[-1]


@dataclass(frozen=True)
class CropSources:
    """An art-directed crop: its ratio, pixel size (of the largest rendition) and its
    sources per format, modern formats first."""

    ratio: str
    width: int
    height: int
    sources: list[PictureSource]


@dataclass(frozen=True)
class Picture:
    sources: list[PictureSource]
    fallback: PictureSource
    width: int
    height: int
    alt: str
    placeholder: str = ""
    lqip: str = ""
    extra: dict = field(default_factory=dict)
    #: Art-directed crops by ratio ("1:1").
    crops: dict[str, CropSources] = field(default_factory=dict)

    @property
    def overlay_contrast(self) -> float | None:
        """The lowest contrast the overlay reached over all renditions (None: no overlay)."""
        figures = [
            r.contrast
            for s in (*self.sources, self.fallback)
            for r in s.renditions
            if r.contrast is not None
        ]
        return min(figures, default=None)

    @property
    def src(self) -> str:
        """The fallback ``src``: the fallback format's rendition closest to 1024 px wide."""
        candidates = [r for r in self.fallback.renditions if r.width <= 1024]
        return (candidates[-1] if candidates else self.fallback.renditions[0]).url


def overlay_warning(contrast: float | None) -> str | None:
    """The editor-facing warning for an overlay below 3:1 on some rendition, else None."""
    if contrast is None or contrast >= MINIMUM_CONTRAST:
        return None
    return gettext(
        "The overlay text reaches only %(ratio).1f:1 contrast on some renditions (3:1 is the "
        "least for large text): choose the automatic style, or add an outline or a "
        "background."
    ) % {"ratio": contrast}


def prefetch_pictures(queryset: QuerySet[GeneratedAsset]) -> QuerySet[GeneratedAsset]:
    """Fetch current versions and their renditions in two queries for any number of assets."""
    return queryset.select_related("current_version").prefetch_related(
        Prefetch(
            "current_version__renditions", queryset=Rendition.objects.order_by("format", "width")
        )
    )


def picture_for(asset: GeneratedAsset) -> Picture | None:
    """The asset's picture, or None while it has no finished version."""
    version = asset.current_version
    if version is None or not version.original:
        return None
    by_format: dict[str, list[RenditionInfo]] = {}
    crop_rows: dict[str, dict[str, list[RenditionInfo]]] = {}
    rows: Iterable[Rendition] = version.renditions.all()
    for row in rows:
        if row.overlay_hash != asset.rendered_overlay_hash:
            continue
        info = RenditionInfo(
            url=row.file.url,
            width=row.width,
            height=row.height,
            bytes=row.bytes,
            contrast=row.contrast,
            treatment=row.treatment,
        )
        if row.crop:
            crop_rows.setdefault(row.crop, {}).setdefault(row.format, []).append(info)
        else:
            by_format.setdefault(row.format, []).append(info)
    for renditions in by_format.values():
        renditions.sort(key=lambda r: r.width)
    fallback_format = next((f for f in FALLBACK_ORDER if by_format.get(f)), None)
    if fallback_format is None:
        # No renditions (yet): serve the original so the page is never empty.
        fmt = "png" if version.mime_type == "image/png" else "jpeg"
        original = RenditionInfo(
            url=version.original.url, width=version.width or 0, height=version.height or 0, bytes=0
        )
        fallback = PictureSource(fmt, version.mime_type or MIME[fmt], [original])
        sources: list[PictureSource] = []
    else:
        fallback = PictureSource(fallback_format, MIME[fallback_format], by_format[fallback_format])
        sources = [
            PictureSource(f, MIME[f], by_format[f]) for f in SOURCE_ORDER if by_format.get(f)
        ]
    crops: dict[str, CropSources] = {}
    for ratio, formats in crop_rows.items():
        ordered = [f for f in (*SOURCE_ORDER, *FALLBACK_ORDER) if formats.get(f)]
        for renditions in formats.values():
            renditions.sort(key=lambda r: r.width)
        largest = formats[ordered[0]][-1]
        crops[ratio] = CropSources(
            ratio,
            largest.width,
            largest.height,
            [PictureSource(f, MIME[f], formats[f]) for f in ordered],
        )
    return Picture(
        crops=crops,
        sources=sources,
        fallback=fallback,
        width=version.width or 0,
        height=version.height or 0,
        alt=alt_text_for(asset),  # reviewed, else the suggestion when allowed
        placeholder=version.dominant_color,
        lqip=version.lqip,
    )
