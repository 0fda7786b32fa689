"""Usage and budgets: the query of GET /usage/ and the shape of its answer."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ...ledger import reports
from ...models import Source
from .common import MONEY

GROUP_CHOICES = ("user", "model", "source", "day")


def _report_day(value: dt.date) -> dt.date:
    try:
        return reports.check_day(value)
    except ValueError as exc:
        raise serializers.ValidationError(str(exc)) from None


class UsageQuerySerializer(serializers.Serializer):
    since = serializers.DateField(
        required=False,
        help_text=_("First day (budget time zone), inclusive. Default: first day of this month."),
    )
    until = serializers.DateField(required=False, help_text=_("Last day, inclusive."))
    group_by = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=50,
        help_text=_("Comma-separated: user, model, source, day."),
    )
    model = serializers.CharField(
        required=False, max_length=100, help_text=_("Only this model id.")
    )
    source = serializers.CharField(
        required=False, max_length=16, help_text=_("Only this source: admin, api, cli or batch.")
    )
    user = serializers.CharField(
        required=False,
        max_length=150,
        help_text=_("Username (staff with nanobanana.view_usage only)."),
    )

    def validate_since(self, value: dt.date) -> dt.date:
        return _report_day(value)

    def validate_until(self, value: dt.date) -> dt.date:
        return _report_day(value)

    def validate_source(self, value: str) -> str:
        if value not in Source.values:
            raise serializers.ValidationError(
                _("Unknown source %(source)s; use %(allowed)s.")
                % {"source": value, "allowed": ", ".join(Source.values)}
            )
        return value

    def validate_group_by(self, value: str) -> tuple[str, ...]:
        groups = tuple(g.strip() for g in value.split(",") if g.strip())
        unknown = sorted(set(groups) - set(GROUP_CHOICES))
        if unknown:
            raise serializers.ValidationError(
                _("Cannot group by %(unknown)s; use %(allowed)s.")
                % {"unknown": ", ".join(unknown), "allowed": ", ".join(GROUP_CHOICES)}
            )
        return tuple(dict.fromkeys(groups))

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        since, until = attrs.get("since"), attrs.get("until")
        if since and until and since > until:
            raise serializers.ValidationError({"until": [_("Must not be before since.")]})
        return attrs


class UsageRowSerializer(serializers.Serializer):
    user = serializers.CharField(required=False, help_text=_("Present when grouped by user."))
    model = serializers.CharField(required=False)
    source = serializers.CharField(required=False)
    day = serializers.DateField(required=False, allow_null=True)
    requests = serializers.IntegerField()
    succeeded = serializers.IntegerField()
    refused = serializers.IntegerField()
    images = serializers.IntegerField()
    cached = serializers.IntegerField()
    cost = serializers.DecimalField(**MONEY)
    avoided_cost = serializers.DecimalField(**MONEY)
    prompt_text_tokens = serializers.IntegerField()
    prompt_image_tokens = serializers.IntegerField()
    output_text_tokens = serializers.IntegerField()
    output_image_tokens = serializers.IntegerField()
    thoughts_tokens = serializers.IntegerField()


class BudgetStatusSerializer(serializers.Serializer):
    name = serializers.CharField()
    scope = serializers.CharField()
    period = serializers.CharField()
    who = serializers.CharField()
    amount_limit = serializers.DecimalField(allow_null=True, **MONEY)
    spent = serializers.DecimalField(**MONEY)
    reserved = serializers.DecimalField(**MONEY)
    left = serializers.DecimalField(allow_null=True, **MONEY)
    image_limit = serializers.IntegerField(allow_null=True)
    spent_images = serializers.IntegerField()
    reserved_images = serializers.IntegerField()
    images_left = serializers.IntegerField(allow_null=True)
    window_start = serializers.DateTimeField()
    resets_at = serializers.DateTimeField()


class UsageSerializer(serializers.Serializer):
    user = serializers.CharField(allow_null=True, help_text=_("Whose usage (null: everyone)."))
    since = serializers.DateField(allow_null=True)
    until = serializers.DateField(allow_null=True)
    group_by = serializers.ListField(child=serializers.CharField())
    rows = UsageRowSerializer(many=True)
    budgets = BudgetStatusSerializer(
        many=True,
        help_text=_("Budgets that apply and what is left of them in their current window."),
    )
