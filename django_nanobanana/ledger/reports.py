"""Usage reports: one set of queries for ``nanobanana_usage``, the REST endpoint and the
admin dashboard.

Where the numbers come from:

* requests, outcomes and token counts: the audit trail plus the totals the pruning
  command folded old audit rows into (:class:`UsageTotal`), so pruning changes no total;
* money and images: the ledger (settled cost, images, cache hits and the cost they
  avoided), which is never pruned.

Days are local dates in the budget time zone (``BUDGET_TIME_ZONE``).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import (
    AuditRecord,
    Budget,
    BudgetCounter,
    BudgetPeriod,
    BudgetScope,
    EntryKind,
    LedgerEntry,
    Outcome,
    UsageTotal,
)
from ..models.ledger import TOKEN_FIELDS
from ..money import budget_timezone, from_micros
from .budgets import (
    applicable_budgets,
    booked_by,
    counters_for,
    settled_in,
    sync_settings_budgets,
    window,
    window_counters,
)

__all__ = [
    "GROUPS",
    "METRICS",
    "budget_status",
    "csv_cell",
    "dashboard",
    "site_budget_status",
    "to_json",
    "usage",
    "visible_usage",
    "write_csv",
]

#: What rows can be grouped by, and the column each maps to.
GROUPS = {"user": "username", "model": "model", "source": "source", "day": "day"}
#: The measures of every row, in display order.
METRICS = (
    "requests",
    "succeeded",
    "refused",
    "images",
    "cached",
    "cost",
    "avoided_cost",
    *TOKEN_FIELDS,
)
TOKENS = TOKEN_FIELDS
SUCCEEDED = (Outcome.SUCCEEDED, Outcome.CACHED)
REFUSED = (Outcome.REFUSED, Outcome.INVALID)


#: Report days outside this range are refused (the window ends a day later, in any time
#: zone, and must stay a valid datetime).
FIRST_DAY = dt.date(1970, 1, 1)
LAST_DAY = dt.date(9998, 12, 31)


def check_day(day: dt.date) -> dt.date:
    """``day`` if a report may start or end on it, else ValueError with a clear message."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(
            _("Dates must be between %(first)s and %(last)s.")
            % {"first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()}
        )
    return day


def _bounds(since: dt.date | None, until: dt.date | None) -> tuple[dt.datetime | None, ...]:
    for day in (since, until):
        if day is not None:
            check_day(day)
    tz = budget_timezone()
    start = dt.datetime.combine(since, dt.time(0), tzinfo=tz) if since else None
    end = (
        dt.datetime.combine(until + dt.timedelta(days=1), dt.time(0), tzinfo=tz) if until else None
    )
    return start, end


def _user_filter(user: Any, field: str = "user") -> Q:
    if user is None:
        return Q()
    if isinstance(user, str):
        return Q(username=user)
    return Q(**{field: user})


def _between(queryset: QuerySet, field: str, first: Any, last: Any, *, end: str = "lt") -> QuerySet:
    """``queryset`` with ``field`` from ``first`` (inclusive) to ``last`` (``end="lt"``:
    exclusive, ``"lte"``: inclusive); either may be None (open)."""
    if first is not None:
        queryset = queryset.filter(**{f"{field}__gte": first})
    if last is not None:
        queryset = queryset.filter(**{f"{field}__{end}": last})
    return queryset


def _empty() -> dict[str, Any]:
    row: dict[str, Any] = {name: 0 for name in METRICS}
    row["cost"] = Decimal("0.000000")
    row["avoided_cost"] = Decimal("0.000000")
    return row


