"""The API's views: validate input, call :mod:`django_nanobanana.services`, answer.

No flow lives here. Authentication: token (when ``rest_framework.authtoken`` is installed)
and session with CSRF, unless the project sets DRF's ``DEFAULT_AUTHENTICATION_CLASSES``,
which are then used instead. Errors: :mod:`.errors`. Permissions: :mod:`.permissions`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import DecimalField, OuterRef, QuerySet, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.generics import get_object_or_404
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from .. import services
from ..conf import nanobanana_settings
from ..exceptions import RequestValidationError, StateConflict
from ..ledger import client_ip, reports, window
from ..models import (
    AssetVersion,
    BudgetPeriod,
    DescriptionState,
    GeneratedAsset,
    ImageDescription,
    Source,
)
from ..pictures import prefetch_pictures
from ..providers.models_registry import get_registry, replacement_for
from ..services import descriptions
from ..services.assets import default_base_version
from . import serializers as s
from .errors import ErrorHandlingMixin
from .filters import AssetFilter
from .pagination import Pagination
from .permissions import AssetPermission, visible_assets, visible_versions
from .schema import COMMON, GENERATION, IDEMPOTENCY_KEY, errors
from .throttles import GenerationRateThrottle, OverlayRateThrottle, ReferenceUploadRateThrottle

#: Largest reference upload read into memory (the services refuse larger references).
MAX_REFERENCE_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_IDEMPOTENCY_KEY_LENGTH = 255
#: Actions that queue a generation: throttled per user.
GENERATING_ACTIONS = frozenset({"create", "regenerate", "edit"})


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
    assets: the newest version's id/state/model and the total cost as subqueries, the
    owner joined, the current version and its renditions prefetched."""
    newest = AssetVersion.objects.filter(asset=OuterRef("pk")).order_by("-created_at", "-pk")
    total = (
        AssetVersion.objects.filter(asset=OuterRef("pk"))
        .order_by()
        .values("asset")
        .annotate(total=Sum("cost"))
        .values("total")
    )
    queryset = queryset.annotate(
        latest_version_id=Subquery(newest.values("pk")[:1]),
        latest_state=Subquery(newest.values("state")[:1]),
        latest_model=Subquery(newest.values("model")[:1]),
        total_cost=Subquery(total, output_field=DecimalField(max_digits=14, decimal_places=6)),
    ).select_related("owner")
    return prefetch_pictures(queryset).order_by("-updated_at", "-pk")


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

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        if self.action == "list":
            context["fields"] = s.requested_fields(self.request, s.AssetSerializer)
        return context

    def asset_action_kind(self, action_name: str) -> str:
        return "view"


ACCEPTED = OpenApiResponse(
    s.GenerationAcceptedSerializer,
    description=_l(
        "Queued (or, for a replayed Idempotency-Key, the version the first request "
        "created, with the header Idempotent-Replayed: true). Location: the "
        "version's status URL."
    ),
)


def _field_errors_as(exc: RequestValidationError, name: str) -> RequestValidationError:
    return RequestValidationError({name: [m for msgs in exc.field_errors.values() for m in msgs]})


