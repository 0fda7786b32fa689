"""Art-directed crops: renditions in extra aspect ratios, cut around the focal point."""

from __future__ import annotations

from typing import Any


def focal_point_changed(asset: Any) -> None:
    """The focal point moved: re-render the current version's crops (no provider call)."""
    return None
