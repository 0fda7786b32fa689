"""Conditional state transitions of queued work (versions and descriptions).

Every change is an UPDATE conditioned on the state it leaves (and, for running work, on
the attempt that holds it), so a second worker or a redelivered task finds nothing to
claim, a worker that lost its lease cannot overwrite the winner's result, and the reaper
and a late worker can race safely: whichever update lands first wins, the other changes
nothing. Used by the worker, the Batch API runner, the reaper and the descriptions.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Model
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import signals
from ..conf import nanobanana_settings
from ..db_locks import retry_on_lock
from ..exceptions import StateConflict
from ..ledger import accounting
from ..models import AssetVersion, State

logger = logging.getLogger(__name__)


def claim(
    model: type[Model], pk: Any, *, lease_seconds: float | None = None, started: bool = False
) -> bool:
    """``queued → running`` under a lease (``TASK_LEASE_SECONDS`` unless given), one more
    attempt (and ``started_at`` set when ``started``). False when nothing was queued."""
    now = timezone.now()
    lease = timedelta(seconds=lease_seconds or nanobanana_settings.TASK_LEASE_SECONDS)
    fields: dict[str, Any] = {"started_at": now} if started else {}
    return bool(
        model.objects.filter(pk=pk, state=State.QUEUED).update(
            state=State.RUNNING,
            attempts=F("attempts") + 1,
            lease_expires_at=now + lease,
            **fields,
        )
    )


def claim_version(version_id: Any, *, lease_seconds: float | None = None) -> AssetVersion | None:
    """Claim a queued version (:func:`claim`); None when nothing was claimed."""
    if not claim(AssetVersion, version_id, lease_seconds=lease_seconds, started=True):
        return None
    return AssetVersion.objects.select_related("asset", "parent").get(pk=version_id)


def finish_running(
    row: Any, state: str, fields: dict[str, Any], *, close: Callable[[], None], label: str
) -> bool:
    """Move a running row (of this attempt) to a final state and call ``close`` (its
    money) in the same transaction. False if the row was not ours any more. A locked
    database is waited out (:func:`~django_nanobanana.db_locks.retry_on_lock`) rather
    than leaving it running."""
    fields.setdefault("finished_at", timezone.now())

    def attempt() -> bool:
        with transaction.atomic():
            updated = (
                type(row)
                .objects.filter(pk=row.pk, state=State.RUNNING, attempts=row.attempts)
                .update(state=state, lease_expires_at=None, **fields)
            )
            if not updated:
                return False
            close()
        return True

    return retry_on_lock(attempt, label=label)


def finish_version(version: AssetVersion, state: str, **fields: Any) -> bool:
    """Move a running version to a final state and close its money: its cost is the sum
    of its billed answers over every attempt (a ``cost`` passed in is ignored), settled,
    or refunded when nothing was billed. False if the version was not ours any more."""
    fields.pop("cost", None)

    def close() -> None:
        for key, value in fields.items():
            setattr(version, key, value)
        version.state = state
        totals = accounting.finish(version)
        AssetVersion.objects.filter(pk=version.pk).update(**totals)
        transaction.on_commit(
            lambda: signals.version_finished.send(sender=AssetVersion, version=version)
        )

    return finish_running(
        version, state, fields, close=close, label=f"version {version.pk}: settling"
    )


def run_guarded(
    row: Any, run: Callable[[Any], None], finish: Callable[..., bool], *, what: str
) -> None:
    """``run(row)``; a bug never leaves the row running: it fails with ``INTERNAL_ERROR``
    (``what`` names the row in the log). What was billed before the failure (e.g. storage
    failed after a good answer) stays booked: ``finish`` settles the billed answers."""
    try:
        run(row)
    except Exception as exc:
        logger.exception("%s %s failed unexpectedly", what, row.pk)
        finish(
            row,
            State.FAILED,
            error_code="INTERNAL_ERROR",
            error=_("Internal error: %(type)s") % {"type": type(exc).__name__},
        )


def take_back(version: Any, now: Any, state: str, **fields: Any) -> bool:
    """The reaper's move of a running version whose lease expired before ``now``
    (``running → queued`` again, or ``failed``). False if its worker settled it first."""
    return bool(
        AssetVersion.objects.filter(
            pk=version.pk,
            state=State.RUNNING,
            attempts=version.attempts,
            lease_expires_at__lt=now,
        ).update(state=state, lease_expires_at=None, **fields)
    )


def cancel(version: AssetVersion, *, user: Any = None) -> AssetVersion:
    """Cancel queued work; a running or finished version cannot be cancelled."""
    with transaction.atomic():
        updated = AssetVersion.objects.filter(pk=version.pk, state=State.QUEUED).update(
            state=State.CANCELLED,
            finished_at=timezone.now(),
            error_code="CANCELLED",
            error=_("Cancelled before it ran."),
        )
        if not updated:
            version.refresh_from_db()
            raise StateConflict(
                _("Only queued work can be cancelled; this version is %(state)s.")
                % {"state": version.get_state_display()}
            )
        version.refresh_from_db()
        accounting.release(version, outcome=State.CANCELLED)
        transaction.on_commit(
            lambda: signals.version_finished.send(sender=AssetVersion, version=version)
        )
    return version
