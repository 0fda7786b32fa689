"""Budgets: which apply to a request, and the atomic check-and-reserve.

The one entry point for the service layer is :func:`reserve`. It checks every budget that
applies to the user (their own, every group's, site-wide; each in its day or month window)
and reserves the estimated cost on all of them in one step, or raises
:class:`BudgetExceeded` and reserves nothing.

Why it is race-free (details in ``docs/ledger.md``): each (budget, window) has one counter
row, and a reservation is a single conditional statement per counter::

    UPDATE nanobanana_budgetcounter
       SET reserved_micros = reserved_micros + :x, reserved_images = reserved_images + :n
     WHERE id = :id AND reserved_micros <= :limit - :x - spent_micros
                    AND reserved_images <= :image_limit - :n - spent_images

On PostgreSQL (READ COMMITTED) a concurrent UPDATE of the same row waits for the row lock
and then re-evaluates its WHERE clause against the newly committed row, so the sum can
never pass the limit; zero affected rows means refused. Counters are created with
``INSERT ... ON CONFLICT DO NOTHING`` and always touched in the same order (budget,
subject, window), so two requests cannot deadlock. On SQLite, writers are serialised
(``transaction_mode=IMMEDIATE``) and the same statements are trivially correct.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from typing import Any
from uuid import UUID

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.db.models import BooleanField, ExpressionWrapper, F, Q, Sum
from django.utils import timezone

from ..access import real_user
from ..conf import nanobanana_settings
from ..exceptions import BudgetExceeded, ConfigurationError
from ..models import Budget, BudgetCounter, BudgetPeriod, BudgetScope, EntryKind, LedgerEntry
from ..money import budget_timezone, from_micros, to_micros

logger = logging.getLogger(__name__)

__all__ = [
    "Reservation",
    "applicable_budgets",
    "reserve",
    "sync_settings_budgets",
    "window",
    "window_counters",
]


def window(period: str, now: dt.datetime | None = None) -> tuple[dt.datetime, dt.datetime]:
    """The [start, end) of the day or month containing ``now`` in the budget time zone.

    Both are aware datetimes at local midnight (so a day across a DST change is 23 or 25
    hours long); ``end`` is when the budget resets.
    """
    tz = budget_timezone()
    local = (now or timezone.now()).astimezone(tz)
    if period == BudgetPeriod.DAY:
        first = local.date()
        following = first + dt.timedelta(days=1)
    elif period == BudgetPeriod.MONTH:
        first = local.date().replace(day=1)
        following = (first + dt.timedelta(days=32)).replace(day=1)
    else:
        raise ValueError(f"unknown budget period {period!r}")
    start = dt.datetime.combine(first, dt.time(0), tzinfo=tz)
    end = dt.datetime.combine(following, dt.time(0), tzinfo=tz)
    return start, end


def booked_by(user: Any) -> dict[str, Any]:
    """Who a ledger or audit row is for: ``user`` (None unless a real user, see
    :func:`~django_nanobanana.access.real_user`) and the ``username`` kept with it, which
    outlives the account."""
    user = real_user(user)
    return {"user": user, "username": user.get_username() if user else ""}


# -- budgets declared in settings -------------------------------------------------------------


def _settings_rows() -> dict[str, dict[str, Any]]:
    """``NANOBANANA["BUDGETS"]`` as Budget field values, by name (targets resolved)."""
    rows: dict[str, dict[str, Any]] = {}
    for entry in nanobanana_settings.BUDGETS or ():
        try:
            name = str(entry["name"])
            scope = entry.get("scope", BudgetScope.SITE)
            period = entry.get("period", BudgetPeriod.DAY)
            amount = entry.get("amount")
            images = entry.get("images")
        except (KeyError, TypeError, AttributeError) as exc:
            raise ConfigurationError(f"NANOBANANA['BUDGETS'] has an invalid entry: {exc}") from None
        if scope not in BudgetScope.values or period not in BudgetPeriod.values:
            raise ConfigurationError(
                f"NANOBANANA['BUDGETS'][{name!r}]: scope must be one of "
                f"{', '.join(BudgetScope.values)} and period one of "
                f"{', '.join(BudgetPeriod.values)}."
            )
        if amount is None and images is None:
            raise ConfigurationError(
                f"NANOBANANA['BUDGETS'][{name!r}] needs 'amount' and/or 'images'."
            )
        if isinstance(amount, float):
            raise ConfigurationError(
                f"NANOBANANA['BUDGETS'][{name!r}]: give 'amount' as a string or Decimal, "
                "not a float."
            )
        values: dict[str, Any] = {
            "name": name,
            "scope": scope,
            "period": period,
            "user_id": None,
            "group_id": None,
            "amount_limit": None
            if amount is None
            else Decimal(str(amount)).quantize(Decimal("0.000001")),
            "image_limit": None if images is None else int(images),
        }
        if scope == BudgetScope.USER and entry.get("user"):
            user_model = get_user_model()
            pk = (
                user_model._default_manager.filter(**{user_model.USERNAME_FIELD: entry["user"]})
                .values_list("pk", flat=True)
                .first()
            )
            if pk is None:
                logger.warning("budget %s: no user named %s; not applied", name, entry["user"])
                continue
            values["user_id"] = pk
        if scope == BudgetScope.GROUP:
            pk = Group.objects.filter(name=entry.get("group")).values_list("pk", flat=True).first()
            if pk is None:
                logger.warning(
                    "budget %s: no group named %s; not applied", name, entry.get("group")
                )
                continue
            values["group_id"] = pk
        rows[name] = values
    return rows


_SETTINGS_FIELDS = ("name", "scope", "period", "user_id", "group_id", "amount_limit", "image_limit")


def sync_settings_budgets() -> None:
    """Make the settings-declared Budget rows match ``NANOBANANA["BUDGETS"]``.

    :func:`applicable_budgets` does the same in the query that finds the budgets (no
    query of its own when nothing changed). Rows follow the settings: a changed limit is
    written, a removed entry is deactivated (its history stays). Safe under concurrency:
    a creation that loses a race is ignored.
    """
    _sync(
        Budget.objects.filter(settings_key__isnull=False).values(
            "pk", "settings_key", "is_active", *_SETTINGS_FIELDS
        )
    )


def _sync(rows: Any) -> bool:
    """Bring the settings-declared rows (``rows``: dicts or Budgets, those with a
    ``settings_key``) in line with the settings; True when something was written."""
    wanted = _settings_rows()
    existing = {}
    for row in rows:
        if not isinstance(row, dict):
            row = {
                f: getattr(row, f) for f in ("pk", "settings_key", "is_active", *_SETTINGS_FIELDS)
            }
        existing[row["settings_key"]] = row
    written = False
    for key, values in wanted.items():
        row = existing.get(key)
        if row is None:
            try:
                with transaction.atomic():
                    Budget.objects.create(settings_key=key, is_active=True, **values)
            except IntegrityError:
                pass  # created meanwhile by another process
            written = True
        elif not row["is_active"] or any(row[f] != values[f] for f in _SETTINGS_FIELDS):
            Budget.objects.filter(pk=row["pk"]).update(
                is_active=True, updated_at=timezone.now(), **values
            )
            written = True
    stale = [row["pk"] for key, row in existing.items() if key not in wanted and row["is_active"]]
    if stale:
        Budget.objects.filter(pk__in=stale).update(is_active=False, updated_at=timezone.now())
        written = True
    return written


def applicable_budgets(user: Any) -> list[Budget]:
    """Active budgets that apply to ``user`` (None/anonymous: the site-wide ones), by pk.

    The settings-declared rows come with them in one query and are synced first
    (:func:`sync_settings_budgets`); only a sync that wrote something reads again."""
    user = real_user(user)
    condition = Q(scope=BudgetScope.SITE)
    if user is not None:
        condition |= Q(scope=BudgetScope.USER, user=user) | Q(
            scope=BudgetScope.USER, user__isnull=True
        )
        condition |= Q(scope=BudgetScope.GROUP, group__in=user.groups.all())
    applies = condition & Q(is_active=True)
    query = (
        Budget.objects.filter(applies | Q(settings_key__isnull=False))
        .annotate(nb_applies=ExpressionWrapper(applies, output_field=BooleanField()))
        .select_related("user", "group")
        .order_by("pk")
    )
    rows = list(query)
    if _sync(row for row in rows if row.settings_key is not None):
        rows = list(query.all())
    return [row for row in rows if row.nb_applies]


def subject_of(budget: Budget, user: Any) -> str:
    """Counter subject: the user's pk for an every-user budget, else empty."""
    if budget.for_each_user:
        return str(user.pk)
    return ""


