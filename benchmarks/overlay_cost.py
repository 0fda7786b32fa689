"""Benchmark: what drawing the overlay costs per rendition set, against a baseline.

The renditions benchmark (``renditions.py``) times whole sets, where encoding dominates
and a shared machine's noise is larger than the overlay's share.  This one times only the
overlay step, at every width of the default set (the bases resized once, outside the
timing), interleaving

* **baseline**: ``render_overlay`` of another checkout's ``imaging/overlay/`` package (or
  the single module ``imaging/overlay.py`` of older checkouts, e.g. main before a change),
  loaded from its files;
* **custom**: this checkout's ``draw_overlay`` with the same explicit spec (it also
  measures the contrast);
* **auto**: this checkout's default style (chooses the treatment by measuring);

and reports medians summed over the widths, and the extra cost as a share of a given
"with overlay" row of ``renditions.py`` (``--row-ms``).

Run from the repository root::

    python benchmarks/overlay_cost.py --baseline ../main --runs 15
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from django.conf import settings  # noqa: E402

if not settings.configured and not os.environ.get("DJANGO_SETTINGS_MODULE"):
    settings.configure(USE_I18N=False)

from renditions import OVERLAY, SIZES, photo  # noqa: E402

from django_nanobanana.imaging import overlay as ours  # noqa: E402
from django_nanobanana.imaging.renditions import DEFAULT_WIDTHS, RESAMPLE  # noqa: E402


def load_baseline(checkout: Path):
    imaging = checkout / "django_nanobanana" / "imaging"
    package = imaging / "overlay" / "__init__.py"
    if package.exists():  # its modules import each other relatively, within the package
        spec = importlib.util.spec_from_file_location(
            "baseline_overlay", package, submodule_search_locations=[str(package.parent)]
        )
    else:
        spec = importlib.util.spec_from_file_location("baseline_overlay", imaging / "overlay.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def bases(label: str):
    width, height = SIZES[label]
    image = photo(width, height)
    out = []
    for w in sorted({w for w in DEFAULT_WIDTHS if w <= width} | {width}, reverse=True):
        h = max(1, round(height * w / width))
        image = image.resize((w, h), RESAMPLE) if image.size != (w, h) else image
        out.append(image)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--baseline", type=Path, required=True, help="checkout whose overlay is the baseline"
    )
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--sizes", nargs="+", choices=list(SIZES), default=list(SIZES))
    parser.add_argument(
        "--row-ms",
        type=float,
        nargs="*",
        default=[],
        help="the 'with overlay' rows (ms) of renditions.py, per size",
    )
    args = parser.parse_args()
    baseline = load_baseline(args.baseline.resolve())
    data = {k: v for k, v in OVERLAY.to_dict().items() if k != "style"}
    old_spec = baseline.OverlaySpec.from_dict(data)
    custom = ours.OverlaySpec.from_dict(data)
    auto = ours.OverlaySpec.from_dict({**data, "style": "auto", "stroke_width": 0.0})
    steps = {
        "baseline": lambda image: baseline.render_overlay(image, old_spec),
        "custom": lambda image: ours.draw_overlay(image, custom),
        "auto": lambda image: ours.draw_overlay(image, auto),
    }
    print("| original | baseline (ms) | custom (ms) | auto (ms) | extra custom | extra auto |")
    print("|---|---:|---:|---:|---:|---:|")
    for index, label in enumerate(args.sizes):
        images = bases(label)
        for step in steps.values():  # warm-up: fonts, layout caches
            for image in images:
                step(image)
        samples: dict[str, list[float]] = {k: [] for k in steps}
        for _ in range(args.runs):
            for name, step in steps.items():
                started = time.perf_counter()
                for image in images:
                    step(image)
                samples[name].append((time.perf_counter() - started) * 1000)
        med = {k: statistics.median(v) for k, v in samples.items()}
        row = args.row_ms[index] if index < len(args.row_ms) else None

        def share(extra: float, row: float | None = row) -> str:
            return f"{extra:+.0f} ms" + (f" ({extra / row:+.1%})" if row else "")

        print(
            f"| {label} | {med['baseline']:.0f} | {med['custom']:.0f} | {med['auto']:.0f} "
            f"| {share(med['custom'] - med['baseline'])} "
            f"| {share(med['auto'] - med['baseline'])} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
