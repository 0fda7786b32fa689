"""``models/``: the image models of the registry, their capabilities and prices."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _l
from drf_spectacular.utils import OpenApiResponse
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ...conf import nanobanana_settings
from ...providers.models_registry import get_registry, replacement_for
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
        default = nanobanana_settings.DEFAULT_MODEL
        out = []
        for model_id, caps in sorted(get_registry().items()):
            sizes = caps.image_sizes or ("1K",)
            out.append(
                {
                    "id": model_id,
                    "name": caps.name,
                    "default": model_id == default,
                    "aspect_ratios": list(caps.aspect_ratios),
                    "image_sizes": list(caps.image_sizes),
                    "default_image_size": caps.default_image_size,
                    "max_reference_images": caps.max_reference_images,
                    "max_reference_bytes": caps.max_reference_bytes,
                    "thinking_levels": list(caps.thinking_levels),
                    "default_thinking_level": caps.default_thinking_level,
                    "grounding": list(caps.grounding),
                    "stage": caps.stage,
                    "released": caps.released,
                    "shutdown": caps.shutdown,
                    "replacement": replacement.id
                    if (replacement := replacement_for(model_id))
                    else None,
                    "notice": caps.lifecycle_notice(),
                    "supports_seed": caps.supports_seed,
                    "prices": caps.prices,
                    "image_costs": {
                        size: caps.image_cost(size)
                        for size in sizes
                        if size in caps.output_image_tokens
                    },
                    "dimensions": [
                        {
                            "aspect_ratio": ratio,
                            "image_size": size,
                            "width": caps.dimensions(ratio, size)[0],
                            "height": caps.dimensions(ratio, size)[1],
                        }
                        for ratio in caps.aspect_ratios
                        if ratio in caps.dimensions_1k
                        for size in sizes
                    ],
                }
            )
        return Response(s.ModelSerializer(out, many=True).data)
