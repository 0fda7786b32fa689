"""The seam between the flows and the money: audit trail, budget reservation, settlement.

The flows call only these functions; :mod:`django_nanobanana.ledger` and
:mod:`django_nanobanana.budgets` hold the rules (see docs/ledger.md). Where each is called:

- :func:`reserve`: inside the transaction that creates a version (a refusal rolls it back);
- :func:`finish`: inside the transaction that moves a version to its final state;
- :func:`release`: a version that ended without a provider call (cancelled, reaped);
- :func:`cache_hit`: a version served from the prompt cache;
- :func:`refused`: after a request was refused at the edge (invalid or over budget).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .. import budgets, ledger
from ..models import State
from ..models.ledger import Outcome

_OUTCOMES = {
    State.SUCCEEDED: Outcome.SUCCEEDED, State.FAILED: Outcome.FAILED,
    State.BLOCKED: Outcome.BLOCKED, State.CANCELLED: Outcome.CANCELLED,
}


def _params(version: Any) -> dict[str, Any]:
    return {"aspect_ratio": version.aspect_ratio, "image_size": version.image_size,
            "seed": version.seed, "kind": version.kind,
            **{k: v for k, v in (version.params or {}).items() if k != "fingerprint"}}


def _record(version: Any, *, user: Any, client_ip: str | None, amount: Decimal | None,
            outcome: str = Outcome.PENDING) -> None:
    ledger.record_request(
        user=user, source=version.source, prompt=version.prompt, model=version.model,
        provider=version.provider, params=_params(version),
        references=[r["sha256"] for r in version.references], version_id=version.pk,
        asset_id=version.asset_id, estimated_cost=amount, outcome=outcome, ip=client_ip,
    )


def reserve(version: Any, *, amount: Decimal, user: Any, client_ip: str | None) -> None:
    """Audit the request and reserve its estimate on every budget that applies.

    Raises :class:`~django_nanobanana.budgets.BudgetExceeded` (the caller's transaction
    rolls the version back, then calls :func:`refused`).
    """
    budgets.reserve(version_id=version.pk, user=user, amount=amount, images=1,
                    source=version.source, model=version.model, asset_id=version.asset_id)
    _record(version, user=user, client_ip=client_ip, amount=amount)


def finish(version: Any) -> None:
    """Settle what the provider billed (tokens x prices), or refund when nothing was."""
    cost = version.cost or Decimal(0)
    if cost > 0:
        ledger.settle(version.pk, actual=cost,
                      images=1 if version.state == State.SUCCEEDED else 0)
    else:
        ledger.refund(version.pk)
    ledger.record_outcome(
        version.pk, outcome=_OUTCOMES.get(version.state, Outcome.FAILED),
        reason=version.error, usage=version, latency_ms=version.latency_ms,
        attempts=version.attempts, response_id=version.response_id,
    )


def release(version: Any, *, outcome: str) -> None:
    """Nothing was spent: release the whole reservation and close the audit row."""
    ledger.refund(version.pk)
    ledger.record_outcome(version.pk, outcome=_OUTCOMES.get(outcome, Outcome.FAILED),
                          reason=version.error, attempts=version.attempts)


def cache_hit(version: Any, *, avoided: Decimal | None, user: Any, client_ip: str | None
              ) -> None:
    """Zero cost, with the cost avoided; no budget is charged."""
    _record(version, user=user, client_ip=client_ip, amount=Decimal(0),
            outcome=Outcome.CACHED)
    ledger.record_cache_hit(version.pk, user=user, avoided=avoided or Decimal(0),
                            source=version.source, model=version.model,
                            asset_id=version.asset_id)


def refused(params: Any, *, user: Any, source: str, client_ip: str | None, reason: str,
            outcome: str) -> None:
    """Record a request refused before a version existed (invalid or over budget)."""
    ledger.record_request(
        user=user, source=source, prompt=params.prompt, model=params.resolved_model(),
        provider=params.resolved_provider(),
        params={"aspect_ratio": params.aspect_ratio, "image_size": params.image_size,
                "seed": params.seed},
        outcome=Outcome.REFUSED if outcome == "refused" else Outcome.INVALID,
        reason=reason, ip=client_ip,
    )
