"""The one error shape of every answer that is not a success."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


class BudgetDetailSerializer(serializers.Serializer):
    budget = serializers.DictField(help_text=_("id, name, scope, period of the budget."))
    unit = serializers.ChoiceField(choices=["USD", "images"])
    limit = serializers.CharField()
    remaining = serializers.CharField()
    requested = serializers.CharField()
    resets_at = serializers.DateTimeField()


class ErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text=_(
            "Stable code: invalid, parse_error, not_authenticated, authentication_failed, "
            "permission_denied, not_found, method_not_allowed, not_acceptable, "
            "unsupported_media_type, over_budget, state_conflict, idempotency_conflict, "
            "throttled, configuration_error."
        )
    )
    message = serializers.CharField(help_text=_("A translated sentence for people."))
    field_errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text=_(
            "Messages by input field ('overlay.text', 'references.0', "
            "'non_field_errors'); empty when the error is not about a field."
        ),
    )
    budget = BudgetDetailSerializer(required=False, help_text=_("Only with over_budget."))


class ErrorSerializer(serializers.Serializer):
    error = ErrorBodySerializer()