def _scope_filter(budget: Budget, subject: str) -> Q:
    if budget.scope == BudgetScope.SITE:
        return Q()
    if budget.scope == BudgetScope.GROUP:
        return Q(user__groups=budget.group_id)
    return Q(user_id=budget.user_id or subject)


def settled_in(
    budget: Budget, subject: str, start: dt.datetime, end: dt.datetime
) -> tuple[int, int]:
    """Money (micros) and images already settled in a window: a budget added mid-month
    starts from what was really spent, not from zero."""
    totals = LedgerEntry.objects.filter(
        _scope_filter(budget, subject),
        kind__in=(EntryKind.SETTLE, EntryKind.LATE_CHARGE),
        occurred_at__gte=start,
        occurred_at__lt=end,
    ).aggregate(amount=Sum("amount"), images=Sum("images"))
    return to_micros(totals["amount"] or Decimal(0)), int(totals["images"] or 0)


def counters_for(
    budgets: Sequence[Budget], user: Any, now: dt.datetime, *, create: bool = True
) -> list[tuple[Budget, BudgetCounter | None, dt.datetime, dt.datetime, str]]:
    """(budget, counter, start, end, subject) of each budget's current window, in lock order.

    With ``create`` missing counters are inserted (``ON CONFLICT DO NOTHING``), seeded
    from the ledger.
    """
    keyed = []
    for budget in budgets:
        start, end = window(budget.period, now)
        keyed.append((budget, subject_of(budget, user), start, end))
    keyed.sort(key=lambda item: (item[0].pk, item[1], item[2]))
    out = []
    for budget, subject, start, end in keyed:
        lookup = {"budget": budget, "subject": subject, "window_start": start}
        counter = BudgetCounter.objects.filter(**lookup).first()
        if counter is None and create:
            spent, images = settled_in(budget, subject, start, end)
            BudgetCounter.objects.bulk_create(
                [BudgetCounter(window_end=end, spent_micros=spent, spent_images=images, **lookup)],
                ignore_conflicts=True,
            )
            counter = BudgetCounter.objects.get(**lookup)
        out.append((budget, counter, start, end, subject))
    return out


