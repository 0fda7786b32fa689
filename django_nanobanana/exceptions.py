"""The app's own errors: raised at the edge, before anything is spent."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from .money import budget_timezone, format_money


class NanobananaError(Exception):
    """Base class of the app's own errors."""


class RequestValidationError(NanobananaError):
    """A request that cannot be sent as it is: every bad field with readable messages."""

    def __init__(self, field_errors: dict[str, list[Any]]):
        self.field_errors = {k: [str(m) for m in v] for k, v in field_errors.items()}
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return " ".join(m for msgs in self.field_errors.values() for m in msgs)


class ConfigurationError(NanobananaError):
    """The site's configuration does not allow the request (no key, unknown provider)."""


class IdempotencyConflict(NanobananaError):
    """An idempotency key was reused for a different request."""


class StateConflict(NanobananaError):
    """The object is not in a state that allows the operation (e.g. cancel a finished version)."""


class BudgetExceeded(NanobananaError):
    """A request that would pass a budget. Nothing was reserved.

    ``budget`` (the :class:`~django_nanobanana.models.Budget`: ``scope``, ``name``,
    ``period``), ``unit`` ("USD" or "images"), ``limit``, ``remaining`` (Decimal for USD,
    int for images), ``requested``, ``resets_at`` (aware datetime, the next window
    boundary) and ``message`` (translated). Raised by
    :func:`django_nanobanana.ledger.reserve`.
    """

    def __init__(
        self,
        *,
        budget: Any,
        unit: str,
        limit: Decimal | int,
        remaining: Decimal | int,
        requested: Decimal | int,
        resets_at: dt.datetime,
        subject_name: str = "",
    ) -> None:
        self.budget = budget
        self.unit = unit
        self.limit = limit
        self.remaining = remaining
        self.requested = requested
        self.resets_at = resets_at
        self.subject_name = subject_name
        super().__init__(self.message)

    @property
    def who(self) -> str:
        if self.budget.for_each_user:
            return _("user %(name)s") % {"name": self.subject_name}
        return self.budget.describe()

    @property
    def message(self) -> str:
        local = self.resets_at.astimezone(budget_timezone())
        resets = local.strftime("%Y-%m-%d %H:%M ") + (local.tzname() or "")
        daily = self.budget.is_daily
        if self.unit == "images":
            template = (
                _(
                    "Over the daily image budget for %(who)s: limit %(limit)s images, "
                    "%(left)s left, resets at %(resets)s."
                )
                if daily
                else _(
                    "Over the monthly image budget for %(who)s: limit %(limit)s images, "
                    "%(left)s left, resets at %(resets)s."
                )
            )
            values = {"limit": self.limit, "left": self.remaining}
        else:
            template = (
                _(
                    "Over the daily budget for %(who)s: limit %(limit)s, %(left)s left, "
                    "resets at %(resets)s."
                )
                if daily
                else _(
                    "Over the monthly budget for %(who)s: limit %(limit)s, %(left)s left, "
                    "resets at %(resets)s."
                )
            )
            values = {"limit": format_money(self.limit), "left": format_money(self.remaining)}
        return template % {"who": self.who, "resets": resets.strip(), **values}

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (Decimals as strings) for the REST API."""
        return {
            "budget": {
                "id": self.budget.pk,
                "name": self.budget.name,
                "scope": self.budget.scope,
                "period": self.budget.period,
            },
            "unit": self.unit,
            "limit": str(self.limit),
            "remaining": str(self.remaining),
            "requested": str(self.requested),
            "resets_at": self.resets_at.isoformat(),
            "message": self.message,
        }


class BatchValidationError(NanobananaError):
    """Every bad line of a batch file: ``errors`` is a list of (line, message)."""

    def __init__(self, errors: list[tuple[int, str]]):
        self.errors = errors
        super().__init__("; ".join(f"line {n}: {m}" for n, m in errors))
