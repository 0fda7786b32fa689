"""Benchmark: peak memory of one 4K generation (provider answer, decode, overlay,
renditions), in decoded frames (width x height x 3 bytes).

Each measurement runs in a fresh subprocess (``--child``) against a fake Gemini server
running as a process of its own (its memory is not counted) that answers with a realistic
~25 MB 4K PNG (5504x3072, gradient + film grain, made once and cached). The child sets up
Django (SQLite and media in a temporary folder), warms up with one 1K generation from a
second fake server (so imports, fonts and codecs are loaded), then:

1. ``gc.collect()`` + ``malloc_trim(0)``; RSS before (``/proc/self/status`` VmRSS);
2. resets the kernel's peak-RSS mark (``/proc/self/clear_refs`` = 5);
3. runs the queued 4K version's task as a worker would (``tasks.run_version``: the provider call,
   base64 and PNG decode, storing the original, placeholders, the full default rendition
   set with a text overlay, in one task);
4. reads the peak (VmHWM) and, after ``gc.collect()`` only (what the task itself gave back),
   the RSS left.

``--write`` puts the table into ``benchmarks/README.md`` between the ``memory`` markers.
The target: peak increase <= 2.5 frames; after the task, less than a quarter frame held.

Run from the repository root::

    python benchmarks/memory.py --write
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))  # also when loaded by path (tests/services)

from _support import API_KEY, start_fake, write_readme  # noqa: E402

WIDTH, HEIGHT = 5504, 3072  # Gemini's 4K 16:9
FRAME = WIDTH * HEIGHT * 3
TARGET_FRAMES = 2.5
HELD_TARGET_FRAMES = 0.25
OVERLAY = {
    "text": "Summer sale: everything must go",
    "size": 0.08,
    "color": "#ffffff",
    "stroke_width": 0.1,
    "stroke_color": "#000000",
    "background": "band",
}


def realistic_png(path: Path) -> Path:
    """A ~25 MB PNG of 5504x3072: a gradient with per-channel film grain (sigma 2.5)."""
    if path.exists():
        return path
    from PIL import Image, ImageChops

    base = Image.new("RGB", (1, 2))
    base.putpixel((0, 0), (40, 90, 160))
    base.putpixel((0, 1), (220, 170, 90))
    image = base.resize((WIDTH, HEIGHT), Image.Resampling.BILINEAR)
    bands = [
        ImageChops.add(band, Image.effect_noise((WIDTH, HEIGHT), 2.5), offset=-128)
        for band in image.split()
    ]
    Image.merge("RGB", bands).save(path, "PNG")
    return path


# -- the child: one measurement ---------------------------------------------------------------


def _status(field: str) -> int:
    """A /proc/self/status field in bytes (VmRSS, VmHWM)."""
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def _trim() -> None:
    import ctypes

    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def child(big_url: str, small_url: str, overlay: bool) -> dict[str, float]:
    work = Path(tempfile.mkdtemp(prefix="nanobanana-memory-"))
    import django
    from django.conf import settings

    provider = {"API_KEY": API_KEY, "API_KEY_ENV": None}
    settings.configure(
        SECRET_KEY="benchmark",
        USE_TZ=True,
        DEBUG=False,
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django_q",
            "django_nanobanana",
        ],
        DATABASES={
            "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(work / "db.sqlite3")}
        },
        STORAGES={
            "default": {
                "BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": str(work / "media")},
            }
        },
        Q_CLUSTER={"name": "bench", "orm": "default"},
        NANOBANANA={
            "PROVIDERS": {
                "gemini": {**provider, "BASE_URL": big_url},
                "warm": {**provider, "BASE_URL": small_url},
            },
            "REAPER_EVERY_MINUTES": None,
            "REFERENCE_RETENTION_DAYS": None,
        },
    )
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django_nanobanana.models import AssetVersion
    from django_nanobanana.services import GenerationParams, execute_version, generate
    from django_nanobanana.tasks import run_version

    spec = OVERLAY if overlay else None
    warm = generate(
        GenerationParams(prompt="Warm-up", image_size="1K", provider="warm"),
        overlay=spec,
        enqueue=False,
    )
    assert execute_version(warm.pk).state == "succeeded"
    version = generate(
        GenerationParams(prompt="A 4K poster", image_size="4K"), overlay=spec, enqueue=False
    )
    gc.collect()
    _trim()
    before = _status("VmRSS")
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")  # reset VmHWM to the current RSS
    started = time.perf_counter()
    run_version(str(version.pk))  # the worker's task: execute_version, then release_memory
    seconds = time.perf_counter() - started
    peak = _status("VmHWM")
    gc.collect()
    after = _status("VmRSS")
    finished = AssetVersion.objects.get(pk=version.pk)
    assert finished.state == "succeeded", (finished.state, finished.error)
    assert (finished.width, finished.height) == (WIDTH, HEIGHT)
    renditions = finished.renditions.count()
    assert renditions > 0
    original_mb = finished.original.size / 1e6
    import shutil

    shutil.rmtree(work, ignore_errors=True)
    return {
        "before_mb": before / 1e6,
        "peak_mb": (peak - before) / 1e6,
        "held_mb": (after - before) / 1e6,
        "frames": (peak - before) / FRAME,
        "held_frames": (after - before) / FRAME,
        "seconds": seconds,
        "renditions": renditions,
        "original_mb": original_mb,
    }


# -- the parent -------------------------------------------------------------------------------


def measure(big_url: str, small_url: str, overlay: bool) -> dict[str, float]:
    output = subprocess.run(
        [sys.executable, __file__, "--child", big_url, small_url, "1" if overlay else "0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    if output.returncode:
        raise RuntimeError(output.stderr[-3000:])
    return json.loads(output.stdout.strip().splitlines()[-1])


def table(rows: list[tuple[str, dict[str, float]]], runs: int) -> str:
    import PIL

    lines = [
        f"Median of {runs} runs (one subprocess each); Python {platform.python_version()}, "
        f"Pillow {PIL.__version__}, {os.cpu_count()} CPU(s). A frame is 5504x3072x3 = "
        f"{FRAME / 1e6:.1f} MB; the original PNG is {rows[0][1]['original_mb']:.1f} MB.",
        "",
        "| generation | RSS before (MB) | peak increase (MB) | frames | target | held after (MB) "
        "| time (s) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for label, row in rows:
        ok = "ok" if row["frames"] <= TARGET_FRAMES else "OVER"
        lines.append(
            f"| {label} | {row['before_mb']:.0f} | {row['peak_mb']:.0f} | {row['frames']:.2f} "
            f"| <= {TARGET_FRAMES} ({ok}) | {row['held_mb']:.0f} | {row['seconds']:.1f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--write", action="store_true", help="update benchmarks/README.md")
    parser.add_argument(
        "--child", nargs=3, metavar=("BIG_URL", "SMALL_URL", "OVERLAY"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.child:
        big, small, overlay = args.child
        print(json.dumps(child(big, small, overlay == "1")))
        return 0
    import statistics

    png = realistic_png(Path(tempfile.gettempdir()) / "nanobanana-4k-grain.png")
    big, big_url = start_fake(png)
    small, small_url = start_fake(None)
    try:
        rows = []
        for label, overlay in (("4K, renditions", False), ("4K, overlay + renditions", True)):
            runs = [measure(big_url, small_url, overlay) for _ in range(args.runs)]
            row = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
            rows.append((label, row))
            print(label, json.dumps({k: round(v, 2) for k, v in row.items()}), flush=True)
    finally:
        big.kill()
        small.kill()
    text = table(rows, args.runs)
    print(text)
    if args.write:
        write_readme("memory", text)
    worst = max(row["frames"] for _, row in rows)
    return 0 if worst <= TARGET_FRAMES else 1


if __name__ == "__main__":
    sys.exit(main())
