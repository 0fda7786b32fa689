"""The ledger: reserve -> settle | refund, billed calls, late charges and cache hits.

Money movements (reservations are made by :func:`django_nanobanana.ledger.reserve`):

* :func:`record_billed_call` — the moment a billed answer arrives (every HTTP 200, also
  one later found unusable, and every Batch API result): one :class:`BilledCall` row, the
  attempt ledger. Recorded after the version was closed (a worker that lost its lease),
  it is booked at once as a ``late_charge`` entry.
* :func:`close` — when the version ends: settles the sum of its billed calls, or refunds
  when nothing was billed. A version's cost is the sum of its billed attempts.
* :func:`settle` — releases the reservation and books the actual cost on the same budget
  windows (called by :func:`close`).
* :func:`refund` — nothing was spent (no answer, cancelled, lost): releases it.
* :func:`record_cache_hit` — an identical image reused: zero cost, the cost avoided.

Each is idempotent through database constraints, not a prior SELECT: one entry per
(version, kind), and one *closing* entry (settle or refund) per version. A second call —
a redelivered task, a reaper racing a worker — hits the constraint and returns False.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db import IntegrityError, transaction
from django.db.models import F, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from ..models import AuditRecord, BilledCall, EntryKind, LedgerEntry
from ..models.ledger import TOKEN_FIELDS
from ..money import from_micros, to_micros
from .audit import scrub
from .budgets import booked_by, release

logger = logging.getLogger(__name__)

__all__ = [
    "billed_totals",
    "close",
    "record_billed_call",
    "record_cache_hit",
    "refund",
    "settle",
]


def _reservation(version_id: UUID) -> LedgerEntry | None:
    return LedgerEntry.objects.filter(version_id=version_id, kind=EntryKind.RESERVE).first()


def _lock_reservation(version_id: UUID) -> LedgerEntry | None:
    """The reservation, row-locked (``SELECT ... FOR UPDATE``; SQLite serialises writers
    anyway): recording a billed call and closing a version take it first, so on PostgreSQL
    a late call can never slip between the sum and the settle."""
    return (
        LedgerEntry.objects.select_for_update()
        .filter(version_id=version_id, kind=EntryKind.RESERVE)
        .first()
    )


def _copied(reservation: LedgerEntry | None, *, model: str = "") -> dict[str, Any]:
    """What an entry after the reservation copies from it (who, what, the request time),
    so it lands on the same budget windows."""
    if reservation is None:
        return {
            "asset_id": None,
            "user_id": None,
            "username": "",
            "source": "",
            "model": model,
            "occurred_at": timezone.now(),
        }
    return {
        "asset_id": reservation.asset_id,
        "user_id": reservation.user_id,
        "username": reservation.username,
        "source": reservation.source,
        "model": reservation.model,
        "occurred_at": reservation.occurred_at,
    }


def _is_closed(version_id: UUID) -> bool:
    return LedgerEntry.objects.filter(
        version_id=version_id, kind__in=(EntryKind.SETTLE, EntryKind.REFUND)
    ).exists()


def record_billed_call(
    version_id: UUID,
    *,
    attempt: int,
    call: int,
    cost: Decimal,
    usage: Any = None,
    usage_known: bool = True,
    kind: str = BilledCall.Kind.SYNC,
    provider: str = "",
    model: str = "",
    batch_job: str = "",
    response_id: str = "",
    note: str = "",
    reason: str = "",
) -> BilledCall | None:
    """Record one billed answer of a version (see :class:`BilledCall`).

    ``attempt`` is the version's worker attempt, ``call`` the HTTP attempt within it;
    ``usage`` any object with the token attributes (``None`` when unknown); ``cost`` what
    it costs (the caller prices it: tokens x prices, the batch price, or the estimate for
    an unreadable answer). Returns the row, or None when it was already recorded.

    While the version is open the row simply waits for :func:`close`. If the version is
    already closed, the cost is booked now: a ``late_charge`` entry on the reservation's
    budget windows, added to the audit row's cost; the row is marked ``late``.
    """
    micros = to_micros(cost)
    if micros < 0:
        raise ValueError("a billed cost cannot be negative")
    amount = from_micros(micros)
    tokens = (
        {name: int(getattr(usage, name, 0) or 0) for name in TOKEN_FIELDS}
        if usage is not None
        else {}
    )
    with transaction.atomic():
        reservation = _lock_reservation(version_id)
        copied = _copied(reservation, model=model[:100])
        closed = _is_closed(version_id)
        try:
            with transaction.atomic():
                row = BilledCall.objects.create(
                    version_id=version_id,
                    attempt=attempt,
                    call=call,
                    kind=kind,
                    asset_id=copied["asset_id"],
                    user_id=copied["user_id"],
                    username=copied["username"],
                    provider=provider[:50],
                    model=model[:100],
                    batch_job=batch_job[:200],
                    response_id=scrub(str(response_id or ""))[:200],
                    note=note[:16],
                    reason=scrub(str(reason or "")),
                    usage_known=usage_known,
                    cost=amount,
                    late=closed,
                    **tokens,
                )
        except IntegrityError:
            return None
        if closed:
            LedgerEntry.objects.create(
                kind=EntryKind.LATE_CHARGE, version_id=version_id, amount=amount, images=0, **copied
            )
            if reservation is not None:
                release(
                    reservation.counters, reserved_micros=0, reserved_images=0, spent_micros=micros
                )
            AuditRecord.objects.filter(version_id=version_id).update(
                cost=Coalesce(F("cost"), Value(Decimal(0))) + amount
            )
            logger.warning(
                "version %s: billed answer (attempt %s, call %s) arrived after "
                "the version was closed; booked as a late charge of %s",
                version_id,
                attempt,
                call,
                amount,
            )
    return row


def billed_totals(version_id: UUID) -> dict[str, Any]:
    """The sum of a version's billed calls: ``cost`` (Decimal) and the token counts."""
    totals = BilledCall.objects.filter(version_id=version_id).aggregate(
        cost=Sum("cost"), **{name: Sum(name) for name in TOKEN_FIELDS}
    )
    out: dict[str, Any] = {name: int(totals[name] or 0) for name in TOKEN_FIELDS}
    out["cost"] = from_micros(to_micros(totals["cost"] or Decimal(0)))
    return out


