"""``models/``: the image models of the registry, their capabilities and prices."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _l
from drf_spectacular.utils import OpenApiResponse
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ...providers.models_registry import describe_model, get_registry
from .. import serializers as s
from ..schema import COMMON, errors
from .base import APIMixin, document


class ModelsView(APIMixin, APIView):
    """The capabilities registry: ratios, sizes, reference limits, prices."""

    @document(
        tags=["models"],
        summary=_l("Image models, their capabilities and prices"),
        responses={
            200: OpenApiResponse(s.ModelSerializer(many=True), _l("Every model.")),
            **errors(*COMMON),
        },
    )
    def get(self, request: Request) -> Response:
        models = [describe_model(model) for _, model in sorted(get_registry().items())]
        return Response(s.ModelSerializer(models, many=True).data)
