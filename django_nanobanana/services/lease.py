"""Keeping a running version ours: the lease heartbeat, and retrying writes a busy
database refused.

**Heartbeat.** A worker claims a version under a lease (``TASK_LEASE_SECONDS``); the
reaper treats a running version whose lease ran out as lost. A provider call can be slower
than the lease (a 4K image, a slow network, server delays honoured by the retry loop), so
while a version runs, :class:`Heartbeat` extends its lease from a background thread every
third of the lease. A killed worker stops beating, its lease runs out and the reaper takes
the version back; a live one keeps it, so the reaper never requeues work whose call is
still running (and billing).

**Locked database.** SQLite answers "database is locked" when another writer holds the
lock longer than the busy timeout; PostgreSQL reports deadlocks, serialization failures
and, with a ``lock_timeout`` set, rows locked too long.
:func:`retry_on_lock` retries such a write (a whole transaction) with jittered
exponential backoff, so a version is settled a moment later instead of staying ``running``
until its lease runs out and being run (and billed) again. The loop is :mod:`tenacity`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

import tenacity
from django.db import OperationalError, connections
from django.utils import timezone

from ..conf import nanobanana_settings
from ..models import AssetVersion, State

logger = logging.getLogger(__name__)

T = TypeVar("T")

_LOCK_MESSAGES = (
    "database is locked",
    "database table is locked",
    "deadlock detected",
    "could not serialize access",
    "lock timeout",
    "could not obtain lock",
)


def is_lock_error(exc: BaseException) -> bool:
    """A write refused because another transaction held the lock (worth retrying)."""
    return isinstance(exc, OperationalError) and any(
        text in str(exc).lower() for text in _LOCK_MESSAGES
    )


def retry_on_lock(
    fn: Callable[[], T],
    *,
    attempts: int = 10,
    initial: float = 0.05,
    maximum: float = 2.0,
    label: str = "write",
) -> T:
    """Call ``fn`` (a whole transaction; never call this inside ``atomic``) again while it
    fails with a lock error: up to ``attempts`` times, waiting ``initial`` doubling up to
    ``maximum`` seconds (jittered) in between, about 10 s in all with the defaults."""

    def before_sleep(state: tenacity.RetryCallState) -> None:
        logger.warning(
            "%s: the database is busy (%s); retrying in %.2fs",
            label,
            state.outcome.exception() if state.outcome else "?",
            state.upcoming_sleep,
        )

    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception(is_lock_error),
        wait=tenacity.wait_exponential_jitter(initial=initial, max=maximum, jitter=initial),
        stop=tenacity.stop_after_attempt(attempts),
        before_sleep=before_sleep,
        reraise=True,
    )
    return retrying(fn)


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
