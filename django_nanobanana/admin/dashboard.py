"""What the usage dashboard shows. The numbers come from :mod:`django_nanobanana.ledger.reports`
(no aggregation here); this module only shapes them for the template and the charts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from ..ledger import budget_timezone, reports
from ..models import AssetVersion, State
from ..models.ledger import AuditRecord, Outcome

RECENT_LIMIT = 15
#: Columns of the CSV export, grouped by any of these.
CSV_GROUPS = ("day", "user", "model", "source")


def _number(value: Any) -> str:
    return f"{value:f}" if isinstance(value, Decimal) else str(value or 0)


def chart_data(
    data: dict[str, Any], *, days: int | None = None, today: dt.date | None = None
) -> dict[str, Any]:
    """Labels and values (money as strings, never floats) of the three charts.

    The per-day series has one bar per day of the last ``days`` days ending ``today``
    (days without use are zero, so the axis is time, not "days that had data"); the
    per-model and per-user charts list only what spent something.
    """
    by_day = {row["day"]: row for row in data["by_day"] if row.get("day")}
    if days and today:
        calendar = [today - dt.timedelta(days=n) for n in range(days - 1, -1, -1)]
    else:
        calendar = sorted(by_day)
    zero = {"cost": Decimal(0), "images": 0}
    spenders = [row for row in data["top_users"] if row["cost"]]
    models = [row for row in data["by_model"] if row["cost"]]
    return {
        "day": {
            "labels": [day.isoformat() for day in calendar],
            "cost": [_number(by_day.get(day, zero)["cost"]) for day in calendar],
            "images": [by_day.get(day, zero)["images"] for day in calendar],
            "label_cost": _("Spend (USD)"),
            "label_images": _("Images"),
        },
        "user": {
            "labels": [row["user"] or _("(no user)") for row in spenders],
            "cost": [_number(row["cost"]) for row in spenders],
            "label_cost": _("Spend this month (USD)"),
        },
        "model": {
            "labels": [row["model"] or _("(unknown)") for row in models],
            "cost": [_number(row["cost"]) for row in models],
            "label_cost": _("Spend this month (USD)"),
        },
    }


def recent_failures(limit: int = RECENT_LIMIT) -> list[AssetVersion]:
    """The latest generations that ended failed or blocked, with their reasons."""
    return list(
        AssetVersion.objects.filter(state__in=(State.FAILED, State.BLOCKED))
        .select_related("asset", "created_by")
        .only(
            "id",
            "state",
            "error_code",
            "error",
            "model",
            "prompt",
            "finished_at",
            "created_at",
            "asset__id",
            "asset__title",
            "created_by__username",
        )
        .order_by("-created_at")[:limit]
    )


def recent_refusals(limit: int = RECENT_LIMIT) -> list[AuditRecord]:
    """The latest requests refused before anything was spent (budget, invalid input)."""
    return list(
        AuditRecord.objects.filter(
            outcome__in=(Outcome.REFUSED, Outcome.INVALID, Outcome.BLOCKED)
        ).order_by("-created_at")[:limit]
    )


def dashboard_context(*, days: int = 30) -> dict[str, Any]:
    data = reports.dashboard(days=days)
    today = timezone.now().astimezone(budget_timezone()).date()
    return {
        "report": data,
        "charts": chart_data(data, days=days, today=today),
        "failures": recent_failures(),
        "refusals": recent_refusals(),
        "days": days,
        "csv_since": (today - dt.timedelta(days=days - 1)).isoformat(),
        "csv_until": today.isoformat(),
    }
