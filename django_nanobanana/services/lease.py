"""Keeping a running version ours: the lease heartbeat.

A worker claims a version under a lease (``TASK_LEASE_SECONDS``); the
reaper treats a running version whose lease ran out as lost. A provider call can be slower
than the lease (a 4K image, a slow network, server delays honoured by the retry loop), so
while a version runs, :class:`Heartbeat` extends its lease from a background thread every
third of the lease. A killed worker stops beating, its lease runs out and the reaper takes
the version back; a live one keeps it, so the reaper never requeues work whose call is
still running (and billing). Writes a busy database refused are retried by
:func:`django_nanobanana.db_locks.retry_on_lock`.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from typing import Any

from django.db import connections
from django.utils import timezone

from ..conf import nanobanana_settings
from ..models import AssetVersion, State

logger = logging.getLogger(__name__)


class Heartbeat:
    """Extend a running version's lease while the block runs (a context manager).

    Every ``interval`` seconds (default: a third of the lease) the lease is set to now +
    ``lease_seconds`` with a conditional update on (state, attempt): if the version is not
    ours any more the heartbeat stops and :attr:`lost` becomes True. A failed beat (busy
    database) is logged and tried again at the next tick. The thread uses its own database
    connection and closes it when it stops.
    """

    def __init__(
        self,
        version: AssetVersion,
        *,
        lease_seconds: float | None = None,
        interval: float | None = None,
    ) -> None:
        self.version_id = version.pk
        self.attempt = version.attempts
        self.lease = float(lease_seconds or nanobanana_settings.TASK_LEASE_SECONDS)
        self.interval = max(0.05, float(interval or self.lease / 3))
        self.lost = False
        self.beats = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def beat(self) -> bool:
        """Extend the lease once; False when the version is no longer ours."""
        updated = AssetVersion.objects.filter(
            pk=self.version_id,
            state=State.RUNNING,
            attempts=self.attempt,
        ).update(lease_expires_at=timezone.now() + timedelta(seconds=self.lease))
        if updated:
            self.beats += 1
        else:
            self.lost = True
        return bool(updated)

    def _loop(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                try:
                    if not self.beat():
                        logger.warning("version %s: lease lost to another attempt", self.version_id)
                        return
                except Exception:  # a busy database: try again at the next tick
                    logger.warning(
                        "version %s: lease heartbeat failed", self.version_id, exc_info=True
                    )
        finally:
            connections.close_all()  # this thread's connections only

    def __enter__(self) -> Heartbeat:
        self._thread = threading.Thread(
            target=self._loop, daemon=True, name=f"nanobanana-lease-{self.version_id}"
        )
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
