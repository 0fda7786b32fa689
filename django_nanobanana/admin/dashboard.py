"""What the usage dashboard shows. The numbers come from :mod:`django_nanobanana.reports`
(no aggregation here); this module only shapes them for the template and the charts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from .. import reports
from ..budgets import budget_timezone
from ..models import AssetVersion, State
from ..models.ledger import AuditRecord, Outcome

RECENT_LIMIT = 15
#: Columns of the CSV export, grouped by any of these.
CSV_GROUPS = ("day", "user", "model", "source")


def _number(value: Any) -> str:
    return f"{value:f}" if isinstance(value, Decimal) else str(value or 0)


def chart_data(data: dict[str, Any]) -> dict[str, Any]:
    """Labels and values (money as strings, never floats) of the three charts."""
    by_day = data["by_day"]
    return {
        "day": {
            "labels": [row["day"].isoformat() if row.get("day") else "" for row in by_day],
            "cost": [_number(row["cost"]) for row in by_day],
            "images": [row["images"] for row in by_day],
            "label_cost": _("Spend (USD)"),
            "label_images": _("Images"),
        },
        "user": {
            "labels": [row["user"] or _("(no user)") for row in data["top_users"]],
            "cost": [_number(row["cost"]) for row in data["top_users"]],
            "label_cost": _("Spend this month (USD)"),
        },
        "model": {
            "labels": [row["model"] or _("(unknown)") for row in data["by_model"]],
            "cost": [_number(row["cost"]) for row in data["by_model"]],
            "label_cost": _("Spend this month (USD)"),
        },
    }


def recent_failures(limit: int = RECENT_LIMIT) -> list[AssetVersion]:
    """The latest generations that ended failed or blocked, with their reasons."""
    return list(
        AssetVersion.objects.filter(state__in=(State.FAILED, State.BLOCKED))
        .select_related("asset", "created_by")
        .only("id", "state", "error_code", "error", "model", "prompt", "finished_at",
              "created_at", "asset__id", "asset__title", "created_by__username")
        .order_by("-created_at")[:limit]
    )


def recent_refusals(limit: int = RECENT_LIMIT) -> list[AuditRecord]:
    """The latest requests refused before anything was spent (budget, invalid input)."""
    return list(
        AuditRecord.objects.filter(outcome__in=(Outcome.REFUSED, Outcome.INVALID,
                                                Outcome.BLOCKED))
        .order_by("-created_at")[:limit]
    )


def dashboard_context(*, days: int = 30) -> dict[str, Any]:
    data = reports.dashboard(days=days)
    today = timezone.now().astimezone(budget_timezone()).date()
    return {
        "report": data,
        "charts": chart_data(data),
        "failures": recent_failures(),
        "refusals": recent_refusals(),
        "days": days,
        "csv_since": (today - dt.timedelta(days=days - 1)).isoformat(),
        "csv_until": today.isoformat(),
    }