def close(version_id: UUID, *, images: int = 0) -> dict[str, Any]:
    """Close a version's money: settle the sum of its billed calls (``images`` counted
    when it produced its image), or refund the whole reservation when nothing was billed.

    Returns :func:`billed_totals` as computed under the reservation's lock. A second call
    changes nothing (the closing entry is unique per version).
    """
    with transaction.atomic():
        _lock_reservation(version_id)
        totals = billed_totals(version_id)
        if totals["cost"] > 0:
            settle(version_id, actual=totals["cost"], images=images)
        else:
            refund(version_id)
    return totals


def _close(version_id: UUID, kind: str, amount: Decimal, images: int) -> LedgerEntry | None:
    """Insert the closing entry; None when the version was already closed."""
    reservation = _reservation(version_id)
    try:
        with transaction.atomic():
            entry = LedgerEntry.objects.create(
                kind=kind,
                version_id=version_id,
                amount=amount,
                images=images,
                **_copied(reservation),
            )
    except IntegrityError:
        return None
    entry._reservation = reservation  # type: ignore[attr-defined]
    return entry


def settle(version_id: UUID, *, actual: Decimal, images: int = 1) -> bool:
    """Book the actual cost of a version (from ``usageMetadata`` and the price table).

    Releases the reservation and adds ``actual`` and ``images`` to the spent totals of the
    budget windows the reservation was made on (the windows of the request time, even if
    the call ended after midnight). Also writes the cost to the version's audit row.

    Returns False, changing nothing, if the version was already settled or refunded.
    Call it after the provider answered (also for blocked / no-image answers that were
    billed, with ``images=0``), in its own transaction or inside the one that records the
    final state. Raises TypeError for a float.
    """
    actual_micros = to_micros(actual)
    if actual_micros < 0 or images < 0:
        raise ValueError("a settled cost cannot be negative")
    with transaction.atomic():
        entry = _close(version_id, EntryKind.SETTLE, from_micros(actual_micros), images)
        if entry is None:
            return False
        reservation = entry._reservation  # type: ignore[attr-defined]
        if reservation is None:
            logger.warning(
                "version %s settled without a reservation: no budget counted it", version_id
            )
        else:
            release(
                reservation.counters,
                reserved_micros=to_micros(reservation.amount),
                reserved_images=reservation.images,
                spent_micros=actual_micros,
                spent_images=images,
            )
        AuditRecord.objects.filter(version_id=version_id).update(cost=entry.amount, images=images)
    return True


def refund(version_id: UUID) -> bool:
    """Release a version's reservation: nothing was spent (no answer, cancelled, lost).

    Returns False, changing nothing, if the version was already settled or refunded (so
    a refund after a settle cannot undo the spending, nor the reverse double count).
    """
    with transaction.atomic():
        reservation = _reservation(version_id)
        amount = reservation.amount if reservation else Decimal(0)
        entry = _close(version_id, EntryKind.REFUND, amount, 0)
        if entry is None:
            return False
        if reservation is not None:
            release(
                reservation.counters,
                reserved_micros=to_micros(reservation.amount),
                reserved_images=reservation.images,
            )
        AuditRecord.objects.filter(version_id=version_id).update(cost=Decimal(0), images=0)
    return True


def record_cache_hit(
    version_id: UUID,
    *,
    user: Any,
    avoided: Decimal,
    source: str = "",
    model: str = "",
    asset_id: UUID | None = None,
) -> bool:
    """A request served by reusing an identical image: zero cost, ``avoided`` kept.

    ``version_id`` is the new version that reuses the image. No budget is charged.
    Returns False if this version already has its cache-hit entry.
    """
    avoided_micros = to_micros(avoided)
    try:
        with transaction.atomic():
            LedgerEntry.objects.create(
                kind=EntryKind.CACHE_HIT,
                version_id=version_id,
                asset_id=asset_id,
                **booked_by(user),
                source=source,
                model=model,
                amount=Decimal(0),
                avoided=from_micros(avoided_micros),
                images=1,
                occurred_at=timezone.now(),
            )
            AuditRecord.objects.filter(version_id=version_id).update(
                cost=Decimal(0), avoided_cost=from_micros(avoided_micros), images=1
            )
    except IntegrityError:
        return False
    return True
