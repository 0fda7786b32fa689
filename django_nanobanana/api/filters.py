"""Filters and ordering of ``GET /assets/`` (django-filter)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from .. import access
from ..models import GeneratedAsset, State


def _owners(request: Any) -> QuerySet:
    """Users one may filter by: anyone for staff who see all assets, else oneself only
    (so the filter cannot be used to probe which users exist)."""
    users = get_user_model()._default_manager.all()
    user = getattr(request, "user", None)
    if access.sees_all(user):
        return users
    if getattr(user, "is_authenticated", False):
        return users.filter(pk=user.pk)
    return users.none()


class StableOrderingFilter(django_filters.OrderingFilter):
    """django-filter's ordering with the primary key as the last key, so pages never
    overlap or skip rows that share a value."""

    def filter(self, qs: QuerySet, value: Any) -> QuerySet:
        qs = super().filter(qs, value)
        if value:
            qs = qs.order_by(*qs.query.order_by, "-pk")
        return qs


class AssetFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(
        field_name="latest_state",
        choices=State.choices,
        label=_("State of the newest version (repeat the parameter for several)."),
    )
    model = django_filters.CharFilter(
        field_name="latest_model",
        max_length=100,
        label=_("Model id of the newest version."),
    )
    owner = django_filters.ModelChoiceFilter(
        queryset=_owners,
        label=_("Owner (user id)."),
    )
    created = django_filters.IsoDateTimeFromToRangeFilter(
        field_name="created_at",
        label=_("Created in a range: created_after / created_before (ISO 8601)."),
    )
    ordering = StableOrderingFilter(
        fields=(("created_at", "created"), ("updated_at", "updated"), ("title", "title")),
        label=_("Order by created, updated or title; prefix with - for descending."),
    )

    class Meta:
        model = GeneratedAsset
        fields: tuple[str, ...] = ()
