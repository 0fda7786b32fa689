"""Fixtures of the ledger / budget tests."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.db import transaction

from django_nanobanana import ledger
from django_nanobanana.models import Budget

UTC = dt.UTC


@pytest.fixture
def alice(db) -> User:
    return User.objects.create_user("alice", password="pw")


@pytest.fixture
def bob(db) -> User:
    return User.objects.create_user("bob", password="pw")


@pytest.fixture
def editors(db, alice, bob) -> Group:
    group = Group.objects.create(name="editors")
    group.user_set.add(alice, bob)
    return group


def make_budget(**kwargs: Any) -> Budget:
    kwargs.setdefault("name", f"{kwargs.get('scope', 'site')}-{kwargs.get('period', 'day')}")
    kwargs.setdefault("period", "day")
    kwargs.setdefault("scope", "site")
    budget = Budget(**kwargs)
    budget.full_clean()
    budget.save()
    return budget


def try_reserve(
    user: Any,
    amount: str | Decimal,
    *,
    images: int = 1,
    now: dt.datetime | None = None,
    version_id: uuid.UUID | None = None,
    model: str = "gemini-nano-banana-2.1",
):
    """Reserve as the service layer does: inside the transaction creating the version.
    Returns the Reservation or the BudgetExceeded."""
    try:
        with transaction.atomic():
            return ledger.reserve(
                version_id=version_id or uuid.uuid4(),
                user=user,
                amount=Decimal(amount),
                images=images,
                source="api",
                model=model,
                now=now,
            )
    except ledger.BudgetExceeded as exc:
        return exc