def usage(
    *,
    user: Any = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    group_by: Sequence[str] = ("user",),
    model: str | None = None,
    source: str | None = None,
) -> list[dict[str, Any]]:
    """Usage rows grouped by any of ``user``, ``model``, ``source``, ``day``.

    ``user``: a user object or a username (None: everyone); ``since``/``until``: local
    dates, inclusive. Each row holds the group keys (``user`` is the username at the time,
    ``day`` a date) and :data:`METRICS`: ``requests`` (all, refused included),
    ``succeeded``, ``refused`` (budget or validation), ``images`` (billed), ``cached``
    (cache hits), ``cost`` and ``avoided_cost`` (Decimal USD) and token counts by modality.
    Sorted by the group keys; ``group_by=()`` gives one total row.
    """
    unknown = set(group_by) - set(GROUPS)
    if unknown:
        raise ValueError(f"cannot group by {', '.join(sorted(unknown))}; use {', '.join(GROUPS)}")
    tz = budget_timezone()
    start, end = _bounds(since, until)
    columns = [GROUPS[g] for g in group_by]
    extra = Q()
    if model:
        extra &= Q(model=model)
    if source:
        extra &= Q(source=source)
    rows: dict[tuple, dict[str, Any]] = {}

    def add(values: Iterable[dict[str, Any]]) -> None:
        for value in values:
            key = tuple(value.get(c) or ("" if c != "day" else None) for c in columns)
            row = rows.setdefault(key, _empty())
            if "billed_images" in value:  # named apart from the ledger's own field
                value["images"] = value.pop("billed_images")
            for name in METRICS:
                if value.get(name) is not None:
                    row[name] += value[name]

    def grouped(queryset: QuerySet, **measures: Any) -> Iterable[dict[str, Any]]:
        if not columns:  # one total: values() without fields would mean every field
            return [queryset.aggregate(**measures)]
        return queryset.values(*columns).annotate(**measures).order_by()

    # Audit rows still present.
    audit = _between(
        AuditRecord.objects.filter(_user_filter(user), extra), "created_at", start, end
    )
    add(
        grouped(
            audit.annotate(day=TruncDate("created_at", tzinfo=tz)),
            requests=Count("id"),
            succeeded=Count("id", filter=Q(outcome__in=SUCCEEDED)),
            refused=Count("id", filter=Q(outcome__in=REFUSED)),
            **{name: Sum(name) for name in TOKENS},
        )
    )
    # Folded (pruned) audit rows.
    totals = _between(
        UsageTotal.objects.filter(_user_filter(user), extra), "day", since, until, end="lte"
    )
    add(
        grouped(
            totals, **{name: Sum(name) for name in ("requests", "succeeded", "refused", *TOKENS)}
        )
    )
    # Money, from the ledger.
    money = _between(
        LedgerEntry.objects.filter(
            _user_filter(user),
            extra,
            kind__in=(EntryKind.SETTLE, EntryKind.LATE_CHARGE, EntryKind.CACHE_HIT),
        ),
        "occurred_at",
        start,
        end,
    )
    settled = Q(kind=EntryKind.SETTLE)
    add(
        grouped(
            money.annotate(day=TruncDate("occurred_at", tzinfo=tz)),
            billed_images=Sum("images", filter=settled),
            cached=Count("id", filter=Q(kind=EntryKind.CACHE_HIT)),
            cost=Sum("amount", filter=Q(kind__in=(EntryKind.SETTLE, EntryKind.LATE_CHARGE))),
            avoided_cost=Sum("avoided"),
        )
    )
    out = []
    for key in sorted(rows, key=lambda k: tuple((v is None, v or "") for v in k)):
        row = dict(zip(group_by, key, strict=True))
        for name, value in rows[key].items():
            row[name] = value.quantize(Decimal("0.000001")) if isinstance(value, Decimal) else value
        out.append(row)
    if not group_by and not out:
        out.append(_empty())
    return out


