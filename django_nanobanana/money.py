"""Money values and the budget clock: the primitives below the ledger.

Money is ``Decimal`` everywhere, never a float. Budget counters keep it as whole
micro-dollars (integers are exact on every database). Budget days and months are local to
``BUDGET_TIME_ZONE``.

This module imports no model and nothing of :mod:`django_nanobanana.ledger`, so that
:mod:`django_nanobanana.exceptions` (a budget refusal's message) and the models can use it;
the ledger package re-exports these names.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.conf import settings

from .conf import nanobanana_settings

__all__ = ["MICROS", "budget_timezone", "format_money", "from_micros", "to_micros"]

#: Micro-dollars per dollar.
MICROS = Decimal(1_000_000)


def to_micros(amount: Decimal | int, *, rounding: str = ROUND_HALF_UP) -> int:
    """Whole micro-dollars of an amount. Floats are refused: money is never a float."""
    if isinstance(amount, float) or not isinstance(amount, (Decimal, int)):
        raise TypeError(f"money must be a Decimal, not {type(amount).__name__}")
    return int((Decimal(amount) * MICROS).to_integral_value(rounding=rounding))


def from_micros(micros: int) -> Decimal:
    return (Decimal(micros) / MICROS).quantize(Decimal("0.000001"))


def format_money(amount: Decimal) -> str:
    """``$1.00``, ``$0.039``: two decimals, more only when the amount needs them."""
    amount = Decimal(amount)
    shown = amount.quantize(Decimal("0.01"))
    if shown != amount:
        shown = amount.quantize(Decimal("0.000001")).normalize()
        if shown.as_tuple().exponent > -2:  # e.g. 1E+1 after normalize
            shown = shown.quantize(Decimal("0.01"))
    return f"${shown:f}"


def budget_timezone() -> ZoneInfo:
    """``BUDGET_TIME_ZONE``, else Django's ``TIME_ZONE``, else UTC."""
    name = nanobanana_settings.BUDGET_TIME_ZONE or getattr(settings, "TIME_ZONE", None) or "UTC"
    return ZoneInfo(name)