@extend_schema(tags=["assets"])
class AssetViewSet(
    APIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Generated images: create, list, read, regenerate, edit, overlay, revert, delete."""

    serializer_class = s.AssetSerializer
    pagination_class = Pagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = AssetFilter
    queryset = GeneratedAsset.objects.none()  # for the schema; see get_queryset
    lookup_url_kwarg = "id"
    # Any segment reaches the view, so a malformed id is a JSON 404 like an unknown one.
    lookup_value_regex = "[^/]+"

    #: Actions that need the right to generate before any object is looked at.
    generating_actions = frozenset({"create"})
    ACTION_KINDS = {
        "partial_update": "change",
        "overlay": "change",
        "revert": "change",
        "regenerate": "generate",
        "edit": "generate",
        "destroy": "delete",
        "describe": "generate",
        "accept_description": "change",
    }

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        if self.action == "list":
            context["fields"] = s.requested_fields(self.request, s.AssetSerializer)
        return context

    def asset_action_kind(self, action_name: str) -> str:
        return self.ACTION_KINDS.get(action_name, "view")

    def get_queryset(self) -> QuerySet[GeneratedAsset]:
        return annotate_assets(visible_assets(self.request.user))

    def get_object(self) -> GeneratedAsset:
        # No filtering of detail routes by query parameters; invalid ids are a 404.
        asset = get_object_or_404(self.get_queryset(), pk=self.kwargs["id"])
        self.check_object_permissions(self.request, asset)
        return asset

    def get_throttles(self) -> list[Any]:
        throttles = list(super().get_throttles())
        if self.action in GENERATING_ACTIONS:
            throttles.append(GenerationRateThrottle())
        elif self.action == "overlay":
            throttles.append(OverlayRateThrottle())
        return throttles

    # -- helpers ----------------------------------------------------------------------------

    def _asset_data(self, pk: Any) -> dict[str, Any]:
        asset = annotate_assets(GeneratedAsset.objects.filter(pk=pk)).get()
        return s.AssetSerializer(asset, context=self.get_serializer_context()).data

    def _accepted(self, version: AssetVersion, started: dt.datetime) -> Response:
        """202 with the asset, the version and the version's status URL in Location."""
        asset = annotate_assets(GeneratedAsset.objects.filter(pk=version.asset_id)).get()
        data = s.GenerationAcceptedSerializer(
            {"asset": asset, "version": version}, context=self.get_serializer_context()
        ).data
        headers = {"Location": data["version"]["url"]}
        if version.created_at < started:
            headers["Idempotent-Replayed"] = "true"
        return Response(data, status=status.HTTP_202_ACCEPTED, headers=headers)

    @staticmethod
    def _version_of(asset: GeneratedAsset, version_id: Any) -> AssetVersion:
        version = AssetVersion.objects.filter(asset=asset, pk=version_id).first()
        if version is None:
            raise ValidationError({"version": [_("This image has no such version.")]})
        return version

    @staticmethod
    def _input(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
        serializer = serializer_class(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    # -- routes -----------------------------------------------------------------------------

    @document(
        operation_id="assets_list",
        summary=_l("List images"),
        responses={
            200: OpenApiResponse(
                s.AssetSerializer(many=True), _l("A page of images, newest change first.")
            ),
            **errors(400, 404, *COMMON),
        },
        parameters=[
            OpenApiParameter(
                "fields",
                str,
                description=_l(
                    "Comma-separated fields to include in each image, e.g. "
                    "'id,title,srcset,src,placeholder' for a compact list (every rendition URL "
                    "appears in 'renditions', 'srcset' and 'sources'; ask for one of them). "
                    "Default: every field."
                ),
            )
        ],
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @document(
        summary=_l("Read an image"),
        responses={
            200: OpenApiResponse(s.AssetSerializer, _l("The image.")),
            **errors(404, *COMMON),
        },
    )
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

    @document(
        summary=_l("Create an image and queue its generation"),
        request=s.GenerateSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={202: ACCEPTED, **errors(*GENERATION)},
    )
    def create(self, request: Request) -> Response:
        data = self._input(s.GenerateSerializer, request)
        key = idempotency_key(request)
        params = services.GenerationParams(
            prompt=data["prompt"],
            model=data.get("model"),
            aspect_ratio=data.get("aspect_ratio"),
            image_size=data.get("image_size"),
            seed=data.get("seed"),
            thinking_level=data.get("thinking_level"),
            grounding=data.get("grounding") or "",
            references=tuple(str(r) for r in data.get("references", ())),
            use_cache=data.get("use_cache"),
        )
        started = timezone.now()
        version = services.generate(
            params,
            title=data.get("title", ""),
            alt_text=data.get("alt_text", ""),
            overlay=data.get("overlay"),
            user=request.user,
            source=Source.API,
            idempotency_key=key,
            client_ip=client_ip(request),
        )
        return self._accepted(version, started)

    @document(
        summary=_l("Change the title or alt text"),
        request=s.AssetUpdateSerializer,
        responses={
            200: OpenApiResponse(s.AssetSerializer, _l("The changed image.")),
            **errors(400, 404, *COMMON),
        },
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        asset = self.get_object()
        data = self._input(s.AssetUpdateSerializer, request)
        if "focal_point" in data:
            point = data.pop("focal_point")
            descriptions.set_focal_point(
                asset, (point["x"], point["y"]) if point else None, user=request.user
            )
        if data:
            for name, value in data.items():
                setattr(asset, name, value)
            asset.save(update_fields=[*data, "updated_at"])
        return Response(self._asset_data(asset.pk))

    @document(
        summary=_l("The current version's description (GET) or a new one (POST)"),
        request=None,
        responses={
            200: OpenApiResponse(
                s.DescriptionSerializer, _l("The newest description of the current version.")
            ),
            202: OpenApiResponse(
                s.DescriptionSerializer,
                _l("Queued: one text-model call (its estimate is reserved)."),
            ),
            **errors(404, 409, *GENERATION),
        },
    )
    @action(detail=True, methods=["get", "post"])
    def describe(self, request: Request, **kwargs: Any) -> Response:
        asset = self.get_object()
        version = asset.current_version
        if version is None:
            raise StateConflict(_("This image has no finished version yet."))
        context = self.get_serializer_context()
        if request.method == "GET":
            row = descriptions.latest_description(version)
            if row is None:
                raise NotFound(_("This version has no description yet."))
            return Response(s.DescriptionSerializer(row, context=context).data)
        row = descriptions.request_description(
            version, user=request.user, source=Source.API, client_ip=client_ip(request)
        )
        return Response(
            s.DescriptionSerializer(row, context=context).data, status=status.HTTP_202_ACCEPTED
        )

    @document(
        summary=_l("Accept a suggested alt text and focal point (as they are or edited)"),
        request=s.AcceptDescriptionSerializer,
        responses={
            200: OpenApiResponse(s.AssetSerializer, _l("The image, reviewed.")),
            **errors(400, 404, 409, *COMMON),
        },
    )
    @action(detail=True, methods=["post"], url_path="accept-description")
    def accept_description(self, request: Request, **kwargs: Any) -> Response:
        asset = self.get_object()
        data = self._input(s.AcceptDescriptionSerializer, request)
        queryset = ImageDescription.objects.filter(version__asset=asset)
        if data.get("description"):
            row = queryset.filter(pk=data["description"]).first()
        else:
            row = (
                queryset.filter(
                    version_id=asset.current_version_id, state=DescriptionState.SUCCEEDED
                )
                .order_by("-created_at")
                .first()
            )
        if row is None:
            raise ValidationError({"description": [_("No finished suggestion to accept.")]})
        point = data.get("focal_point")
        descriptions.accept_description(
            row,
            user=request.user,
            alt_text=data.get("alt_text"),
            focal_point=(point["x"], point["y"]) if point else None,
        )
        return Response(self._asset_data(asset.pk))

    @document(
        summary=_l("Delete an image with its versions and files"),
        request=None,
        responses={204: OpenApiResponse(description=_l("Deleted.")), **errors(404, 409, *COMMON)},
    )
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.delete_asset(self.get_object(), user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @document(
        summary=_l("Generate a new version from an earlier request, with changes"),
        request=s.RegenerateSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={202: ACCEPTED, **errors(404, 409, *GENERATION)},
    )
    @action(detail=True, methods=["post"])
    def regenerate(self, request: Request, **kwargs: Any) -> Response:
        asset = self.get_object()
        changes = self._input(s.RegenerateSerializer, request)
        version_id = changes.pop("version", None)
        if version_id is not None:
            base = self._version_of(asset, version_id)
        else:
            base = default_base_version(asset)
            if base is None:
                raise StateConflict(_("This image has no version to regenerate."))
        if "references" in changes:
            changes["references"] = [str(r) for r in changes["references"]]
        started = timezone.now()
        version = services.regenerate(
            base,
            changes=changes,
            user=request.user,
            source=Source.API,
            idempotency_key=idempotency_key(request),
            client_ip=client_ip(request),
        )
        return self._accepted(version, started)

    @document(
        summary=_l("Edit a finished version with an instruction"),
        request=s.EditSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={202: ACCEPTED, **errors(404, 409, *GENERATION)},
    )
    @action(detail=True, methods=["post"])
    def edit(self, request: Request, **kwargs: Any) -> Response:
        asset = self.get_object()
        data = self._input(s.EditSerializer, request)
        if data.get("version") is not None:
            base = self._version_of(asset, data["version"])
        else:
            base = default_base_version(asset)
            if base is None:
                raise StateConflict(_("This image has no finished version to edit yet."))
        started = timezone.now()
        version = services.edit(
            base,
            instruction=data["instruction"],
            references=[str(r) for r in data.get("references", ())],
            user=request.user,
            source=Source.API,
            idempotency_key=idempotency_key(request),
            client_ip=client_ip(request),
        )
        return self._accepted(version, started)

    @document(
        summary=_l("Set (PUT) or change (PATCH) the text overlay; re-renders, no generation"),
        request=s.OverlayInputSerializer,
        responses={
            202: OpenApiResponse(
                s.AssetSerializer,
                description=_l(
                    "Saved; the renditions are re-rendered in the background (srcset keeps the "
                    "previous renditions until the new set is complete)."
                ),
            ),
            **errors(400, 404, 429, *COMMON),
        },
    )
    @action(detail=True, methods=["put", "patch"])
    def overlay(self, request: Request, **kwargs: Any) -> Response:
        asset = self.get_object()
        partial = request.method == "PATCH"
        serializer = s.OverlayInputSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        if "overlay" in serializer.validated_data:  # PATCH without it changes nothing
            spec = serializer.validated_data["overlay"]
            if partial and spec is not None:
                spec = {**(asset.overlay or {}), **spec}
            services.rerender_overlay(asset, spec, user=request.user)
        return Response(self._asset_data(asset.pk), status=status.HTTP_202_ACCEPTED)

    @document(
        summary=_l("Make an earlier finished version current again"),
        request=s.RevertSerializer,
        responses={
            200: OpenApiResponse(s.AssetSerializer, _l("The image, with that version current.")),
            **errors(400, 404, 409, *COMMON),
        },
    )
    @action(detail=True, methods=["post"])
    def revert(self, request: Request, **kwargs: Any) -> Response:
        asset = self.get_object()
        version = self._version_of(asset, self._input(s.RevertSerializer, request)["version"])
        services.revert(asset, version, user=request.user)
        return Response(self._asset_data(asset.pk))

    @document(
        summary=_l("The versions of an image, newest first"),
        request=None,
        responses={
            200: OpenApiResponse(s.VersionSerializer(many=True), _l("A page of versions.")),
            **errors(404, *COMMON),
        },
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def versions(self, request: Request, **kwargs: Any) -> Response:
        asset = self.get_object()
        queryset = AssetVersion.objects.filter(asset=asset).order_by("-created_at", "-pk")
        page = self.paginate_queryset(queryset)
        context = self.get_serializer_context()
        return self.get_paginated_response(
            s.VersionSerializer(page, many=True, context=context).data
        )


@extend_schema(tags=["versions"])
class VersionViewSet(APIMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """One generation: its state, reason, attempts, parameters and cost."""

    serializer_class = s.VersionSerializer
    queryset = AssetVersion.objects.none()
    lookup_url_kwarg = "id"
    # Any segment reaches the view, so a malformed id is a JSON 404 like an unknown one.
    lookup_value_regex = "[^/]+"

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        if self.action == "list":
            context["fields"] = s.requested_fields(self.request, s.AssetSerializer)
        return context

    def asset_action_kind(self, action_name: str) -> str:
        return "change" if action_name == "cancel" else "view"

    def get_queryset(self) -> QuerySet[AssetVersion]:
        return visible_versions(self.request.user).select_related("asset")

    def get_object(self) -> AssetVersion:
        version = get_object_or_404(self.get_queryset(), pk=self.kwargs["id"])
        self.check_object_permissions(self.request, version)
        return version

    @document(
        summary=_l("Read a version (poll it until is_final)"),
        responses={
            200: OpenApiResponse(s.VersionSerializer, _l("The version.")),
            **errors(404, *COMMON),
        },
    )
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)

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
            raise _field_errors_as(exc, "file") from None
        code = status.HTTP_200_OK if reference.created_at < started else status.HTTP_201_CREATED
        return Response(s.ReferenceSerializer(reference).data, status=code)


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
