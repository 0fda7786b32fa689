"""Budgets: atomic check-and-reserve, windows, scopes, refusal messages (SQLite, sequential)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import override_settings

from django_nanobanana import ledger
from django_nanobanana.models import Budget, BudgetCounter, EntryKind, LedgerEntry
from tests.helpers import UTC, make_budget, try_reserve

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 21, 15, 0, tzinfo=UTC)


def counter(budget: Budget) -> BudgetCounter:
    return BudgetCounter.objects.get(budget=budget)


def test_fifty_requests_against_a_budget_of_ten_give_ten_reservations(alice):
    budget = make_budget(scope="site", amount_limit=Decimal("1.00"))
    results = [try_reserve(alice, "0.10", now=NOW) for _ in range(50)]
    granted = [r for r in results if isinstance(r, ledger.Reservation)]
    refused = [r for r in results if isinstance(r, ledger.BudgetExceeded)]
    assert len(granted) == 10
    assert len(refused) == 40
    assert all(r.budget == budget and r.remaining == Decimal(0) for r in refused)
    c = counter(budget)
    assert c.reserved == Decimal("1.00") and c.spent == 0
    assert c.reserved_images == 10
    assert LedgerEntry.objects.filter(kind=EntryKind.RESERVE).count() == 10


def test_image_limit_counts_images(alice):
    budget = make_budget(scope="site", image_limit=3)
    results = [try_reserve(alice, "0.05", images=1, now=NOW) for _ in range(5)]
    assert sum(isinstance(r, ledger.Reservation) for r in results) == 3
    exc = results[-1]
    assert exc.unit == "images" and exc.limit == 3 and exc.remaining == 0
    assert "limit 3 images, 0 left" in exc.message
    assert counter(budget).reserved_images == 3


def test_refusal_names_budget_limit_what_is_left_and_reset(alice):
    budget = make_budget(scope="user", user=alice, amount_limit=Decimal("1.00"), name="alice")
    assert isinstance(try_reserve(alice, "0.88", now=NOW), ledger.Reservation)
    exc = try_reserve(alice, "0.13", now=NOW)
    assert isinstance(exc, ledger.BudgetExceeded)
    assert exc.budget == budget
    assert exc.limit == Decimal("1.00")
    assert exc.remaining == Decimal("0.12")
    assert exc.resets_at == dt.datetime(2026, 11, 22, tzinfo=UTC)
    assert exc.message == (
        "Over the daily budget for user alice: limit $1.00, $0.12 left, "
        "resets at 2026-11-22 00:00 UTC."
    )
    data = exc.as_dict()
    assert data["limit"] == "1.000000" and data["remaining"] == "0.120000"
    assert data["budget"]["scope"] == "user"
    # Exactly what is left still fits.
    assert isinstance(try_reserve(alice, "0.12", now=NOW), ledger.Reservation)


def test_refused_request_keeps_no_partial_reservation_even_if_caught_inside(alice, editors):
    site = make_budget(scope="site", amount_limit=Decimal("10"))
    group = make_budget(scope="group", group=editors, amount_limit=Decimal("0.05"))
    assert site.pk < group.pk  # the site counter is reserved first, then the group refuses
    with transaction.atomic():
        with pytest.raises(ledger.BudgetExceeded) as info:
            ledger.reserve(
                version_id=uuid.uuid4(), user=alice, amount=Decimal("0.10"), source="api", now=NOW
            )
        # the caller swallowed the refusal inside its own block: still nothing reserved
    assert info.value.budget == group
    assert "group editors" in info.value.message
    assert not BudgetCounter.objects.filter(reserved_micros__gt=0).exists()
    assert not LedgerEntry.objects.exists()


def test_group_and_site_budgets_apply_to_members_and_everyone(alice, bob, editors):
    carol = User.objects.create_user("carol")
    group = make_budget(scope="group", group=editors, image_limit=2, period="month")
    site = make_budget(scope="site", image_limit=3)
    assert isinstance(try_reserve(alice, "0.01", now=NOW), ledger.Reservation)
    assert isinstance(try_reserve(bob, "0.01", now=NOW), ledger.Reservation)
    exc = try_reserve(alice, "0.01", now=NOW)  # the group's two images are used
    assert exc.budget == group
    assert exc.message.startswith("Over the monthly image budget for group editors")
    assert "resets at 2026-12-01 00:00 UTC" in exc.message
    assert isinstance(try_reserve(carol, "0.01", now=NOW), ledger.Reservation)  # not an editor
    exc = try_reserve(carol, "0.01", now=NOW)
    assert exc.budget == site and "site-wide" in exc.message
    assert try_reserve(None, "0.01", now=NOW).budget == site  # anonymous: site budgets apply


def test_settings_budget_for_every_user_keeps_separate_counters(alice, bob):
    config = {"BUDGETS": [{"name": "per-user", "scope": "user", "period": "day", "amount": "0.20"}]}
    with override_settings(NANOBANANA=config):
        assert isinstance(try_reserve(alice, "0.10", now=NOW), ledger.Reservation)
        assert isinstance(try_reserve(alice, "0.10", now=NOW), ledger.Reservation)
        exc = try_reserve(alice, "0.10", now=NOW)
        assert isinstance(exc, ledger.BudgetExceeded)
        assert exc.message.startswith(
            "Over the daily budget for user alice: limit $0.20, $0.00 left"
        )
        assert isinstance(try_reserve(bob, "0.10", now=NOW), ledger.Reservation)
        budget = Budget.objects.get(settings_key="per-user")
        assert budget.counters.count() == 2
    # Settings changed: the row follows them; removed: deactivated, history kept.
    with override_settings(
        NANOBANANA={"BUDGETS": [{"name": "per-user", "scope": "user", "amount": "0.30"}]}
    ):
        assert isinstance(try_reserve(alice, "0.10", now=NOW), ledger.Reservation)
        assert Budget.objects.get(settings_key="per-user").amount_limit == Decimal("0.30")
    with override_settings(NANOBANANA={"BUDGETS": []}):
        assert isinstance(try_reserve(alice, "5", now=NOW), ledger.Reservation)
        assert not Budget.objects.get(settings_key="per-user").is_active


def test_settings_budget_targets_named_user_and_group(alice, bob, editors):
    config = {
        "BUDGETS": [
            {"name": "alice", "scope": "user", "user": "alice", "amount": "0.10"},
            {
                "name": "editors",
                "scope": "group",
                "group": "editors",
                "period": "month",
                "images": 1,
            },
            {"name": "ghost", "scope": "user", "user": "nobody", "amount": "0"},
        ]
    }
    with override_settings(NANOBANANA=config):
        exc = try_reserve(alice, "0.20", now=NOW)
        assert exc.budget.settings_key == "alice"
        assert isinstance(try_reserve(bob, "0.20", now=NOW), ledger.Reservation)
        assert try_reserve(bob, "0.20", now=NOW).budget.settings_key == "editors"
        assert not Budget.objects.filter(settings_key="ghost").exists()


def test_day_and_month_windows_in_a_non_utc_time_zone(alice):
    ny = ZoneInfo("America/New_York")
    with override_settings(NANOBANANA={"BUDGET_TIME_ZONE": "America/New_York"}):
        day = make_budget(scope="site", period="day", amount_limit=Decimal("1"))
        month = make_budget(scope="site", period="month", amount_limit=Decimal("1.5"))
        late = dt.datetime(2026, 11, 30, 23, 30, tzinfo=ny)  # 04:30 UTC on Dec 1
        try_reserve(alice, "0.70", now=late)
        exc = try_reserve(alice, "0.70", now=late)  # same NY day: over the daily budget
        assert exc.budget == day
        assert exc.resets_at == dt.datetime(2026, 12, 1, tzinfo=ny)
        assert exc.message.endswith("resets at 2026-12-01 00:00 EST.")
        # 40 minutes later it is a new day *and* a new month in New York.
        early = late + dt.timedelta(minutes=40)
        assert isinstance(try_reserve(alice, "0.70", now=early), ledger.Reservation)
        assert isinstance(try_reserve(alice, "0.20", now=early), ledger.Reservation)
        assert try_reserve(alice, "0.20", now=early).budget == day
        # The next NY day, same NY month: the month budget (1.50) refuses.
        exc = try_reserve(alice, "0.70", now=early + dt.timedelta(days=1))
        assert exc.budget == month
        assert exc.remaining == Decimal("0.60")
        assert exc.resets_at == dt.datetime(2027, 1, 1, tzinfo=ny)
    # Two NY days / two NY months have their own counters with aware local midnights.
    starts = sorted(BudgetCounter.objects.filter(budget=day).values_list("window_start", flat=True))
    assert [s.astimezone(ny) for s in starts] == [
        dt.datetime(2026, 11, 30, tzinfo=ny),
        dt.datetime(2026, 12, 1, tzinfo=ny),
    ]
    # (the Dec 2 day counter was rolled back with the refused reservation)
    months = BudgetCounter.objects.filter(budget=month).order_by("window_start")
    assert [m.window_start.astimezone(ny).date() for m in months] == [
        dt.date(2026, 11, 1),
        dt.date(2026, 12, 1),
    ]
    assert [m.reserved for m in months] == [Decimal("0.70"), Decimal("0.90")]


def test_a_day_across_daylight_saving_is_23_hours(alice):
    with override_settings(NANOBANANA={"BUDGET_TIME_ZONE": "Europe/Berlin"}):
        start, end = ledger.window("day", dt.datetime(2026, 3, 29, 12, tzinfo=UTC))
        assert end.astimezone(UTC) - start.astimezone(UTC) == dt.timedelta(hours=23)
        assert start.utcoffset() == dt.timedelta(hours=1)
        assert end.utcoffset() == dt.timedelta(hours=2)
        start, end = ledger.window("month", dt.datetime(2026, 12, 31, 23, 30, tzinfo=UTC))
        assert start == dt.datetime(2027, 1, 1, tzinfo=ZoneInfo("Europe/Berlin"))
        assert end == dt.datetime(2027, 2, 1, tzinfo=ZoneInfo("Europe/Berlin"))


def test_settle_books_actual_on_the_reservation_window_even_after_midnight(alice):
    budget = make_budget(scope="site", amount_limit=Decimal("1"))
    before_midnight = dt.datetime(2026, 11, 21, 23, 59, tzinfo=UTC)
    reservation = try_reserve(alice, "0.30", now=before_midnight)
    assert ledger.settle(reservation.version_id, actual=Decimal("0.134448"))
    (c,) = BudgetCounter.objects.filter(budget=budget)
    assert c.window_start == dt.datetime(2026, 11, 21, tzinfo=UTC)
    assert c.spent == Decimal("0.134448") and c.reserved == 0 and c.spent_images == 1
    settle = LedgerEntry.objects.get(kind=EntryKind.SETTLE)
    assert settle.occurred_at == before_midnight and settle.amount == Decimal("0.134448")


def test_settle_and_refund_are_idempotent_and_exclusive(alice):
    budget = make_budget(scope="site", amount_limit=Decimal("1"))
    first = try_reserve(alice, "0.10", now=NOW)
    assert ledger.settle(first.version_id, actual=Decimal("0.07"))
    assert not ledger.settle(first.version_id, actual=Decimal("0.07"))  # redelivered task
    assert not ledger.refund(first.version_id)  # refund after settle
    c = counter(budget)
    assert (c.spent, c.reserved, c.spent_images, c.reserved_images) == (Decimal("0.07"), 0, 1, 0)

    second = try_reserve(alice, "0.10", now=NOW)
    assert ledger.refund(second.version_id)
    assert not ledger.refund(second.version_id)
    assert not ledger.settle(second.version_id, actual=Decimal("0.10"))  # settle after refund
    c = counter(budget)
    assert (c.spent, c.reserved, c.spent_images, c.reserved_images) == (Decimal("0.07"), 0, 1, 0)
    kinds = sorted(LedgerEntry.objects.values_list("kind", flat=True))
    assert kinds == ["refund", "reserve", "reserve", "settle"]


def test_reserve_twice_for_one_version_reserves_once(alice):
    budget = make_budget(scope="site", amount_limit=Decimal("1"))
    version_id = uuid.uuid4()
    assert try_reserve(alice, "0.10", now=NOW, version_id=version_id).created
    again = try_reserve(alice, "0.10", now=NOW, version_id=version_id)
    assert not again.created
    assert counter(budget).reserved == Decimal("0.10")


def test_refunded_money_is_available_again(alice):
    make_budget(scope="site", amount_limit=Decimal("0.20"))
    a = try_reserve(alice, "0.10", now=NOW)
    try_reserve(alice, "0.10", now=NOW)
    assert isinstance(try_reserve(alice, "0.10", now=NOW), ledger.BudgetExceeded)
    ledger.refund(a.version_id)
    assert isinstance(try_reserve(alice, "0.10", now=NOW), ledger.Reservation)


def test_budget_added_mid_month_starts_from_what_was_spent(alice, bob):
    r = try_reserve(alice, "0.50", now=NOW)
    ledger.settle(r.version_id, actual=Decimal("0.40"))
    r = try_reserve(bob, "0.50", now=NOW)
    ledger.settle(r.version_id, actual=Decimal("0.30"))
    make_budget(scope="user", user=alice, period="month", amount_limit=Decimal("1"))
    exc = try_reserve(alice, "0.70", now=NOW + dt.timedelta(days=1))
    assert exc.remaining == Decimal("0.60")  # 1.00 - 0.40 alice spent, bob's not counted


def test_float_money_is_refused(alice):
    with pytest.raises(TypeError):
        ledger.reserve(version_id=uuid.uuid4(), user=alice, amount=0.1, source="api")
    with pytest.raises(TypeError):
        ledger.settle(uuid.uuid4(), actual=0.1)


def test_budget_validation():
    with pytest.raises(ValidationError, match="money limit, an image limit"):
        Budget(name="x", scope="site", period="day").full_clean()
    with pytest.raises(ValidationError, match="group budget needs a group"):
        Budget(name="x", scope="group", period="day", image_limit=1).full_clean()


def test_format_money():
    assert ledger.format_money(Decimal("1")) == "$1.00"
    assert ledger.format_money(Decimal("0.039")) == "$0.039"
    assert ledger.format_money(Decimal("0.134448")) == "$0.134448"
    assert ledger.format_money(Decimal("12.5")) == "$12.50"
