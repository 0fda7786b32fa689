"""The seam between the flows and the money: audit trail, budget reservation, settlement.

The flows call only these functions; :mod:`django_nanobanana.ledger` and
:mod:`django_nanobanana.budgets` hold the rules.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any


def reserve(version: Any, *, amount: Decimal, user: Any, client_ip: str | None) -> None:
    """Inside the transaction that creates ``version``: audit it and reserve its estimate."""


def finish(version: Any) -> None:
    """Inside the transaction that finishes ``version``: settle what was spent, release the rest."""


def release(version: Any, *, outcome: str) -> None:
    """A version ended without a call (cancelled, failed before sending): release it all."""


def cache_hit(version: Any, *, avoided: Decimal | None, user: Any, client_ip: str | None) -> None:
    """A version served from the prompt cache: zero cost, the cost avoided recorded."""


def refused(params: Any, *, user: Any, source: str, client_ip: str | None, reason: str,
            outcome: str) -> None:
    """A request refused at the edge (invalid, over budget) is still audited."""
