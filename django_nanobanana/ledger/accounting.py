"""The seam between the flows and the money: audit trail, budget reservation, settlement.

The flows call only these functions; the other modules of :mod:`django_nanobanana.ledger`
hold the rules (see docs/ledger.md). Where each is called:

- :func:`reserve`: inside the transaction that creates a version (a refusal rolls it back);
- :class:`BilledRecorder`: the moment each billed answer arrives (passed to
  ``Provider.generate(on_billed=...)``; Batch API results too);
- :func:`finish`: inside the transaction that moves a version to its final state: books
  the sum of its billed answers (all attempts), or refunds when none was billed;
- :func:`release`: a version that ended without a call of its own (cancelled, reaped):
  same closing rule, so answers billed to an earlier, lost attempt stay booked;
- :func:`cache_hit`: a version served from the prompt cache;
- :func:`refused`: after a request was refused at the edge (invalid or over budget).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import DatabaseError
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from ..conf import nanobanana_settings
from ..db_locks import retry_on_lock
from ..models import AssetVersion, BilledCall, Outcome, State
from ..models.ledger import TOKEN_FIELDS
from . import budgets
from .audit import record_outcome, record_request
from .entries import close, record_billed_call, record_cache_hit

logger = logging.getLogger(__name__)

_OUTCOMES = {
    State.SUCCEEDED: Outcome.SUCCEEDED,
    State.FAILED: Outcome.FAILED,
    State.BLOCKED: Outcome.BLOCKED,
    State.CANCELLED: Outcome.CANCELLED,
}


def _params(version: Any) -> dict[str, Any]:
    return {
        "aspect_ratio": version.aspect_ratio,
        "image_size": version.image_size,
        "seed": version.seed,
        "kind": version.kind,
        **{k: v for k, v in (version.params or {}).items() if k != "fingerprint"},
    }


def _record(
    version: Any,
    *,
    user: Any,
    client_ip: str | None,
    amount: Decimal | None,
    outcome: str = Outcome.PENDING,
) -> None:
    record_request(
        user=user,
        source=version.source,
        prompt=version.prompt,
        model=version.model,
        provider=version.provider,
        params=_params(version),
        references=[r["sha256"] for r in version.references],
        version_id=version.pk,
        asset_id=version.asset_id,
        estimated_cost=amount,
        outcome=outcome,
        ip=client_ip,
    )


def reserve(version: Any, *, amount: Decimal, user: Any, client_ip: str | None) -> None:
    """Audit the request and reserve its estimate on every budget that applies.

    Raises :class:`~django_nanobanana.exceptions.BudgetExceeded` (the caller's transaction
    rolls the version back, then calls :func:`refused`).
    """
    budgets.reserve(
        version_id=version.pk,
        user=user,
        amount=amount,
        images=1,
        source=version.source,
        model=version.model,
        asset_id=version.asset_id,
    )
    _record(version, user=user, client_ip=client_ip, amount=amount)


def finish(version: Any) -> dict[str, Any]:
    """Close the version's money with what the provider billed: the sum of its billed
    calls over every attempt (settled), or a refund when nothing was billed. Sets
    ``version.cost`` and the token counts to those sums and returns them (the caller
    writes them to the row in the same transaction), then completes the audit row."""
    totals = close(version.pk, images=1 if version.state == State.SUCCEEDED else 0)
    for name, value in totals.items():
        setattr(version, name, value)
    record_outcome(
        version.pk,
        outcome=_OUTCOMES.get(version.state, Outcome.FAILED),
        reason=version.error,
        usage=version,
        latency_ms=version.latency_ms,
        attempts=version.attempts,
        response_id=version.response_id,
    )
    return totals


def release(version: Any, *, outcome: str) -> None:
    """A version ended without a result of its own (cancelled, reaped): close it. Nothing
    billed releases the whole reservation; answers billed to an earlier attempt that was
    lost stay booked (and on the version's row)."""
    totals = close(version.pk, images=0)
    if totals["cost"] > 0:
        AssetVersion.objects.filter(pk=version.pk).update(**totals)
        for name, value in totals.items():
            setattr(version, name, value)
    record_outcome(
        version.pk,
        outcome=_OUTCOMES.get(outcome, Outcome.FAILED),
        reason=version.error,
        attempts=version.attempts,
        usage=version if totals["cost"] > 0 else None,
    )


def grounding_is_free() -> bool:
    """Whether one more grounded prompt this month is within the free allowance
    (``GROUNDING_FREE_PROMPTS_PER_MONTH``; counted from the versions that were grounded)."""
    allowance = int(nanobanana_settings.GROUNDING_FREE_PROMPTS_PER_MONTH or 0)
    if allowance <= 0:
        return False
    start = timezone.now().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    used = AssetVersion.objects.filter(grounded_prompts__gt=0, finished_at__gte=start).count()
    return used < allowance


class BilledRecorder:
    """Records a version's billed answers in the attempt ledger, as they arrive.

    Pass it as ``Provider.generate(request, on_billed=recorder)``: each billed answer is
    written at once (in its own transaction, retried while the database is locked), so it
    stays booked even if the worker dies before the version is finished. Then call
    :meth:`flush` with ``result.billed`` / ``error.billed``: it writes any answer whose
    recording failed and brings the notes up to date (an answer is recorded before it is
    parsed, so a truncated image is noted only afterwards). Recording twice is harmless.

    Pricing: tokens x the model's prices (the batch price for Batch API results). An
    answer billed but unreadable (a 200 whose JSON was cut, ``usage`` None) is booked at
    the version's estimate and recorded with ``usage_known=False``.
    """

    def __init__(
        self, version: Any, capabilities: Any, *, batch: bool = False, batch_job: str = ""
    ) -> None:
        self.version = version
        self.capabilities = capabilities
        self.batch = batch
        self.batch_job = batch_job
        self.recorded: set[int] = set()

    def cost(self, item: Any) -> Decimal:
        if item.usage is None:
            estimate = self.version.estimated_cost
            if estimate is None:
                estimate = self.capabilities.estimate_cost(
                    image_size=self.version.image_size or None,
                    prompt_chars=len(self.version.prompt or ""),
                    reference_count=len(self.version.references or ()),
                )
            return estimate * self.capabilities.prices.batch_discount if self.batch else estimate
        free = bool(getattr(item.usage, "grounded_prompts", 0)) and grounding_is_free()
        return self.capabilities.cost_from_usage(item.usage, batch=self.batch, free_grounding=free)

    def __call__(self, item: Any) -> None:
        self.record(item)

    def record(self, item: Any) -> None:
        if item.number in self.recorded:
            return
        version = self.version
        row = retry_on_lock(
            lambda: record_billed_call(
                version.pk,
                attempt=version.attempts,
                call=item.number,
                cost=self.cost(item),
                usage=item.usage,
                usage_known=item.usage is not None,
                kind=BilledCall.Kind.BATCH if self.batch else BilledCall.Kind.SYNC,
                provider=version.provider,
                model=version.model,
                batch_job=self.batch_job,
                response_id=item.response_id or "",
                note=item.note,
                reason=item.reason,
            ),
            label=f"version {version.pk}: recording a billed answer",
        )
        self.recorded.add(item.number)
        if row is not None and row.late:
            # The version was closed by another attempt: its row carries this cost too.
            AssetVersion.objects.filter(pk=version.pk).update(
                cost=Coalesce(F("cost"), Value(Decimal(0))) + row.cost,
                **{name: F(name) + getattr(row, name) for name in TOKEN_FIELDS},
            )

    def flush(self, items: Iterable[Any]) -> None:
        """Record what is not recorded yet; update the notes of what is."""
        for item in items:
            try:
                if item.number in self.recorded:
                    BilledCall.objects.filter(
                        version_id=self.version.pk,
                        attempt=self.version.attempts,
                        call=item.number,
                    ).exclude(note=item.note).update(note=item.note[:16], reason=item.reason)
                else:
                    self.record(item)
            except DatabaseError:
                logger.exception(
                    "version %s: a billed answer could not be recorded", self.version.pk
                )


def cache_hit(version: Any, *, avoided: Decimal | None, user: Any, client_ip: str | None) -> None:
    """Zero cost, with the cost avoided; no budget is charged."""
    _record(version, user=user, client_ip=client_ip, amount=Decimal(0), outcome=Outcome.CACHED)
    record_cache_hit(
        version.pk,
        user=user,
        avoided=avoided or Decimal(0),
        source=version.source,
        model=version.model,
        asset_id=version.asset_id,
    )


def refused(
    params: Any, *, user: Any, source: str, client_ip: str | None, reason: str, outcome: str
) -> None:
    """Record a request refused before a version existed (invalid or over budget)."""
    record_request(
        user=user,
        source=source,
        prompt=params.prompt,
        model=params.resolved_model(),
        provider=params.resolved_provider(),
        params={
            "aspect_ratio": params.aspect_ratio,
            "image_size": params.image_size,
            "seed": params.seed,
        },
        outcome=Outcome.REFUSED if outcome == "refused" else Outcome.INVALID,
        reason=reason,
        ip=client_ip,
    )