def to_json(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with Decimals and dates as strings (never floats), for JSON and CSV."""

    def convert(value: Any) -> Any:
        if isinstance(value, Decimal):
            return f"{value:f}"
        if isinstance(value, (dt.date, dt.datetime)):
            return value.isoformat()
        return value

    return [{k: convert(v) for k, v in row.items()} for row in rows]


#: First characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet shows as text: a leading ``'`` before a formula start."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def write_csv(stream: Any, rows: Iterable[dict[str, Any]], fieldnames: Sequence[str]) -> None:
    """Every CSV export: a header, then ``rows`` with each cell passed through
    :func:`csv_cell` (model ids and usernames can be chosen by whoever sent a request)."""
    writer = csv.DictWriter(
        stream, fieldnames=list(fieldnames), extrasaction="ignore", lineterminator="\n"
    )
    writer.writeheader()
    for row in rows:
        writer.writerow({key: csv_cell(value) for key, value in row.items()})


def can_view_all(viewer: Any) -> bool:
    return bool(
        getattr(viewer, "is_active", False)
        and getattr(viewer, "is_staff", False)
        and viewer.has_perm("nanobanana.view_usage")
    )


def visible_usage(viewer: Any, *, user: Any = None, **filters: Any) -> list[dict[str, Any]]:
    """:func:`usage` as ``viewer`` may see it (the REST endpoint's query).

    Staff with ``nanobanana.view_usage`` see everyone (or the ``user`` they name); anybody
    else sees their own usage only, and naming another user raises PermissionDenied.
    """
    if not getattr(viewer, "is_authenticated", False):
        raise PermissionDenied
    if can_view_all(viewer):
        return usage(user=user, **filters)
    if user is not None and user != viewer and user != viewer.get_username():
        raise PermissionDenied
    return usage(user=viewer, **filters)


def _status_row(
    budget: Any,
    counter: BudgetCounter | None,
    start: dt.datetime,
    end: dt.datetime,
    subject_name: str,
) -> dict[str, Any]:
    spent = from_micros(counter.spent_micros) if counter else Decimal("0.000000")
    reserved = from_micros(counter.reserved_micros) if counter else Decimal("0.000000")
    spent_images = counter.spent_images if counter else 0
    reserved_images = counter.reserved_images if counter else 0
    limit = budget.amount_limit
    return {
        "budget": budget,
        "name": budget.name,
        "scope": budget.scope,
        "period": budget.period,
        "who": subject_name or budget.describe(),
        "amount_limit": limit,
        "spent": spent,
        "reserved": reserved,
        "left": None if limit is None else max(Decimal(0), limit - spent - reserved),
        "image_limit": budget.image_limit,
        "spent_images": spent_images,
        "reserved_images": reserved_images,
        "images_left": None
        if budget.image_limit is None
        else max(0, budget.image_limit - spent_images - reserved_images),
        "window_start": start,
        "resets_at": end,
    }


def budget_status(
    user: Any, *, now: dt.datetime | None = None, own_only: bool = False
) -> list[dict[str, Any]]:
    """Every budget that applies to ``user`` in its current window: limits, ``spent``,
    ``reserved``, ``left`` (money as Decimal, None when there is no such limit),
    the image equivalents, and ``resets_at``. Read-only (creates no counter).

    ``own_only``: only the user's own budgets (scope ``user``), leaving out group and
    site budgets whose figures are other people's spending too (what a user who may not
    see everyone's usage is shown)."""
    now = now or timezone.now()
    name = booked_by(user)["username"]
    budgets = applicable_budgets(user)
    if own_only:
        budgets = [b for b in budgets if b.scope == BudgetScope.USER]
    rows = []
    for budget, counter, start, end, subject in counters_for(budgets, user, now, create=False):
        if counter is None:
            # a budget not used yet in this window
            spent, images = settled_in(budget, subject, start, end)
            counter = BudgetCounter(spent_micros=spent, spent_images=images)
        rows.append(_status_row(budget, counter, start, end, name if subject else ""))
    return rows


def site_budget_status(*, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Current windows of every active budget (every-user budgets: one row per user that
    used it in this window), for the dashboard. Sorted with the fullest first."""
    sync_settings_budgets()
    now = now or timezone.now()
    rows = []
    user_model = get_user_model()
    names = {
        str(pk): name
        for pk, name in user_model._default_manager.values_list("pk", user_model.USERNAME_FIELD)
    }
    for budget in Budget.objects.filter(is_active=True).select_related("user", "group"):
        # The same figures the next reservation is checked against (a counter not created
        # yet is seeded from the ledger, as the reservation would seed it).
        counters, start, end = window_counters(budget, now)
        for counter in counters:
            who = names.get(counter.subject, counter.subject) if counter.subject else ""
            rows.append(_status_row(budget, counter, start, end, who))

    def fullness(row: dict[str, Any]) -> Decimal:
        shares = []
        if row["amount_limit"]:
            shares.append((row["spent"] + row["reserved"]) / row["amount_limit"])
        if row["image_limit"]:
            used = row["spent_images"] + row["reserved_images"]
            shares.append(Decimal(used) / row["image_limit"])
        return max(shares, default=Decimal(0))

    rows.sort(key=fullness, reverse=True)
    return rows


def dashboard(*, now: dt.datetime | None = None, days: int = 30) -> dict[str, Any]:
    """What the admin usage dashboard shows: totals for today and this month, this
    month by model and by source, the top users this month, a per-day series for the last
    ``days`` days, and every budget's current window."""
    now = now or timezone.now()
    today = now.astimezone(budget_timezone()).date()
    month_start = window(BudgetPeriod.MONTH, now)[0].date()
    by_user = usage(since=month_start, until=today, group_by=("user",))
    by_user.sort(key=lambda r: r["cost"], reverse=True)
    return {
        "today": usage(since=today, until=today, group_by=())[0],
        "month": usage(since=month_start, until=today, group_by=())[0],
        "by_model": usage(since=month_start, until=today, group_by=("model",)),
        "by_source": usage(since=month_start, until=today, group_by=("source",)),
        "top_users": by_user[:10],
        "by_day": usage(since=today - dt.timedelta(days=days - 1), until=today, group_by=("day",)),
        "budgets": site_budget_status(now=now),
    }


def queryset_for_viewer(viewer: Any) -> QuerySet[AuditRecord]:
    """Audit rows ``viewer`` may list: all with ``nanobanana.view_usage``, else their own."""
    if can_view_all(viewer):
        return AuditRecord.objects.all()
    return AuditRecord.objects.filter(user=viewer)
