"""4K memory: one generation (provider answer, decode, overlay, renditions) peaks at
most 2.5 decoded frames above where it started, and leaves nothing large behind.
Measured by benchmarks/memory.py in a subprocess of its own (a realistic 25 MB PNG from
a fake server process), as the benchmark README reports it."""

import importlib.util
import sys
import tempfile
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not sys.platform.startswith("linux"), reason="reads /proc/self/status and resets VmHWM"
    ),
]
ROOT = Path(__file__).resolve().parents[2]


def load_benchmark():
    spec = importlib.util.spec_from_file_location(
        "memory_benchmark", ROOT / "benchmarks" / "memory.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_4k_generation_with_overlay_peaks_under_two_and_a_half_frames():
    bench = load_benchmark()
    png = bench.realistic_png(Path(tempfile.gettempdir()) / "nanobanana-4k-grain.png")
    assert png.stat().st_size > 20_000_000  # realistic: grain does not compress
    big, big_url = bench.start_fake(png)
    small, small_url = bench.start_fake(None)
    try:
        row = bench.measure(big_url, small_url, overlay=True)
    finally:
        big.kill()
        small.kill()
    assert row["renditions"] == 15
    assert row["frames"] <= bench.TARGET_FRAMES, row
    assert row["held_frames"] < bench.HELD_TARGET_FRAMES, row
