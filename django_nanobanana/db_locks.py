"""Retrying writes a busy database refused.

SQLite answers "database is locked" when another writer holds the lock longer than the
busy timeout; PostgreSQL reports deadlocks, serialization failures and, with a
``lock_timeout`` set, rows locked too long. :func:`retry_on_lock` retries such a write (a
whole transaction) with jittered exponential backoff, so a version is settled a moment
later instead of staying ``running`` until its lease runs out and being run (and billed)
again. The loop is :mod:`tenacity`. Used by the services' state transitions and by the
ledger, so it sits below both.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

import tenacity
from django.db import OperationalError

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
