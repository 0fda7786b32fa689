"""What the API's views share: authentication, the Idempotency-Key header, the asset
queryset the serializers read, schema decoration and the common view mixin."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.exceptions import ValidationError
from rest_framework.generics import get_object_or_404
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from ...models import AssetVersion, GeneratedAsset
from ...pictures import prefetch_pictures
from ..errors import ErrorHandlingMixin
from ..permissions import AssetPermission
from ..schema import COMMON, errors

MAX_IDEMPOTENCY_KEY_LENGTH = 255


def authentication_classes() -> list[type]:
    """The project's DRF authentication classes if it sets them, else token + session."""
    if "DEFAULT_AUTHENTICATION_CLASSES" in (getattr(settings, "REST_FRAMEWORK", None) or {}):
        return list(api_settings.DEFAULT_AUTHENTICATION_CLASSES)
    classes: list[type] = []
    if apps.is_installed("rest_framework.authtoken"):
        classes.append(TokenAuthentication)
    classes.append(SessionAuthentication)
    return classes


def idempotency_key(request: Request) -> str | None:
    key = (request.headers.get("Idempotency-Key") or "").strip()
    if len(key) > MAX_IDEMPOTENCY_KEY_LENGTH:
        raise ValidationError(
            {
                "Idempotency-Key": [
                    _("At most %(max)d characters.") % {"max": MAX_IDEMPOTENCY_KEY_LENGTH}
                ]
            }
        )
    return key or None


def annotate_assets(queryset: QuerySet[GeneratedAsset]) -> QuerySet[GeneratedAsset]:
    """What the asset serializer reads, in a fixed number of queries for any number of
    assets: the newest version's id/state/model and the total cost as subqueries
    (``with_versions_summary``), the owner joined, the current version and its renditions
    prefetched."""
    queryset = queryset.with_versions_summary().select_related("owner")
    return prefetch_pictures(queryset).order_by("-updated_at", "-pk")


def annotate_new_asset(version: AssetVersion) -> GeneratedAsset:
    """The asset a request has just created with ``version`` (queued, its only version),
    carrying what :func:`annotate_assets` would read back from the database: the newest
    version is this one, nothing is finished (no current version, no renditions) and
    nothing has cost anything yet."""
    asset = version.asset
    asset.latest_version_id = version.pk
    asset.latest_state = version.state
    asset.latest_model = version.model
    asset.total_cost = version.cost
    return asset


def document(**kwargs: Any) -> Any:
    """``extend_schema`` on a view method, based on drf-spectacular's inspector even when
    the project's ``DEFAULT_SCHEMA_CLASS`` is another one."""

    def decorator(function: Any) -> Any:
        function.schema = AutoSchema
        return extend_schema(**kwargs)(function)

    return decorator


class APIMixin(ErrorHandlingMixin):
    """What every view of the API shares: JSON, authentication, permissions, errors."""

    renderer_classes = [JSONRenderer]
    parser_classes = [JSONParser]
    permission_classes = [AssetPermission]
    # drf-spectacular's inspector whatever the project's DEFAULT_SCHEMA_CLASS is.
    schema = AutoSchema()

    def get_authenticators(self) -> list[Any]:
        return [cls() for cls in authentication_classes()]

    def asset_action_kind(self, action_name: str) -> str:
        return "view"


class ObjectByIdMixin:
    """Detail routes of a viewset: the object whose ``id`` is in the URL, among
    ``get_queryset()`` only (no filtering of detail routes by query parameters)."""

    lookup_url_kwarg = "id"
    # Any segment reaches the view, so a malformed id is a JSON 404 like an unknown one.
    lookup_value_regex = "[^/]+"

    def get_object(self) -> Any:
        obj = get_object_or_404(self.get_queryset(), pk=self.kwargs["id"])
        self.check_object_permissions(self.request, obj)
        return obj


def retrieve_route(summary: Any, serializer: type, description: Any) -> Any:
    """``GET <id>/`` of a viewset (DRF's retrieve), documented: the object or a 404."""

    @document(
        summary=summary,
        responses={200: OpenApiResponse(serializer, description), **errors(404, *COMMON)},
    )
    def retrieve(self: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        return mixins.RetrieveModelMixin.retrieve(self, request, *args, **kwargs)

    return retrieve
