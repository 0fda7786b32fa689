"""Art-directed crops: renditions in extra aspect ratios (``CROPS["RATIOS"]``), each cut
around the focal point and with the overlay laid out for the crop, written with the
full set (:func:`~.renditions.write_crops`) and again whenever the focal point moves,
without a provider call. Here: the settings, the focal point, and the re-render a moved
focal point asks for.

The focal point is the editor's (``GeneratedAsset.focal_point_x/y``), else the one the
text model suggested for the version (:mod:`.descriptions`), else the centre. A crop's
row records its box; a crop whose box changed (the focal point moved) is replaced, its
files deleted once the new ones are written.
"""

from __future__ import annotations

from typing import Any

from ..conf import nanobanana_settings
from ..imaging.crops import parse_ratio
from ..models import AssetVersion, DescriptionState, ImageDescription
from . import queue


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


def focal_point_changed(asset: Any) -> None:
    """The focal point moved: re-render the current version's crops once the change
    commits (a render task: no provider call, no cost)."""
    if not crop_ratios() or asset.current_version_id is None:
        return
    queue.enqueue_on_commit(queue.RENDER_ASSET, asset.pk)
