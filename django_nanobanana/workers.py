"""How many django-q2 workers each side needs (docs/deployment.md, "Sizing the workers").

Two kinds of work, two clusters (``IO_QUEUE_NAME``, ``CPU_QUEUE_NAME``):

- **I/O** (provider calls, webhooks): a worker mostly waits for Google. To keep the quota
  busy, as many calls must be in flight as arrive while one is answered (Little's law):
  ``images per minute / 60 x typical latency in seconds``, plus headroom for slow calls.
- **CPU** (renditions: decode, resize, encode AVIF/WebP/JPEG): more workers than cores
  only make each task slower and use more memory, so ``workers = cores``.

Pure functions without Django imports, so a settings module can call them.
"""

from __future__ import annotations

import math
import os


def io_workers(images_per_minute: float, typical_latency_seconds: float, *,
               headroom: float = 1.25, minimum: int = 2) -> int:
    """Workers of the I/O cluster: calls in flight at the quota, with ``headroom``."""
    if images_per_minute <= 0 or typical_latency_seconds <= 0:
        return minimum
    return max(minimum, math.ceil(images_per_minute / 60.0 * typical_latency_seconds
                                  * headroom))


def cpu_workers() -> int:
    """Workers of the CPU cluster: the cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)