def window_counters(
    budget: Budget, now: dt.datetime | None = None
) -> tuple[list[BudgetCounter], dt.datetime, dt.datetime]:
    """The counters of ``budget``'s current window as the next reservation will see them,
    for screens (read-only: nothing is written).

    A counter not created yet (a budget added mid-window, or one whose only reservations
    were refused, which rolls its counter back) is shown as :func:`counters_for` would
    seed it: from what the ledger settled in the window. Every-user budgets get one
    counter per user with a counter or settled spend in the window (``subject`` = pk).
    Returns ``(counters, start, end)``; unsaved counters have no ``pk``.
    """
    start, end = window(budget.period, now)
    counters = list(budget.counters.filter(window_start=start).order_by("subject"))
    if budget.for_each_user:
        have = {c.subject for c in counters}
        settled = (
            LedgerEntry.objects.filter(
                kind=EntryKind.SETTLE,
                user__isnull=False,
                occurred_at__gte=start,
                occurred_at__lt=end,
            )
            .values("user_id")
            .annotate(amount=Sum("amount"), images=Sum("images"))
            .order_by("user_id")
        )
        for row in settled:
            if str(row["user_id"]) not in have:
                counters.append(
                    BudgetCounter(
                        budget=budget,
                        subject=str(row["user_id"]),
                        window_start=start,
                        window_end=end,
                        spent_micros=to_micros(row["amount"] or Decimal(0)),
                        spent_images=int(row["images"] or 0),
                    )
                )
    elif not counters:
        spent, images = settled_in(budget, "", start, end)
        counters = [
            BudgetCounter(
                budget=budget,
                subject="",
                window_start=start,
                window_end=end,
                spent_micros=spent,
                spent_images=images,
            )
        ]
    return counters, start, end


# -- reservation -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Reservation:
    """What :func:`reserve` held: ``created`` is False when the version already had one."""

    version_id: UUID
    amount: Decimal
    images: int
    counter_ids: tuple[int, ...]
    budgets: tuple[Budget, ...] = field(default=())
    created: bool = True


