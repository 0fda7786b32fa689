"""Money: budgets, the ledger, the audit trail and usage reports (docs/ledger.md).

Modules, lowest first:

* :mod:`.budgets` — which budgets apply to a request, the atomic check-and-reserve
  (:func:`reserve`) and the release of a reservation;
* :mod:`.audit` — the audit trail (:func:`record_request`, :func:`record_outcome`,
  :func:`prune_audit`), prompt redaction, key scrubbing and :func:`client_ip`;
* :mod:`.entries` — the ledger: billed calls, :func:`close` (settle or refund), late
  charges and cache hits;
* :mod:`.reports` — usage and budget figures for the CLI, the REST API and the dashboard;
* :mod:`.accounting` — the seam the generation flows call (``BilledRecorder``, reserve,
  finish, release, cache hits, refusals); not imported here, it imports the services'
  lock retry.

The money primitives (:func:`to_micros`, :func:`format_money`, :func:`budget_timezone`)
live in :mod:`django_nanobanana.money` and the refusal, :class:`BudgetExceeded`, in
:mod:`django_nanobanana.exceptions`; both are re-exported here.
"""

from ..exceptions import BudgetExceeded
from ..models import Outcome
from ..models.ledger import TOKEN_FIELDS
from ..money import budget_timezone, format_money, from_micros, to_micros
from .audit import client_ip, prune_audit, record_outcome, record_request, redact_prompt, scrub
from .budgets import (
    Reservation,
    applicable_budgets,
    reserve,
    sync_settings_budgets,
    window,
    window_counters,
)
from .entries import (
    billed_totals,
    close,
    record_billed_call,
    record_cache_hit,
    refund,
    settle,
)

__all__ = [
    "TOKEN_FIELDS",
    "BudgetExceeded",
    "Outcome",
    "Reservation",
    "applicable_budgets",
    "billed_totals",
    "budget_timezone",
    "client_ip",
    "close",
    "format_money",
    "from_micros",
    "prune_audit",
    "record_billed_call",
    "record_cache_hit",
    "record_outcome",
    "record_request",
    "redact_prompt",
    "refund",
    "reserve",
    "scrub",
    "settle",
    "sync_settings_budgets",
    "to_micros",
    "window",
    "window_counters",
]
