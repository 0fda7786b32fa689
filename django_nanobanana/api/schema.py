"""OpenAPI 3 schema of the API (drf-spectacular).

:class:`SchemaView` serves the schema of this API only (the project's other DRF views are
left out), with full paths under wherever the API is mounted. A project that serves its
own site-wide schema gets these operations there too, described the same way.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import AllowAny

from .errors import OVER_BUDGET_STATUS
from .serializers import ErrorSerializer

ERROR_DESCRIPTIONS: dict[int, Any] = {
    400: _("Invalid input: field_errors names every bad field."),
    401: _("Not authenticated (token authentication: send 'Authorization: Token <key>')."),
    OVER_BUDGET_STATUS: _(
        "Over budget: nothing was queued; error.budget says which budget and when it resets."
    ),
    403: _(
        "Authenticated but not allowed (also: not authenticated with session "
        "authentication, or a missing CSRF token)."
    ),
    404: _("No such object, or one you may not see."),
    409: _("The object's state does not allow this (e.g. editing an unfinished version)."),
    422: _("The Idempotency-Key was already used for a different request."),
    429: _("Too many requests (per-user throttle); see the Retry-After header."),
    503: _("The site cannot generate images right now (configuration)."),
}

#: Errors every authenticated endpoint can answer with.
COMMON = (401, 403)
GENERATION = (400, 401, OVER_BUDGET_STATUS, 403, 422, 429, 503)


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """OpenAPI responses in the one error shape for the given status codes."""
    return {
        code: OpenApiResponse(response=ErrorSerializer, description=ERROR_DESCRIPTIONS[code])
        for code in sorted(set(codes))
    }


IDEMPOTENCY_KEY = OpenApiParameter(
    name="Idempotency-Key",
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description=_(
        "Any unique string (at most 255 characters), e.g. a UUID. Repeating a request with "
        "the same key returns the version the first one created and queues nothing; the "
        "same key with a different request is refused with 422."
    ),
)


class APISchemaGenerator(SchemaGenerator):
    """Only the operations of ``django_nanobanana.api``, at their full mounted paths."""

    def _initialise_endpoints(self) -> None:
        super()._initialise_endpoints()
        self.endpoints = [endpoint for endpoint in self.endpoints if _ours(endpoint[3])]


def _ours(callback: Any) -> bool:
    view = getattr(callback, "cls", None)
    return (
        view is not None
        and view.__module__.startswith("django_nanobanana.api")
        and not issubclass(view, SpectacularAPIView)
    )


class SchemaView(SpectacularAPIView):
    """``GET schema/``: the OpenAPI 3 schema (YAML, or JSON with ``?format=json``)."""

    generator_class = APISchemaGenerator
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    custom_settings = {
        "TITLE": "django-nanobanana API",
        "DESCRIPTION": (
            "Generate, edit and regenerate images with Google's Gemini image models, lay "
            "text overlays over them, and read usage and budgets. Every error has the shape "
            '{"error": {"code", "message", "field_errors"}}; see docs/api.md.'
        ),
        "VERSION": "1",
        "COMPONENT_SPLIT_REQUEST": True,
        "ENUM_NAME_OVERRIDES": {
            "StateEnum": "django_nanobanana.models.assets.State",
        },
    }
