"""``assets/``: create, list, read, change, describe, regenerate, edit, overlay,
revert, delete an image and list its versions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from ... import services
from ...exceptions import StateConflict
from ...ledger import client_ip
from ...models import (
    AssetVersion,
    DescriptionState,
    GeneratedAsset,
    ImageDescription,
    Source,
    State,
)
from ...services import descriptions
from ...services.assets import default_base_version, merged_overlay
from .. import serializers as s
from ..filters import AssetFilter
from ..pagination import Pagination
from ..permissions import visible_assets
from ..schema import COMMON, GENERATION, IDEMPOTENCY_KEY, errors
from ..throttles import GenerationRateThrottle, OverlayRateThrottle
from .base import (
    APIMixin,
    ObjectByIdMixin,
    annotate_assets,
    annotate_new_asset,
    document,
    idempotency_key,
    retrieve_route,
)

#: Actions that queue a generation: throttled per user.
GENERATING_ACTIONS = frozenset({"create", "regenerate", "edit"})


ACCEPTED = OpenApiResponse(
    s.GenerationAcceptedSerializer,
    description=_l(
        "Queued (or, for a replayed Idempotency-Key, the version the first request "
        "created, with the header Idempotent-Replayed: true). Location: the "
        "version's status URL."
    ),
)


@extend_schema(tags=["assets"])
class AssetViewSet(
    APIMixin,
    ObjectByIdMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Generated images: create, list, read, regenerate, edit, overlay, revert, delete."""

    serializer_class = s.AssetSerializer
    pagination_class = Pagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = AssetFilter
    queryset = GeneratedAsset.objects.none()  # for the schema; see get_queryset

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

    def _accepted(
        self, version: AssetVersion, started: dt.datetime, *, new_asset: bool = False
    ) -> Response:
        """202 with the asset, the version and the version's status URL in Location."""
        replayed = version.created_at < started
        if new_asset and not replayed and version.state == State.QUEUED:
            asset = annotate_new_asset(version)  # no read back: nothing else is in the row
        else:
            asset = annotate_assets(GeneratedAsset.objects.filter(pk=version.asset_id)).get()
        data = s.GenerationAcceptedSerializer(
            {"asset": asset, "version": version}, context=self.get_serializer_context()
        ).data
        headers = {"Location": data["version"]["url"]}
        if replayed:
            headers["Idempotent-Replayed"] = "true"
        return Response(data, status=status.HTTP_202_ACCEPTED, headers=headers)

    @staticmethod
    def _version_of(asset: GeneratedAsset, version_id: Any) -> AssetVersion:
        version = AssetVersion.objects.filter(asset=asset, pk=version_id).first()
        if version is None:
            raise ValidationError({"version": [_("This image has no such version.")]})
        return version

    def _base_version(self, asset: GeneratedAsset, version_id: Any, refusal: str) -> AssetVersion:
        """The version a regeneration or edit starts from: the one named, else the
        asset's default (:func:`default_base_version`); ``refusal`` (409) without one."""
        if version_id is not None:
            return self._version_of(asset, version_id)
        base = default_base_version(asset)
        if base is None:
            raise StateConflict(refusal)
        return base

    @staticmethod
    def _origin(request: Request) -> dict[str, Any]:
        """Who asks, from where and under which Idempotency-Key: the keyword arguments of
        the services that queue a generation."""
        return {
            "user": request.user,
            "source": Source.API,
            "idempotency_key": idempotency_key(request),
            "client_ip": client_ip(request),
        }

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

    retrieve = retrieve_route(_l("Read an image"), s.AssetSerializer, _l("The image."))

    @document(
        summary=_l("Create an image and queue its generation"),
        request=s.GenerateSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={202: ACCEPTED, **errors(*GENERATION)},
    )
    def create(self, request: Request) -> Response:
        data = self._input(s.GenerateSerializer, request)
        origin = self._origin(request)
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
            **origin,
        )
        return self._accepted(version, started, new_asset=True)

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
        base = self._base_version(
            asset, changes.pop("version", None), _("This image has no version to regenerate.")
        )
        if "references" in changes:
            changes["references"] = [str(r) for r in changes["references"]]
        started = timezone.now()
        version = services.regenerate(
            base,
            changes=changes,
            **self._origin(request),
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
        base = self._base_version(
            asset, data.get("version"), _("This image has no finished version to edit yet.")
        )
        started = timezone.now()
        version = services.edit(
            base,
            instruction=data["instruction"],
            references=[str(r) for r in data.get("references", ())],
            **self._origin(request),
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
            if partial:
                spec = merged_overlay(asset, spec)
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
