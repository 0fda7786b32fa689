"""Fixtures of the ledger / budget tests."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group


@pytest.fixture
def editors(db, alice, bob) -> Group:
    group = Group.objects.create(name="editors")
    group.user_set.add(alice, bob)
    return group
