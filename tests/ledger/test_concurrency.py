"""50 concurrent requests against a budget that allows 10, on the real PostgreSQL server.

Each thread has its own database connection and reserves inside its own transaction, as
the service layer does. The budget must grant exactly 10 and refuse 40, clearly.
"""

from __future__ import annotations

import random
import threading
import uuid
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection, transaction

from django_nanobanana import ledger
from django_nanobanana.models import Budget, BudgetCounter, EntryKind, LedgerEntry

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("run with NANOBANANA_TEST_DATABASE_URL=postgres://... (scripts/test.sh)")


def run_concurrently(jobs):
    """Start every job at once (a barrier), each on its own connection; results in order."""
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def worker(index, job):
        try:
            barrier.wait(timeout=30)
            results[index] = job()
        except Exception as exc:
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    return results


def reserve_job(user, amount, images=1):
    def job():
        with transaction.atomic():
            reservation = ledger.reserve(
                version_id=uuid.uuid4(),
                user=user,
                amount=Decimal(amount),
                images=images,
                source="api",
            )
            # Stand in for the rest of the version-creating transaction.
            connection.cursor().execute("SELECT pg_sleep(%s)", [random.uniform(0, 0.02)])
            return reservation

    return job


def test_fifty_concurrent_requests_against_a_budget_of_ten():
    assert connection.vendor == "postgresql"
    user = User.objects.create_user("alice")
    budget = Budget.objects.create(
        name="site", scope="site", period="day", amount_limit=Decimal("1.00")
    )
    results = run_concurrently([reserve_job(user, "0.10") for _ in range(50)])
    granted = [r for r in results if isinstance(r, ledger.Reservation)]
    refused = [r for r in results if isinstance(r, ledger.BudgetExceeded)]
    others = [r for r in results if r not in granted and r not in refused]
    assert others == []
    assert len(granted) == 10
    assert len(refused) == 40
    for exc in refused:
        assert exc.budget.pk == budget.pk
        assert exc.limit == Decimal("1.00") and exc.remaining < Decimal("0.10")
        assert exc.message.startswith("Over the daily budget for site-wide: limit $1.00")
    counter = BudgetCounter.objects.get(budget=budget)
    assert counter.spent_micros + counter.reserved_micros == 1_000_000
    assert counter.reserved_images == 10
    assert LedgerEntry.objects.filter(kind=EntryKind.RESERVE).count() == 10


def test_overlapping_budgets_under_load_never_pass_a_limit_nor_deadlock():
    """Users share a group and the site budget and each has their own: every request
    touches three counters, and settles/refunds run at the same time as reservations."""
    group = Group.objects.create(name="editors")
    users = [User.objects.create_user(f"u{i}") for i in range(5)]
    group.user_set.add(*users)
    site = Budget.objects.create(
        name="site", scope="site", period="month", amount_limit=Decimal("2.00")
    )
    team = Budget.objects.create(
        name="team", scope="group", group=group, period="day", image_limit=15
    )
    each = Budget.objects.create(
        name="each", scope="user", period="day", amount_limit=Decimal("0.45")
    )
    first = run_concurrently([reserve_job(users[i % 5], "0.07") for i in range(40)])
    granted = [r for r in first if isinstance(r, ledger.Reservation)]
    assert all(isinstance(r, ledger.Reservation | ledger.BudgetExceeded) for r in first)
    assert len(granted) == 15  # the team's image limit binds first (5 users x 6 fit $0.45)

    def settle_job(reservation, index):
        def job():
            if index % 2:
                return ledger.settle(reservation.version_id, actual=Decimal("0.05"))
            return ledger.refund(reservation.version_id)

        return job

    second = run_concurrently(
        [settle_job(r, i) for i, r in enumerate(granted)]
        + [reserve_job(users[i % 5], "0.07") for i in range(30)]
    )
    assert not [
        r for r in second if isinstance(r, Exception) and not isinstance(r, ledger.BudgetExceeded)
    ]
    for budget in (site, team, each):
        for counter in BudgetCounter.objects.filter(budget=budget):
            if budget.amount_limit is not None:
                assert counter.spent_micros + counter.reserved_micros <= 2_000_000
                if budget == each:
                    assert counter.spent_micros + counter.reserved_micros <= 450_000
            if budget.image_limit is not None:
                assert counter.spent_images + counter.reserved_images <= 15
            assert counter.reserved_micros >= 0 and counter.reserved_images >= 0
    # The counters agree with the ledger.
    open_reservations = LedgerEntry.objects.filter(kind=EntryKind.RESERVE).exclude(
        version_id__in=LedgerEntry.objects.filter(
            kind__in=(EntryKind.SETTLE, EntryKind.REFUND)
        ).values("version_id")
    )
    site_counter = BudgetCounter.objects.get(budget=site)
    held = sum(e.amount for e in open_reservations)
    spent = sum(e.amount for e in LedgerEntry.objects.filter(kind=EntryKind.SETTLE))
    assert site_counter.reserved == held
    assert site_counter.spent == spent
