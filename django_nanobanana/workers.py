"""How many django-q2 workers each side needs (docs/deployment.md, "Sizing the workers").

Two kinds of work, two clusters (``IO_QUEUE_NAME``, ``CPU_QUEUE_NAME``):

- **I/O** (provider calls, webhooks): a worker mostly waits for Google. To keep the quota
  busy, as many calls must be in flight as arrive while one is answered (Little's law):
  ``images per minute / 60 x typical latency in seconds``, plus headroom for slow calls.
- **CPU** (renditions: decode, resize, encode AVIF/WebP/JPEG): more workers than cores
  only make each task slower and use more memory, so ``workers = cores``.

No Django imports, so a settings module can call them.
"""

from __future__ import annotations

import ctypes
import gc
import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


def io_workers(
    images_per_minute: float,
    typical_latency_seconds: float,
    *,
    headroom: float = 1.25,
    minimum: int = 2,
) -> int:
    """Workers of the I/O cluster: calls in flight at the quota, with ``headroom``."""
    if images_per_minute <= 0 or typical_latency_seconds <= 0:
        return minimum
    return max(minimum, math.ceil(images_per_minute / 60.0 * typical_latency_seconds * headroom))


def cpu_workers() -> int:
    """Workers of the CPU cluster: the cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


#: Allocations from this size up get their own mapping, returned to the system when
#: freed (glibc's default threshold grows up to 32 MB after a large block is freed, so the
#: 33 MB of base64 text and the 25 MB PNG of a 4K answer would stay in the heap).
MMAP_THRESHOLD = 1 << 20
_M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter number
_libc: Any = None


def _glibc() -> Any:
    global _libc
    if _libc is None:
        try:
            _libc = ctypes.CDLL("libc.so.6")
            _libc.malloc_trim  # noqa: B018 - glibc, not musl or another libc
            _libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
        except (OSError, AttributeError):
            _libc = False
    return _libc


@contextmanager
def bounded_memory() -> Iterator[None]:
    """Around a task that handles big images: large blocks are mapped on their own (so
    they go back to the system when freed), and after the task freed heap memory is
    returned too (``malloc_trim``). Decoding a 4K image and its renditions otherwise
    leaves ~100 MB with each worker between tasks. On other C libraries: nothing."""
    _glibc()
    try:
        yield
    finally:
        trim_memory(collect=True)


def trim_memory(*, collect: bool = False) -> None:
    """Return freed heap memory to the system now (glibc; elsewhere nothing). Cheap: call
    it between the big steps of a task (after a large answer was parsed)."""
    libc = _glibc()
    if libc:
        if collect:
            gc.collect()
        libc.malloc_trim(0)
