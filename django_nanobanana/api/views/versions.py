"""``versions/``: one generation's status, and cancelling queued work."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _l
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from ... import services
from ...models import AssetVersion
from .. import serializers as s
from ..permissions import visible_versions
from ..schema import COMMON, errors
from .base import APIMixin, ObjectByIdMixin, document, retrieve_route


@extend_schema(tags=["versions"])
class VersionViewSet(APIMixin, ObjectByIdMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """One generation: its state, reason, attempts, parameters and cost."""

    serializer_class = s.VersionSerializer
    queryset = AssetVersion.objects.none()

    def asset_action_kind(self, action_name: str) -> str:
        return "change" if action_name == "cancel" else "view"

    def get_queryset(self) -> QuerySet[AssetVersion]:
        return visible_versions(self.request.user).select_related("asset")

    retrieve = retrieve_route(
        _l("Read a version (poll it until is_final)"), s.VersionSerializer, _l("The version.")
    )

    @document(
        summary=_l("Cancel queued work"),
        request=None,
        responses={
            200: OpenApiResponse(s.VersionSerializer, _l("Cancelled.")),
            **errors(404, 409, *COMMON),
        },
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, **kwargs: Any) -> Response:
        version = services.cancel(self.get_object(), user=request.user)
        return Response(s.VersionSerializer(version, context=self.get_serializer_context()).data)