def reserve(
    *,
    version_id: UUID,
    user: Any,
    amount: Decimal,
    images: int = 1,
    source: str = "",
    model: str = "",
    asset_id: UUID | None = None,
    now: dt.datetime | None = None,
) -> Reservation:
    """Check every applicable budget and reserve ``amount`` and ``images`` on all of them.

    Call it inside the ``transaction.atomic()`` block that creates the version: the
    reservation commits with the version, and a refusal (the exception propagating out of
    the block) rolls the version back. It runs in its own savepoint, so even a caller that
    catches :class:`BudgetExceeded` inside its block keeps no partial reservation.

    Always writes a ``reserve`` ledger entry (also when no budget applies), which
    :func:`~django_nanobanana.ledger.settle` / :func:`~django_nanobanana.ledger.refund`
    close. Calling it again for the same version reserves nothing more and returns the
    existing reservation with ``created=False``.

    Raises :class:`BudgetExceeded` (nothing reserved), :class:`TypeError` for a float
    amount, :class:`ValueError` for a negative amount or image count.
    """
    micros = to_micros(amount, rounding=ROUND_CEILING)
    if micros < 0 or images < 0:
        raise ValueError("a reservation cannot be negative")
    now = now or timezone.now()
    user = real_user(user)
    # One savepoint: a refusal (or a second reservation of the version) undoes it all.
    try:
        with transaction.atomic():
            entry = LedgerEntry.objects.create(
                kind=EntryKind.RESERVE,
                version_id=version_id,
                asset_id=asset_id,
                **booked_by(user),
                source=source,
                model=model,
                amount=from_micros(micros),
                images=images,
                occurred_at=now,
            )
            held = counters_for(applicable_budgets(user), user, now)
            for budget, counter, _start, end, _subject in held:
                assert counter is not None
                rows = BudgetCounter.objects.filter(pk=counter.pk)
                if budget.amount_limit is not None:
                    limit = to_micros(budget.amount_limit)
                    rows = rows.filter(reserved_micros__lte=limit - micros - F("spent_micros"))
                if budget.image_limit is not None:
                    rows = rows.filter(
                        reserved_images__lte=budget.image_limit - images - F("spent_images")
                    )
                if not rows.update(
                    reserved_micros=F("reserved_micros") + micros,
                    reserved_images=F("reserved_images") + images,
                ):
                    raise _refusal(budget, counter.pk, micros, images, end, user)
            entry.counters = [counter.pk for _b, counter, *_rest in held if counter is not None]
            if entry.counters:  # the row was written with none
                LedgerEntry.objects.filter(pk=entry.pk).update(counters=entry.counters)
    except IntegrityError:
        existing = LedgerEntry.objects.filter(version_id=version_id, kind=EntryKind.RESERVE).first()
        if existing is None:  # not the version's reservation: someone else's conflict
            raise
        return Reservation(
            version_id=version_id,
            amount=existing.amount,
            images=existing.images,
            counter_ids=tuple(existing.counters),
            created=False,
        )
    return Reservation(
        version_id=version_id,
        amount=entry.amount,
        images=images,
        counter_ids=tuple(entry.counters),
        budgets=tuple(b for b, *_rest in held),
    )


def _refusal(
    budget: Budget, counter_id: int, micros: int, images: int, resets_at: dt.datetime, user: Any
) -> BudgetExceeded:
    counter = BudgetCounter.objects.get(pk=counter_id)
    subject_name = user.get_username() if user is not None else ""
    used = counter.spent_micros + counter.reserved_micros
    if budget.amount_limit is not None and used + micros > to_micros(budget.amount_limit):
        return BudgetExceeded(
            budget=budget,
            unit="USD",
            limit=budget.amount_limit,
            remaining=from_micros(max(0, to_micros(budget.amount_limit) - used)),
            requested=from_micros(micros),
            resets_at=resets_at,
            subject_name=subject_name,
        )
    used_images = counter.spent_images + counter.reserved_images
    return BudgetExceeded(
        budget=budget,
        unit="images",
        limit=budget.image_limit or 0,
        remaining=max(0, (budget.image_limit or 0) - used_images),
        requested=images,
        resets_at=resets_at,
        subject_name=subject_name,
    )


def release(
    counter_ids: Sequence[int],
    *,
    reserved_micros: int,
    reserved_images: int,
    spent_micros: int = 0,
    spent_images: int = 0,
) -> None:
    """Move a reservation off the counters and book what was spent (settle/refund), in
    the same lock order as :func:`reserve`. Must run inside a transaction."""
    if not counter_ids:
        return
    ordered = list(
        BudgetCounter.objects.filter(pk__in=counter_ids)
        .order_by("budget_id", "subject", "window_start")
        .values_list("pk", flat=True)
    )
    for pk in ordered:
        BudgetCounter.objects.filter(pk=pk).update(
            reserved_micros=F("reserved_micros") - reserved_micros,
            reserved_images=F("reserved_images") - reserved_images,
            spent_micros=F("spent_micros") + spent_micros,
            spent_images=F("spent_images") + spent_images,
        )
