"""Benchmark: rendition generation against a bare-Pillow lower bound.

For Gemini-sized originals (1K 1376x768, 2K 2752x1536, 4K 5504x3072) of
deterministic photo-like content, this times

* **ours**: ``decode_image`` + the full default ``render_renditions`` set
  (5 widths capped at the original x AVIF/WebP/JPEG), once without and once
  with a text overlay;
* **bound**: bare Pillow doing only decode + the same resize chain + the
  same encodes with the same settings (what any implementation must pay);
  for the overlay row the bound also draws the same lines at the same place
  and size with one plain ``ImageDraw`` call per width (layouts precomputed,
  outside the timing), so both rows compare like with like;

and reports the median of ``--runs`` runs.  ``--write`` puts the table into
``benchmarks/README.md`` between the ``renditions`` markers.

Run from the repository root::

    python benchmarks/renditions.py --write
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from django.conf import settings  # noqa: E402

if not settings.configured and not os.environ.get("DJANGO_SETTINGS_MODULE"):
    settings.configure(USE_I18N=False)

import PIL  # noqa: E402
from _support import README, write_readme  # noqa: E402
from PIL import Image, ImageDraw, ImageFont, PngImagePlugin, features  # noqa: E402

from django_nanobanana.imaging.decode import decode_image  # noqa: E402
from django_nanobanana.imaging.overlay import (  # noqa: E402
    OverlayLayout,
    OverlaySpec,
    available_fonts,
    check_fits,
)
from django_nanobanana.imaging.renditions import (  # noqa: E402
    DEFAULT_AVIF_SPEED,
    DEFAULT_FORMATS,
    DEFAULT_PNG_COMPRESS_LEVEL,
    DEFAULT_QUALITY,
    DEFAULT_WEBP_METHOD,
    DEFAULT_WIDTHS,
    render_renditions,
)
from tests.helpers import make_photo  # noqa: E402

SIZES = {"1K": (1376, 768), "2K": (2752, 1536), "4K": (5504, 3072)}
TARGET = 1.15

OVERLAY = OverlaySpec.from_dict(
    {
        "text": "Summer Sale 2026 - up to 50% off everything in store",
        "font": "sans-bold",
        "size": 0.08,
        "anchor": "bottom-left",
        "background": "box",
        "stroke_width": 0.04,
    }
)
#: The default style: the same text, its colour and treatment chosen by measuring each
#: rendition (what a new overlay gets).  Its bound is the same plain draw as above.
AUTO_OVERLAY = OverlaySpec.from_dict(
    {key: value for key, value in OVERLAY.to_dict().items() if key != "stroke_width"}
    | {"style": "auto"}
)


def photo(width: int, height: int, seed: int = 1) -> Image.Image:
    """The benchmarks' photo-like original (the tests' generator, 60 blobs)."""
    return make_photo(width, height, seed, blobs=60)


def ours(data: bytes, overlay: OverlaySpec | None) -> int:
    decoded = decode_image(data)
    return sum(len(f.content) for f in render_renditions(decoded, overlay=overlay))


def bare_overlays(width: int, height: int) -> dict[int, tuple[OverlayLayout, object]]:
    """Per rendition width: the overlay layout and a loaded font (not timed)."""
    path = str(available_fonts()[OVERLAY.font].path)
    result = {}
    for w in (*DEFAULT_WIDTHS, width):
        if w <= width:
            layout = check_fits(OVERLAY, w, max(1, round(height * w / width)))
            result[w] = (layout, ImageFont.truetype(path, layout.font_size))
    return result


def draw_bare(image: Image.Image, layout: OverlayLayout, font) -> Image.Image:
    canvas = image.copy()
    draw = ImageDraw.Draw(canvas, "RGBA")
    if layout.background_box:
        draw.rectangle(layout.background_box, fill=(0, 0, 0, 128))
    stroke = round(OVERLAY.stroke_width * layout.font_size)
    draw.multiline_text(
        (layout.text_box[0] + stroke, layout.text_box[1] + stroke),
        "\n".join(layout.lines),
        font=font,
        fill=(255, 255, 255),
        stroke_width=stroke,
        stroke_fill=(0, 0, 0),
    )
    return canvas


def bound(data: bytes, overlays: dict | None = None) -> int:
    """Decode, resize down the same chain, encode with the same settings."""
    image = Image.open(io.BytesIO(data))
    image.load()
    if image.mode != "RGB":
        image = image.convert("RGB")
    width, height = image.size
    widths = sorted({w for w in DEFAULT_WIDTHS if w <= width} | (
        {width} if width < max(DEFAULT_WIDTHS) else set()
    ), reverse=True)  # fmt: skip
    srgb = PngImagePlugin.PngInfo()
    srgb.add(b"sRGB", b"\x00")
    options = {
        "avif": ("AVIF", {"quality": DEFAULT_QUALITY["avif"], "speed": DEFAULT_AVIF_SPEED}),
        "webp": ("WEBP", {"quality": DEFAULT_QUALITY["webp"], "method": DEFAULT_WEBP_METHOD}),
        "jpeg": ("JPEG", {"quality": DEFAULT_QUALITY["jpeg"], "optimize": True,
                          "progressive": True}),
        "png": ("PNG", {"compress_level": DEFAULT_PNG_COMPRESS_LEVEL, "pnginfo": srgb}),
    }  # fmt: skip
    total = 0
    base = image
    for w in widths:
        size = (w, max(1, round(height * w / width)))
        if base.size != size:
            base = base.resize(size, Image.Resampling.LANCZOS)
        canvas = draw_bare(base, *overlays[w]) if overlays else base
        for key in DEFAULT_FORMATS:
            fmt, opts = options[key]
            buffer = io.BytesIO()
            canvas.save(buffer, fmt, **opts)
            total += buffer.tell()
    return total


def timed(function, *args) -> float:
    started = time.perf_counter()
    function(*args)
    return (time.perf_counter() - started) * 1000


def run(runs: int, sizes: list[str]) -> list[dict]:
    rows = []
    for label in sizes:
        width, height = SIZES[label]
        buffer = io.BytesIO()
        photo(width, height).save(buffer, "PNG")
        data = buffer.getvalue()
        overlays = bare_overlays(width, height)
        # Warm-up: imports, font loading, codec initialisation.
        ours(data, OVERLAY)
        bound(data, overlays)
        samples: dict[str, list[float]] = {
            k: [] for k in ("ours", "bound", "ours+o", "bound+o", "ours+a")
        }
        for _ in range(runs):  # interleaved, so drift affects all alike
            samples["bound"].append(timed(bound, data))
            samples["ours"].append(timed(ours, data, None))
            samples["bound+o"].append(timed(bound, data, overlays))
            samples["ours+o"].append(timed(ours, data, OVERLAY))
            samples["ours+a"].append(timed(ours, data, AUTO_OVERLAY))
        medians = {k: statistics.median(v) for k, v in samples.items()}
        for variant, ours_key, bound_key in (
            ("no overlay", "ours", "bound"),
            ("with overlay", "ours+o", "bound+o"),
            ("auto overlay", "ours+a", "bound+o"),
        ):
            rows.append(
                {
                    "size": f"{label} ({width}x{height})",
                    "variant": variant,
                    "ours": medians[ours_key],
                    "bound": medians[bound_key],
                    "ratio": medians[ours_key] / medians[bound_key],
                }
            )
            print(f"{rows[-1]['size']:>20} {rows[-1]['variant']:>13} "
                  f"ours {rows[-1]['ours']:8.0f} ms  bound {rows[-1]['bound']:8.0f} ms  "
                  f"ratio {rows[-1]['ratio']:.3f}", flush=True)  # fmt: skip
    return rows


def table(rows: list[dict], runs: int) -> str:
    lines = [
        f"Median of {runs} runs; Python {platform.python_version()}, Pillow {PIL.__version__}"
        f" (AVIF {'yes' if features.check('avif') else 'no'}), {os.cpu_count()} CPU(s),"
        f" {platform.machine()}.",
        "",
        "| original | overlay | ours (ms) | bound (ms) | ratio | target |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        ok = "ok" if row["ratio"] <= TARGET else "over"
        lines.append(
            f"| {row['size']} | {row['variant']} | {row['ours']:.0f} | {row['bound']:.0f} "
            f"| {row['ratio']:.2f} | <= {TARGET} ({ok}) |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument("--sizes", nargs="+", choices=list(SIZES), default=list(SIZES))
    parser.add_argument("--write", action="store_true", help="update benchmarks/README.md")
    args = parser.parse_args()
    markdown = table(run(args.runs, args.sizes), args.runs)
    print()
    print(markdown)
    if args.write:
        write_readme("renditions", markdown)
        print(f"\nwritten to {README.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
