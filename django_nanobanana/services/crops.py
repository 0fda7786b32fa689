"""Art-directed crops: renditions in extra aspect ratios (``CROPS["RATIOS"]``), each cut
around the focal point and with the overlay laid out for the crop, written with the
full set (:func:`~.renditions.write_renditions`) and again whenever the focal point
moves, without a provider call.

The focal point is the editor's (``GeneratedAsset.focal_point_x/y``), else the one the
text model suggested for the version (:mod:`.descriptions`), else the centre. A crop's
row records its box; a crop whose box changed (the focal point moved) is replaced, its
files deleted once the new ones are written.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from django.db import transaction

from ..conf import nanobanana_settings
from ..imaging.crops import crop_box, parse_ratio
from ..imaging.decode import DecodedImage
from ..imaging.overlay import OverlaySpec, OverlayValidationError
from ..imaging.renditions import render_renditions
from ..models import AssetVersion, DescriptionState, ImageDescription, Rendition
from ..storage import delete_files, rendition_name, save_exact

logger = logging.getLogger(__name__)


def crop_ratios() -> tuple[str, ...]:
    ratios = tuple(str(r) for r in (nanobanana_settings.CROPS.get("RATIOS") or ()))
    for ratio in ratios:
        parse_ratio(ratio)
    return ratios


def breakpoints() -> list[tuple[str, str]]:
    """``[(media query, ratio), ...]`` the picture tag uses by default."""
    return [
        (str(media), str(ratio))
        for media, ratio in (nanobanana_settings.CROPS.get("BREAKPOINTS") or ())
    ]


def focal_point_of(version: AssetVersion) -> tuple[float, float]:
    """The editor's focal point, else the version's suggested one, else the centre."""
    asset = version.asset
    if asset.focal_point_x is not None and asset.focal_point_y is not None:
        return asset.focal_point_x, asset.focal_point_y
    suggestion = (
        ImageDescription.objects.filter(
            version=version,
            state=DescriptionState.SUCCEEDED,
            focal_point_x__isnull=False,
            focal_point_y__isnull=False,
        )
        .exclude(review="rejected")
        .order_by("-created_at")
        .first()
    )
    if suggestion is not None:
        return suggestion.focal_point_x, suggestion.focal_point_y
    return 0.5, 0.5


def _box_text(box: tuple[int, int, int, int]) -> str:
    return ",".join(str(v) for v in box)


def write_crops(
    version: AssetVersion, spec: OverlaySpec | None, *, decoded: DecodedImage | None = None
) -> list[Rendition]:
    """Write every configured crop of ``version`` for the overlay ``spec`` (idempotent;
    a crop whose box moved is replaced). Files first, rows after; on failure the files
    this call wrote are deleted."""
    ratios = crop_ratios()
    if not ratios:
        return []
    from .renditions import (
        _options,
        decode_original,
        drawn_fields,
        overlay_hash,
        rendition_signer,
        signed,
    )

    digest = overlay_hash(spec)
    decoded = decoded or decode_original(version)
    image = decoded.image
    focal = focal_point_of(version)
    options = _options(version)
    widths = nanobanana_settings.CROPS.get("WIDTHS")
    if widths:
        options["widths"] = tuple(widths)
    signer = rendition_signer(version)
    written: list[str] = []
    rows: list[Rendition] = []
    stale: list[Rendition] = []
    try:
        for ratio in ratios:
            box = crop_box(image.width, image.height, ratio, focal)
            current = list(version.renditions.filter(overlay_hash=digest, crop=ratio))
            if current and all(r.crop_box == _box_text(box) for r in current):
                continue
            stale += current
            tag = (
                ratio.replace(":", "x")
                + "-"
                + hashlib.sha256(_box_text(box).encode()).hexdigest()[:8]
            )
            try:
                rendered_files = list(
                    render_renditions(
                        image.crop(box), overlay=spec, has_alpha=decoded.has_alpha, **options
                    )
                )
            except OverlayValidationError as exc:
                logger.warning(
                    "version %s: the overlay does not fit the %s crop: %s", version.pk, ratio, exc
                )
                continue
            for rendered in rendered_files:
                name = rendition_name(
                    version.asset_id,
                    version.pk,
                    digest,
                    rendered.width,
                    rendered.extension,
                    crop=tag,
                )
                content = signed(signer, rendered)
                written.append(save_exact(name, content))
                rows.append(
                    Rendition(
                        version=version,
                        overlay_hash=digest,
                        crop=ratio,
                        crop_box=_box_text(box),
                        width=rendered.width,
                        height=rendered.height,
                        format=rendered.format,
                        file=written[-1],
                        bytes=len(content),
                        **drawn_fields(rendered),
                    )
                )
        with transaction.atomic():
            for row in stale:
                row.delete()  # its file goes once this commits
            Rendition.objects.bulk_create(rows, ignore_conflicts=True)
    except BaseException:
        delete_files(written, on_commit=False)
        raise
    return rows


def focal_point_changed(asset: Any) -> None:
    """The focal point moved: re-render the current version's crops once the change
    commits (a render task: no provider call, no cost)."""
    if not crop_ratios() or asset.current_version_id is None:
        return
    from .assets import _enqueue_render

    asset_id = asset.pk
    transaction.on_commit(lambda: _enqueue_render(asset_id))
