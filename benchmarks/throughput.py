"""Benchmark: is provider latency hidden by concurrency? 40 queued 1K generations with the
example project's own worker processes, with the fake server answering at once and with
a 2 s latency per call.

For each latency, in a fresh SQLite database and media folder: a fake Gemini server
process (``--latency``), then the two clusters the example project's Procfiles run
(``Q_CLUSTER_NAME=nanobanana-io`` and ``nanobanana-cpu`` ``manage.py qcluster``, sized by
its settings: I/O workers from ``NANOBANANA_IMAGES_PER_MINUTE`` x
``NANOBANANA_TYPICAL_LATENCY``, CPU workers = cores), one warm-up generation, then 40
generations queued at once; the time is from queueing to the last asset being published
(renditions written, current version set). Target: the 2 s run takes at most 1.5 times
the 0 s one (paying each 2 s wait in turn would add 80 s).

``--write`` puts the table into ``benchmarks/README.md`` between the ``throughput``
markers. Run from the repository root::

    python benchmarks/throughput.py --write
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _support import (
    EXAMPLE,
    MANAGE,
    ROOT,
    example_env,
    free_port,
    migrate,
    start_fake,
    wait_until,
    write_readme,
)

TARGET_RATIO = 1.5


def child(count: int, size: str) -> None:
    """Runs with the example project's settings (environment set by the parent): queue
    the generations and print the seconds until every one is published."""
    sys.path[:0] = [str(EXAMPLE), str(ROOT)]
    import django

    django.setup()
    from django_nanobanana.models import GeneratedAsset
    from django_nanobanana.services import GenerationParams, generate

    def published(ids: list) -> bool:  # type: ignore[type-arg]
        return GeneratedAsset.objects.filter(current_version__in=ids).count() == len(ids)

    warm = generate(GenerationParams(prompt="Warm-up", image_size=size))
    wait_until(
        lambda: published([warm.pk]),
        300,
        "the warm-up was not published: are the clusters running?",
    )
    started = time.monotonic()
    ids = [
        generate(GenerationParams(prompt=f"Throughput tile {i}", image_size=size)).pk
        for i in range(count)
    ]
    wait_until(lambda: published(ids), 900, "not every generation was published")
    from django.conf import settings

    print(f"{time.monotonic() - started:.3f} {settings.IO_WORKERS} {settings.CPU_WORKERS}")


def run(latency: float, count: int, size: str) -> tuple[float, dict[str, str]]:
    work = Path(tempfile.mkdtemp(prefix="nanobanana-bench-throughput-"))
    port = free_port()
    env = example_env(
        work,
        DJANGO_SQLITE_PATH=str(work / "db.sqlite3"),
        NANOBANANA_GEMINI_BASE_URL=f"http://127.0.0.1:{port}",
    )
    env.pop("DATABASE_URL", None)
    migrate(env)
    fake, _url = start_fake(latency=latency, port=port)
    logs = {name: open(work / f"{name}.log", "wb") for name in ("io", "cpu")}
    clusters = [
        subprocess.Popen(
            [*MANAGE, "qcluster"],
            cwd=EXAMPLE,
            env={**env, "Q_CLUSTER_NAME": f"nanobanana-{name}"},
            stdout=logs[name],
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        for name in ("io", "cpu")
    ]
    try:
        result = subprocess.run(
            [sys.executable, __file__, "--child", str(count), size],
            cwd=EXAMPLE,
            env=env,
            capture_output=True,
            text=True,
            timeout=1200,
            check=False,
        )
        if result.returncode:
            raise RuntimeError(result.stderr[-3000:])
        seconds, io_workers, cpu_workers = result.stdout.strip().splitlines()[-1].split()
    finally:
        for cluster in clusters:
            os.killpg(cluster.pid, 15)
        for cluster in clusters:
            try:
                cluster.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(cluster.pid, 9)
        fake.kill()
        for log in logs.values():
            log.close()
        shutil.rmtree(work, ignore_errors=True)
    return float(seconds), {"io": io_workers, "cpu": cpu_workers}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--size", default="1K")
    parser.add_argument("--latency", type=float, default=2.0)
    parser.add_argument("--write", action="store_true", help="update benchmarks/README.md")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(int(args.child[0]), args.child[1])
        return 0
    base, sizing = run(0.0, args.count, args.size)
    slow, _ = run(args.latency, args.count, args.size)
    ratio = slow / base
    ok = "ok" if ratio <= TARGET_RATIO else "OVER"
    text = "\n".join(
        [
            f"{args.count} queued {args.size} generations, the example project's clusters: "
            f"{sizing['io']} I/O workers (30 images/min x 15 s typical latency x 1.25), "
            f"{sizing['cpu']} CPU workers; SQLite + ORM broker; full default rendition set; "
            f"Python {platform.python_version()}, {os.cpu_count()} CPU(s), shared with other "
            "jobs.",
            "",
            "| provider latency | time (s) | ratio to no latency | target |",
            "|---:|---:|---:|---:|",
            f"| 0 s | {base:.1f} | 1.00 | |",
            f"| {args.latency:g} s | {slow:.1f} | {ratio:.2f} | <= {TARGET_RATIO} ({ok}) |",
            "",
            f"Paying each wait in turn would add {args.count * args.latency:.0f} s; before the "
            "split (one cluster of 2 workers) the 2 s run took 48.7 s (issue 16).",
        ]
    )
    print(text)
    if args.write:
        write_readme("throughput", text)
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
