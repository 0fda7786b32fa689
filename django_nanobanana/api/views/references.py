"""``references/``: upload a reference image for generations and edits."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from ... import services
from ...exceptions import RequestValidationError
from ...models import AssetVersion
from .. import serializers as s
from ..schema import COMMON, errors
from ..throttles import ReferenceUploadRateThrottle
from .base import APIMixin, document

#: Largest reference upload read into memory (the services refuse larger references).
MAX_REFERENCE_UPLOAD_BYTES = 20 * 1024 * 1024


def field_errors_as(exc: RequestValidationError, name: str) -> RequestValidationError:
    return RequestValidationError({name: [m for msgs in exc.field_errors.values() for m in msgs]})


@extend_schema(tags=["references"])
class ReferenceViewSet(APIMixin, viewsets.GenericViewSet):
    """Reference images for generations and edits, validated by the safe decoder."""

    serializer_class = s.ReferenceSerializer
    parser_classes = [MultiPartParser, FormParser]
    queryset = AssetVersion.objects.none()

    def get_throttles(self) -> list[Any]:
        return [*super().get_throttles(), ReferenceUploadRateThrottle()]

    @document(
        summary=_l("Upload a reference image"),
        request={"multipart/form-data": s.ReferenceUploadSerializer},
        responses={
            201: OpenApiResponse(s.ReferenceSerializer, description=_l("Stored.")),
            200: OpenApiResponse(
                s.ReferenceSerializer,
                description=_l("You had uploaded the same image before: that reference."),
            ),
            **errors(400, 429, *COMMON),
        },
    )
    def create(self, request: Request) -> Response:
        serializer = s.ReferenceUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        if upload.size > MAX_REFERENCE_UPLOAD_BYTES:
            raise ValidationError(
                {
                    "file": [
                        _("Reference images may be at most %(mb)d MB.")
                        % {"mb": MAX_REFERENCE_UPLOAD_BYTES // (1024 * 1024)}
                    ]
                }
            )
        started = timezone.now()
        try:
            reference = services.store_reference(
                upload.read(), user=request.user, name=upload.name or ""
            )
        except RequestValidationError as exc:
            raise field_errors_as(exc, "file") from None
        code = status.HTTP_200_OK if reference.created_at < started else status.HTTP_201_CREATED
        return Response(s.ReferenceSerializer(reference).data, status=code)
