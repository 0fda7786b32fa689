"""``usage/``: usage and the budgets left."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from drf_spectacular.utils import OpenApiResponse
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ...ledger import reports, window
from ...models import BudgetPeriod
from .. import serializers as s
from ..schema import COMMON, errors
from .base import APIMixin, document


class UsageView(APIMixin, APIView):
    """Usage and the budgets left: your own (and only your own budgets); staff with
    nanobanana.view_usage: anyone's, and every budget."""

    @document(
        tags=["usage"],
        summary=_l("Usage and budgets left"),
        parameters=[s.UsageQuerySerializer],
        responses={
            200: OpenApiResponse(s.UsageSerializer, _l("Usage rows and budgets.")),
            **errors(400, *COMMON),
        },
    )
    def get(self, request: Request) -> Response:
        query = s.UsageQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        since = data.get("since") or window(BudgetPeriod.MONTH)[0].date()
        until = data.get("until")
        if until is not None and since > until:
            raise ValidationError({"since": [_("Must not be after until.")]})
        group_by = data.get("group_by") or ()
        named = data.get("user")
        rows = reports.visible_usage(
            request.user,
            user=named,
            since=since,
            until=until,
            group_by=group_by,
            model=data.get("model"),
            source=data.get("source"),
        )
        if reports.can_view_all(request.user):
            if named:
                user_model = get_user_model()
                target = user_model._default_manager.filter(
                    **{user_model.USERNAME_FIELD: named}
                ).first()
                budgets = reports.budget_status(target) if target else []
            else:
                budgets = reports.site_budget_status()
            whose = named or None
        else:  # the user's own figures only: no group or site spending
            budgets = reports.budget_status(request.user, own_only=True)
            whose = request.user.get_username()
        body = {
            "user": whose,
            "since": since,
            "until": until,
            "group_by": list(group_by),
            "rows": rows,
            "budgets": budgets,
        }
        return Response(s.UsageSerializer(body).data)
