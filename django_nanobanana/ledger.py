"""The ledger (reserve -> settle | refund, cache hits) and the audit trail.

Money movements (reservations are made by :func:`django_nanobanana.budgets.reserve`):

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

Audit trail: :func:`record_request` when a request arrives (also refused and invalid ones),
:func:`record_outcome` when it ends. Prompts pass through ``PROMPT_REDACTOR``; API keys
of the configured providers are scrubbed from everything stored; references are kept as
SHA-256 hashes only.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db import IntegrityError, transaction
from django.db.models import F, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.module_loading import import_string

from .budgets import from_micros, release, to_micros
from .conf import nanobanana_settings
from .models.ledger import AuditRecord, BilledCall, EntryKind, LedgerEntry, Outcome

logger = logging.getLogger(__name__)

__all__ = [
    "Outcome",
    "billed_totals",
    "client_ip",
    "close",
    "record_billed_call",
    "record_cache_hit",
    "record_outcome",
    "record_request",
    "refund",
    "scrub",
    "settle",
]

#: Token fields a billed call and a version share.
TOKEN_FIELDS = (
    "prompt_text_tokens",
    "prompt_image_tokens",
    "output_text_tokens",
    "output_image_tokens",
    "thoughts_tokens",
)

#: Parameter names never stored, whatever their value.
SECRET_PARAM_NAMES = (
    "key",
    "api_key",
    "apikey",
    "token",
    "secret",
    "password",
    "authorization",
    "x-goog-api-key",
    "credentials",
)


# -- money -----------------------------------------------------------------------------------


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
        closed = _is_closed(version_id)
        try:
            with transaction.atomic():
                row = BilledCall.objects.create(
                    version_id=version_id,
                    attempt=attempt,
                    call=call,
                    kind=kind,
                    asset_id=reservation.asset_id if reservation else None,
                    user_id=reservation.user_id if reservation else None,
                    username=reservation.username if reservation else "",
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
                kind=EntryKind.LATE_CHARGE,
                version_id=version_id,
                amount=amount,
                images=0,
                asset_id=reservation.asset_id if reservation else None,
                user_id=reservation.user_id if reservation else None,
                username=reservation.username if reservation else "",
                source=reservation.source if reservation else "",
                model=reservation.model if reservation else model[:100],
                occurred_at=reservation.occurred_at if reservation else timezone.now(),
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
                asset_id=reservation.asset_id if reservation else None,
                user_id=reservation.user_id if reservation else None,
                username=reservation.username if reservation else "",
                source=reservation.source if reservation else "",
                model=reservation.model if reservation else "",
                occurred_at=reservation.occurred_at if reservation else timezone.now(),
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
    user = user if getattr(user, "is_authenticated", False) else None
    try:
        with transaction.atomic():
            LedgerEntry.objects.create(
                kind=EntryKind.CACHE_HIT,
                version_id=version_id,
                asset_id=asset_id,
                user=user,
                username=user.get_username() if user else "",
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


# -- secrets and redaction -------------------------------------------------------------------


def _known_secrets() -> list[str]:
    secrets = []
    for alias in nanobanana_settings.PROVIDERS:
        try:
            key = nanobanana_settings.api_key(alias)
        except KeyError:
            key = None
        if key and len(key) >= 4:
            secrets.append(key)
    return secrets


def scrub(text: str, secrets: Iterable[str] | None = None) -> str:
    """``text`` with every configured API key replaced by ``[redacted]``."""
    for secret in _known_secrets() if secrets is None else secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    return text


def _scrub_value(value: Any, secrets: list[str]) -> Any:
    if isinstance(value, str):
        return scrub(value, secrets)
    if isinstance(value, Mapping):
        return {
            str(k): _scrub_value(v, secrets)
            for k, v in value.items()
            if str(k).lower() not in SECRET_PARAM_NAMES
        }
    if isinstance(value, (list, tuple)):
        return [_scrub_value(v, secrets) for v in value]
    if isinstance(value, float):
        return str(Decimal(str(value)))  # no floats in stored JSON
    if isinstance(value, (bytes, bytearray)):
        return hashlib.sha256(value).hexdigest()
    return value


def _redactor() -> Callable[[str], str] | None:
    hook = nanobanana_settings.PROMPT_REDACTOR
    if not hook:
        return None
    return import_string(hook) if isinstance(hook, str) else hook


def redact_prompt(prompt: str) -> str:
    """The prompt as it may be stored: ``PROMPT_REDACTOR`` applied, keys scrubbed."""
    prompt = scrub(prompt or "")  # first, so the hook never sees (or mangles) a key
    hook = _redactor()
    if hook is not None:
        prompt = scrub(str(hook(prompt)))
    return prompt


def _reference_hash(ref: Any) -> str:
    if isinstance(ref, str):
        return ref  # already a hash
    data = getattr(ref, "data", ref)
    if isinstance(data, (bytes, bytearray, memoryview)):
        return hashlib.sha256(bytes(data)).hexdigest()
    sha = getattr(ref, "sha256", None)
    if sha:
        return str(sha)
    raise TypeError(f"cannot hash a reference of type {type(ref).__name__}")


def client_ip(request: Any) -> str | None:
    """``REMOTE_ADDR`` of a web request when it is a valid address (put a trusted proxy
    middleware in front to rewrite it). Forwarded headers are not trusted here."""
    addr = (getattr(request, "META", None) or {}).get("REMOTE_ADDR")
    try:
        return str(ipaddress.ip_address(addr)) if addr else None
    except ValueError:
        return None


# -- audit trail -----------------------------------------------------------------------------


def record_request(
    *,
    user: Any,
    source: str,
    prompt: str,
    model: str = "",
    provider: str = "",
    params: Mapping[str, Any] | None = None,
    references: Iterable[Any] = (),
    version_id: UUID | None = None,
    asset_id: UUID | None = None,
    estimated_cost: Decimal | None = None,
    outcome: str = Outcome.PENDING,
    reason: str = "",
    request: Any = None,
    ip: str | None = None,
) -> AuditRecord:
    """Create the audit row of one request as it arrived.

    For accepted requests pass the new ``version_id`` (inside the transaction that
    creates the version, or right after it); for refused (``Outcome.REFUSED``, reason the
    :class:`~django_nanobanana.budgets.BudgetExceeded` message) and invalid ones
    (``Outcome.INVALID``) call it *after* the rolled-back block, without a version.
    ``references``: bytes, objects with ``.data`` or ``.sha256``, or hex hashes — only
    hashes are stored. ``request``: the HttpRequest, for the client IP. Idempotent per
    version: a second call returns the existing row.
    """
    secrets = _known_secrets()
    user = user if getattr(user, "is_authenticated", False) else None
    final = outcome not in (Outcome.PENDING,)
    # Redact the whole prompt first (cutting first could leave half a key unscrubbed),
    # then keep a bounded head plus the length and hash of the whole.
    redacted = scrub(redact_prompt(prompt), secrets)
    limit = nanobanana_settings.AUDIT_PROMPT_MAX_CHARS
    values = {
        "user": user,
        "username": user.get_username() if user else "",
        "source": source,
        "client_ip": ip or (client_ip(request) if request is not None else None),
        "asset_id": asset_id,
        "prompt": redacted if limit is None else redacted[: max(0, int(limit))],
        "prompt_length": len(redacted),
        "prompt_sha256": hashlib.sha256(redacted.encode("utf-8", "surrogatepass")).hexdigest(),
        "params": _scrub_value(dict(params or {}), secrets),
        "reference_hashes": [_reference_hash(r) for r in references],
        "provider": scrub(str(provider or ""), secrets)[:50],
        "model": scrub(str(model or ""), secrets)[:100],
        "estimated_cost": estimated_cost,
        "outcome": outcome,
        "reason": scrub(str(reason), secrets)[:2000],
        "completed_at": timezone.now() if final else None,
    }
    if version_id is None:
        return AuditRecord.objects.create(**values)
    try:
        with transaction.atomic():
            return AuditRecord.objects.create(version_id=version_id, **values)
    except IntegrityError:
        return AuditRecord.objects.get(version_id=version_id)


def record_outcome(
    version_id: UUID,
    *,
    outcome: str,
    reason: str = "",
    usage: Any = None,
    latency_ms: int | None = None,
    attempts: int | None = None,
    response_id: str = "",
) -> bool:
    """Complete a version's audit row: outcome and reason, token counts by modality from
    ``usage`` (a :class:`~django_nanobanana.providers.base.Usage`), latency, attempts and
    the provider's response id. Cost is not passed: :func:`settle` / :func:`refund` /
    :func:`record_cache_hit` write it, so the audit and the ledger cannot disagree.
    Returns False when the version has no audit row.
    """
    values: dict[str, Any] = {
        "outcome": outcome,
        "reason": scrub(str(reason or "")),
        "completed_at": timezone.now(),
    }
    if response_id:
        values["response_id"] = scrub(str(response_id))[:200]
    if latency_ms is not None:
        values["latency_ms"] = int(latency_ms)
    if attempts is not None:
        values["attempts"] = int(attempts)
    if usage is not None:
        for name in (
            "prompt_text_tokens",
            "prompt_image_tokens",
            "output_text_tokens",
            "output_image_tokens",
            "thoughts_tokens",
        ):
            values[name] = int(getattr(usage, name, 0) or 0)
    return bool(AuditRecord.objects.filter(version_id=version_id).update(**values))


# -- retention -------------------------------------------------------------------------------


def prune_audit(*, before: Any, dry_run: bool = False, batch_size: int = 2000) -> int:
    """Fold finished audit rows created before ``before`` into :class:`UsageTotal` rows
    (per local day, user, model, source) and delete them. Returns how many rows were (or,
    with ``dry_run``, would be) pruned.

    Totals stay the same: reports add the folded totals to the rows still present, and
    money is in the ledger, which is never pruned. Pending rows are kept (their outcome may
    still be written). Works in batches, each locked (``SELECT ... FOR UPDATE``) and folded
    in one transaction.
    """
    from django.db.models import Count, F, Q, Sum
    from django.db.models.functions import TruncDate

    from .budgets import budget_timezone
    from .models.ledger import UsageTotal

    tokens = (
        "prompt_text_tokens",
        "prompt_image_tokens",
        "output_text_tokens",
        "output_image_tokens",
        "thoughts_tokens",
    )
    old = AuditRecord.objects.filter(created_at__lt=before).exclude(outcome=Outcome.PENDING)
    if dry_run:
        return old.count()
    tz = budget_timezone()
    pruned = 0
    while True:
        with transaction.atomic():
            pks = list(
                old.order_by("pk").select_for_update().values_list("pk", flat=True)[:batch_size]
            )
            if not pks:
                break
            groups = (
                AuditRecord.objects.filter(pk__in=pks)
                .annotate(day=TruncDate("created_at", tzinfo=tz))
                .values("day", "user_id", "username", "model", "source")
                .annotate(
                    requests=Count("id"),
                    succeeded=Count(
                        "id", filter=Q(outcome__in=(Outcome.SUCCEEDED, Outcome.CACHED))
                    ),
                    refused=Count("id", filter=Q(outcome__in=(Outcome.REFUSED, Outcome.INVALID))),
                    **{name: Sum(name) for name in tokens},
                )
                .order_by()
            )
            for group in groups:
                key = {k: group[k] for k in ("day", "user_id", "username", "model", "source")}
                total = UsageTotal.objects.select_for_update().filter(**key).first()
                if total is None:
                    total = UsageTotal.objects.create(**key)
                UsageTotal.objects.filter(pk=total.pk).update(
                    **{
                        name: F(name) + (group[name] or 0)
                        for name in ("requests", "succeeded", "refused", *tokens)
                    }
                )
            AuditRecord.objects.filter(pk__in=pks).delete()
            pruned += len(pks)
    return pruned
