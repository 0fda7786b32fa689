"""Art-directed crops: the largest box of a wanted aspect ratio, centred on the focal
point as far as the image's edges allow."""

from __future__ import annotations

from fractions import Fraction


def parse_ratio(ratio: str) -> Fraction:
    """``"4:5"`` -> 4/5 (width over height); ValueError for anything else."""
    try:
        width, height = (int(part) for part in str(ratio).split(":"))
    except ValueError:
        raise ValueError(f"an aspect ratio is 'W:H' with whole numbers, not {ratio!r}") from None
    if width <= 0 or height <= 0:
        raise ValueError(f"an aspect ratio needs positive sides, not {ratio!r}")
    return Fraction(width, height)


def crop_box(
    width: int, height: int, ratio: str, focal: tuple[float, float] = (0.5, 0.5)
) -> tuple[int, int, int, int]:
    """``(left, top, right, bottom)`` of the largest ``ratio`` box inside a ``width`` x
    ``height`` image whose centre is as close to the focal point (fractions from the top
    left) as the edges allow. The focal point is always inside the box."""
    wanted = parse_ratio(ratio)
    if Fraction(width, height) > wanted:  # the image is wider: full height
        box_h = height
        box_w = max(1, min(width, round(height * wanted)))
    else:
        box_w = width
        box_h = max(1, min(height, round(width / wanted)))
    fx = min(1.0, max(0.0, float(focal[0]))) * width
    fy = min(1.0, max(0.0, float(focal[1]))) * height
    left = min(max(0, round(fx - box_w / 2)), width - box_w)
    top = min(max(0, round(fy - box_h / 2)), height - box_h)
    return left, top, left + box_w, top + box_h
