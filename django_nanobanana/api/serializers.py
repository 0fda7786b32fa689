"""Serializers: input validation of the API's requests and the shapes of its answers.

Input serializers check types and sizes only; the rules (ratios, sizes and reference
limits of the model, prompt length, overlay spec, budgets) are checked by the services,
whose errors the API reports in the same shape as these.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.reverse import reverse

from ..ledger import reports
from ..models import (
    AssetVersion,
    GeneratedAsset,
    ImageDescription,
    ReferenceImage,
    Source,
    State,
    VersionKind,
)
from ..pictures import Picture, PictureSource, overlay_warning, picture_for
from ..providers.models_registry import model_warning

#: Gemini takes a 32-bit seed.
SEED_MIN, SEED_MAX = -(2**31), 2**31 - 1
#: A hard ceiling on reference ids in one request (the model's own limit is checked too).
MAX_REFERENCES = 32
URL_NAMESPACE = "nanobanana-api"


def api_url(name: str, request: Request | None, **kwargs: Any) -> str:
    """Absolute URL of one of the API's routes, under whatever prefix the API is mounted."""
    namespace = URL_NAMESPACE
    match = getattr(request, "resolver_match", None)
    if match is not None and match.namespace:
        namespace = match.namespace
    return reverse(f"{namespace}:{name}", kwargs=kwargs or None, request=request)


def _absolute(url: str, request: Request | None) -> str:
    if request is not None and url.startswith("/") and not url.startswith("//"):
        # The scheme and host are worked out once per request, not once per URL.
        root = getattr(request, "_nanobanana_root", None)
        if root is None:
            root = request.build_absolute_uri("/")[:-1]
            request._nanobanana_root = root  # type: ignore[union-attr]
        return root + url
    return url


def requested_fields(
    request: Request | None, serializer: type[serializers.Serializer]
) -> tuple[str, ...] | None:
    """``?fields=id,title,srcset``: only these fields of each item (None: all). An unknown
    name is a 400 that lists the known ones."""
    raw = request.query_params.get("fields") if request is not None else None
    if raw is None:
        return None
    names = tuple(dict.fromkeys(n.strip() for n in raw.split(",") if n.strip()))
    known = tuple(serializer.Meta.fields)  # type: ignore[attr-defined]
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        raise serializers.ValidationError(
            {
                "fields": [
                    _("Unknown field(s): %(unknown)s. Known fields: %(known)s.")
                    % {"unknown": ", ".join(unknown) or '""', "known": ", ".join(known)}
                ]
            }
        )
    return names


# -- shared pieces --------------------------------------------------------------------------


class OwnerSerializer(serializers.Serializer):
    id = serializers.CharField(source="pk", read_only=True, help_text=_("User id."))
    username = serializers.CharField(source="get_username", read_only=True)


class RenditionSerializer(serializers.Serializer):
    url = serializers.URLField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    format = serializers.ChoiceField(choices=["avif", "webp", "jpeg", "png"])
    bytes = serializers.IntegerField()
    contrast = serializers.FloatField(
        allow_null=True,
        help_text=_(
            "WCAG 2.x contrast ratio (1-21) between the overlay's text and the pixels around "
            "its glyphs on this file; null without an overlay."
        ),
    )
    treatment = serializers.CharField(
        allow_blank=True,
        help_text=_(
            "How the overlay was drawn here: plain, shadow, scrim (automatic style) or "
            "custom; empty without an overlay."
        ),
    )


class PictureSourceSerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=["avif", "webp", "jpeg", "png"])
    mime_type = serializers.CharField()
    srcset = serializers.CharField(help_text=_("Ready for <source srcset>: 'url 320w, ...'."))


class CropSerializer(serializers.Serializer):
    ratio = serializers.CharField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    sources = PictureSourceSerializer(many=True)


class FocalPointSerializer(serializers.Serializer):
    x = serializers.FloatField(min_value=0, max_value=1)
    y = serializers.FloatField(min_value=0, max_value=1)


class VersionSummarySerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text=_("Status URL of the version."))

    class Meta:
        model = AssetVersion
        fields = (
            "id",
            "url",
            "kind",
            "state",
            "model",
            "prompt",
            "width",
            "height",
            "cost",
            "created_at",
            "finished_at",
        )
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, version: AssetVersion) -> str:
        return api_url("version-detail", self.context.get("request"), id=version.pk)


# -- versions -------------------------------------------------------------------------------


class VersionSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text=_("Status URL of the version."))
    asset = serializers.UUIDField(source="asset_id", read_only=True)
    parent = serializers.UUIDField(source="parent_id", read_only=True, allow_null=True)
    reused_from = serializers.SerializerMethodField(
        help_text=_(
            "The version of the same owner whose image the prompt cache reused (null: none, "
            "or another owner's)."
        )
    )
    created_by = serializers.CharField(source="created_by_id", read_only=True, allow_null=True)
    reason = serializers.CharField(
        source="error", read_only=True, help_text=_("Why the version failed or was blocked.")
    )
    thinking_level = serializers.SerializerMethodField()
    references = serializers.SerializerMethodField(
        help_text=_("Ids of the reference images sent with the request.")
    )
    original_url = serializers.SerializerMethodField()
    is_final = serializers.BooleanField(read_only=True)
    grounding = serializers.SerializerMethodField(
        help_text=_("Google Search grounding asked for: '', 'web' or 'web+image'.")
    )
    search_suggestions = serializers.SerializerMethodField(
        help_text=_(
            "Google's search suggestions (HTML) of a grounded image: Google's terms require "
            "showing them wherever the grounded image is shown."
        )
    )
    notices = serializers.SerializerMethodField(
        help_text=_("What the requester should know: a deprecated model, a retired model replaced.")
    )
    model_warning = serializers.SerializerMethodField(
        help_text=_("Set when the model is going away (Google's modelStatus or the registry).")
    )
    model_status = serializers.JSONField(
        read_only=True,
        help_text=_("Google's modelStatus of the answer (modelStage, retirementTime, message)."),
    )

    class Meta:
        model = AssetVersion
        fields = (
            "id",
            "url",
            "asset",
            "parent",
            "kind",
            "source",
            "state",
            "is_final",
            "error_code",
            "reason",
            "attempts",
            "prompt",
            "model",
            "aspect_ratio",
            "image_size",
            "seed",
            "thinking_level",
            "grounding",
            "references",
            "reused_from",
            "width",
            "height",
            "mime_type",
            "original_url",
            "dominant_color",
            "estimated_cost",
            "cost",
            "model_version",
            "model_status",
            "model_warning",
            "notices",
            "search_suggestions",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
        )
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, version: AssetVersion) -> str:
        return api_url("version-detail", self.context.get("request"), id=version.pk)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_thinking_level(self, version: AssetVersion) -> str | None:
        return (version.params or {}).get("thinking_level")

    @extend_schema_field(serializers.UUIDField(allow_null=True))
    def get_reused_from(self, version: AssetVersion) -> str | None:
        if not version.reused_from_id or (version.params or {}).get("reused_across_owners"):
            return None
        return str(version.reused_from_id)

    def get_grounding(self, version: AssetVersion) -> str:
        return (version.params or {}).get("grounding", "")

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_search_suggestions(self, version: AssetVersion) -> str | None:
        entry = (version.grounding_metadata or {}).get("searchEntryPoint") or {}
        return entry.get("renderedContent") or None

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_notices(self, version: AssetVersion) -> list[str]:
        return list((version.params or {}).get("notices") or [])

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_model_warning(self, version: AssetVersion) -> str | None:
        return model_warning(version.model, version.model_status)

    @extend_schema_field(serializers.ListField(child=serializers.UUIDField()))
    def get_references(self, version: AssetVersion) -> list[str]:
        return [str(r["id"]) for r in version.references or () if r.get("id")]

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_original_url(self, version: AssetVersion) -> str | None:
        if not version.original:
            return None
        return _absolute(version.original.url, self.context.get("request"))


# -- assets ---------------------------------------------------------------------------------


class AssetSerializer(serializers.ModelSerializer):
    """An asset with what a page needs to show it (renditions, srcset per format)."""

    url = serializers.SerializerMethodField()
    owner = OwnerSerializer(read_only=True, allow_null=True)
    state = serializers.ChoiceField(
        source="latest_state",
        choices=State.choices,
        read_only=True,
        allow_null=True,
        help_text=_("State of the newest version (queued, running, ... succeeded)."),
    )
    model = serializers.CharField(
        source="latest_model",
        read_only=True,
        allow_null=True,
        help_text=_("Model of the newest version."),
    )
    latest_version = serializers.SerializerMethodField(
        help_text=_("Status URL of the newest version (may still be queued or running).")
    )
    latest_version_id = serializers.UUIDField(read_only=True, allow_null=True)
    current_version = VersionSummarySerializer(
        read_only=True,
        allow_null=True,
        help_text=_("The version pages show: the newest that succeeded (or reverted to)."),
    )
    cost = serializers.DecimalField(
        source="total_cost",
        max_digits=14,
        decimal_places=6,
        read_only=True,
        allow_null=True,
        help_text=_("What every version of this asset cost together (USD)."),
    )
    width = serializers.SerializerMethodField()
    height = serializers.SerializerMethodField()
    src = serializers.SerializerMethodField(
        help_text=_("Fallback <img src>: the JPEG/PNG rendition closest to 1024 px wide.")
    )
    placeholder = serializers.SerializerMethodField(
        help_text=_("Dominant colour (#rrggbb) to show while the image loads.")
    )
    lqip = serializers.SerializerMethodField(help_text=_("A tiny blurred preview as a data: URI."))
    renditions = serializers.SerializerMethodField()
    srcset = serializers.SerializerMethodField(
        help_text=_("A ready-made srcset string per format, e.g. {'webp': 'url 320w, ...'}.")
    )
    sources = serializers.SerializerMethodField(
        help_text=_(
            "<picture> sources in the order to emit them (modern formats first), then the fallback."
        )
    )
    alt_texts = serializers.JSONField(
        read_only=True,
        help_text=_("Reviewed alt text in the site's other languages: {language: text}."),
    )
    crops = serializers.SerializerMethodField(
        help_text=_(
            "Art-directed crops (CROPS setting), cut around the focal point: ratio, size of "
            "the largest rendition and a srcset per format."
        )
    )
    page_alt_text = serializers.SerializerMethodField(
        help_text=_(
            "The alt text pages use: the reviewed one, else the suggestion when the site allows "
            "unreviewed suggestions, else ''."
        )
    )
    focal_point = serializers.SerializerMethodField(
        help_text=_("The editor's focal point {x, y} (fractions from the top left), or null.")
    )
    ai_generated = serializers.SerializerMethodField(
        help_text=_(
            "True when the current image was made by a generative model (its renditions carry "
            "IPTC DigitalSourceType trainedAlgorithmicMedia)."
        )
    )
    provenance = serializers.SerializerMethodField(
        help_text=_(
            "The C2PA provenance of the current original as read when it was stored: present, "
            "reader, claim_generator, digital_source_type, validation, ..."
        )
    )
    overlay_contrast = serializers.SerializerMethodField(
        help_text=_(
            "The lowest WCAG contrast ratio the overlay's text reached over the "
            "renditions (the automatic style aims at 4.5 or more); null without an "
            "overlay."
        )
    )
    overlay_warning = serializers.SerializerMethodField(
        help_text=_(
            "Set when the overlay's text is below 3:1 on some rendition (an "
            "explicit style that the picture defeats): hard to read for everyone."
        )
    )

    class Meta:
        model = GeneratedAsset
        fields = (
            "id",
            "url",
            "title",
            "alt_text",
            "alt_texts",
            "page_alt_text",
            "owner",
            "state",
            "model",
            "latest_version",
            "latest_version_id",
            "current_version",
            "overlay",
            "focal_point",
            "ai_generated",
            "provenance",
            "cost",
            "width",
            "height",
            "src",
            "placeholder",
            "lqip",
            "renditions",
            "srcset",
            "sources",
            "crops",
            "overlay_contrast",
            "overlay_warning",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        wanted = self.context.get("fields")
        if wanted is not None:  # ?fields= on the list (see requested_fields)
            for name in set(self.fields) - set(wanted):
                self.fields.pop(name)

    @extend_schema_field(CropSerializer(many=True))
    def get_crops(self, asset: GeneratedAsset) -> list[dict[str, Any]]:
        picture = self._picture(asset)
        if picture is None:
            return []
        return [
            {
                "ratio": crop.ratio,
                "width": crop.width,
                "height": crop.height,
                "sources": [
                    {"format": s.format, "mime_type": s.mime_type, "srcset": s.srcset}
                    for s in crop.sources
                ],
            }
            for crop in picture.crops.values()
        ]

    @extend_schema_field(serializers.CharField())
    def get_page_alt_text(self, asset: GeneratedAsset) -> str:
        picture = self._picture(asset)
        return picture.alt if picture else (asset.alt_text or "")

    @extend_schema_field(FocalPointSerializer(allow_null=True))
    def get_focal_point(self, asset: GeneratedAsset) -> dict[str, float] | None:
        if asset.focal_point_x is None or asset.focal_point_y is None:
            return None
        return {"x": asset.focal_point_x, "y": asset.focal_point_y}

    @extend_schema_field(serializers.BooleanField(allow_null=True))
    def get_ai_generated(self, asset: GeneratedAsset) -> bool | None:
        version = asset.current_version
        return None if version is None else version.kind != VersionKind.UPLOAD

    @extend_schema_field(serializers.JSONField(allow_null=True))
    def get_provenance(self, asset: GeneratedAsset) -> dict[str, Any] | None:
        version = asset.current_version
        return (version.provenance or {"present": False}) if version is not None else None

    # The picture is built once per asset from prefetched rows (see pictures.py).
    def _picture(self, asset: GeneratedAsset) -> Picture | None:
        cache = getattr(asset, "_nb_picture", False)
        if cache is False:
            cache = picture_for(asset)
            if cache is not None:
                cache = self._absolutised(cache)
            asset._nb_picture = cache  # type: ignore[attr-defined]
        return cache

    def _absolutised(self, picture: Picture) -> Picture:
        request = self.context.get("request")

        def source(src: PictureSource) -> PictureSource:
            return dataclasses.replace(
                src,
                renditions=[
                    dataclasses.replace(r, url=_absolute(r.url, request)) for r in src.renditions
                ],
            )

        crops = {
            ratio: dataclasses.replace(crop, sources=[source(s) for s in crop.sources])
            for ratio, crop in picture.crops.items()
        }
        return dataclasses.replace(
            picture,
            sources=[source(s) for s in picture.sources],
            fallback=source(picture.fallback),
            crops=crops,
        )

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, asset: GeneratedAsset) -> str:
        return api_url("asset-detail", self.context.get("request"), id=asset.pk)

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_latest_version(self, asset: GeneratedAsset) -> str | None:
        pk = getattr(asset, "latest_version_id", None)
        return api_url("version-detail", self.context.get("request"), id=pk) if pk else None

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_width(self, asset: GeneratedAsset) -> int | None:
        picture = self._picture(asset)
        return picture.width if picture else None

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_height(self, asset: GeneratedAsset) -> int | None:
        picture = self._picture(asset)
        return picture.height if picture else None

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_src(self, asset: GeneratedAsset) -> str | None:
        picture = self._picture(asset)
        return picture.src if picture else None

    @extend_schema_field(serializers.CharField())
    def get_placeholder(self, asset: GeneratedAsset) -> str:
        picture = self._picture(asset)
        return picture.placeholder if picture else ""

    @extend_schema_field(serializers.CharField())
    def get_lqip(self, asset: GeneratedAsset) -> str:
        picture = self._picture(asset)
        return picture.lqip if picture else ""

    @extend_schema_field(RenditionSerializer(many=True))
    def get_renditions(self, asset: GeneratedAsset) -> list[dict[str, Any]]:
        picture = self._picture(asset)
        if picture is None:
            return []
        return [
            {
                "url": r.url,
                "width": r.width,
                "height": r.height,
                "format": source.format,
                "bytes": r.bytes,
                "contrast": r.contrast,
                "treatment": r.treatment,
            }
            for source in (*picture.sources, picture.fallback)
            for r in source.renditions
        ]

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_overlay_contrast(self, asset: GeneratedAsset) -> float | None:
        picture = self._picture(asset)
        return picture.overlay_contrast if picture else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_overlay_warning(self, asset: GeneratedAsset) -> str | None:
        return overlay_warning(self.get_overlay_contrast(asset))

    @extend_schema_field(serializers.DictField(child=serializers.CharField()))
    def get_srcset(self, asset: GeneratedAsset) -> dict[str, str]:
        picture = self._picture(asset)
        if picture is None:
            return {}
        return {s.format: s.srcset for s in (*picture.sources, picture.fallback)}

    @extend_schema_field(PictureSourceSerializer(many=True))
    def get_sources(self, asset: GeneratedAsset) -> list[dict[str, str]]:
        picture = self._picture(asset)
        if picture is None:
            return []
        return [
            {"format": s.format, "mime_type": s.mime_type, "srcset": s.srcset}
            for s in (*picture.sources, picture.fallback)
        ]


class GenerationAcceptedSerializer(serializers.Serializer):
    """The answer to a request that queued a generation (202)."""

    asset = AssetSerializer()
    version = VersionSerializer()


# -- inputs ---------------------------------------------------------------------------------


class ReferenceIdsField(serializers.ListField):
    """Ids of reference images the requesting user may use (:mod:`..access`): an id of
    someone else's upload is refused here, like an unknown one (400, nothing revealed)."""

    def to_internal_value(self, data: Any) -> list[Any]:
        ids = super().to_internal_value(data)
        request = self.context.get("request")
        if request is None or not ids:
            return ids
        usable = {
            str(pk)
            for pk in ReferenceImage.objects.visible_to(request.user)
            .filter(pk__in=ids)
            .values_list("pk", flat=True)
        }
        unknown = [str(i) for i in ids if str(i) not in usable]
        if unknown:
            raise serializers.ValidationError(
                _("Unknown reference image: %(ids)s.") % {"ids": ", ".join(unknown)}
            )
        return ids


def _references_field(**kwargs: Any) -> serializers.ListField:
    return ReferenceIdsField(
        child=serializers.UUIDField(),
        max_length=MAX_REFERENCES,
        required=False,
        help_text=_("Ids of reference images uploaded with POST /references/."),
        **kwargs,
    )


OVERLAY_SCHEMA = {
    "type": "object",
    "nullable": True,
    "description": "Text overlay: text (required), font, size, anchor, margin_x, margin_y, "
    "max_width, min_size, color, stroke_width, stroke_color, background, "
    "background_color, background_opacity, padding, align, direction, "
    "line_spacing. See docs/api.md.",
    "additionalProperties": True,
}


@extend_schema_field(OVERLAY_SCHEMA)
class OverlayField(serializers.JSONField):
    """A text overlay spec (an object) or null; validated by the overlay service."""

    default_error_messages = {"not_object": _("The overlay must be an object or null.")}

    def to_internal_value(self, data: Any) -> Any:
        value = super().to_internal_value(data)
        if value is not None and not isinstance(value, dict):
            self.fail("not_object")
        return value


class GenerateSerializer(serializers.Serializer):
    prompt = serializers.CharField(
        trim_whitespace=False, help_text=_("What to draw (length limit per site).")
    )
    model = serializers.CharField(
        required=False, max_length=100, help_text=_("Model id from GET /models/ (default: site's).")
    )
    aspect_ratio = serializers.CharField(
        required=False, max_length=10, help_text=_("One of the model's aspect ratios.")
    )
    image_size = serializers.CharField(
        required=False, max_length=10, help_text=_("One of the model's image sizes.")
    )
    seed = serializers.IntegerField(
        required=False, allow_null=True, min_value=SEED_MIN, max_value=SEED_MAX
    )
    thinking_level = serializers.CharField(required=False, max_length=20)
    grounding = serializers.ChoiceField(
        required=False,
        choices=("", "web", "web+image"),
        default="",
        help_text=_("Google Search grounding (models that support it; billed per prompt)."),
    )
    references = _references_field()
    use_cache = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_("Reuse an identical finished image at no cost (default: site setting)."),
    )
    title = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    alt_text = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")
    overlay = OverlayField(required=False, allow_null=True, default=None)


class RegenerateSerializer(serializers.Serializer):
    version = serializers.UUIDField(
        required=False,
        help_text=_("Version to start from (default: the current one, else the newest)."),
    )
    prompt = serializers.CharField(required=False, trim_whitespace=False)
    model = serializers.CharField(required=False, max_length=100)
    aspect_ratio = serializers.CharField(required=False, max_length=10)
    image_size = serializers.CharField(required=False, max_length=10)
    seed = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=SEED_MIN,
        max_value=SEED_MAX,
        help_text=_("null: a new random seed."),
    )
    thinking_level = serializers.CharField(required=False, max_length=20)
    grounding = serializers.ChoiceField(required=False, choices=("", "web", "web+image"))
    references = _references_field()


class EditSerializer(serializers.Serializer):
    version = serializers.UUIDField(
        required=False, help_text=_("Finished version to edit (default: the current one).")
    )
    instruction = serializers.CharField(
        trim_whitespace=False, help_text=_("What to change in the image.")
    )
    references = _references_field()


class OverlayInputSerializer(serializers.Serializer):
    overlay = OverlayField(
        allow_null=True,
        help_text=_("PUT: the whole overlay (null removes it). PATCH: the fields to change."),
    )


class RevertSerializer(serializers.Serializer):
    version = serializers.UUIDField(help_text=_("A finished version of this asset."))


class AssetUpdateSerializer(serializers.Serializer):
    title = serializers.CharField(required=False, max_length=200)
    alt_text = serializers.CharField(required=False, allow_blank=True, max_length=500)
    alt_texts = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=500),
        required=False,
        help_text=_("Reviewed alt text in other languages: {language: text}."),
    )
    focal_point = FocalPointSerializer(
        required=False,
        allow_null=True,
        help_text=_("Where the subject is; crops are re-rendered around it (no provider cost)."),
    )


class DescriptionSerializer(serializers.ModelSerializer):
    """A text model's suggestion for a version and the editor's verdict."""

    version = serializers.UUIDField(source="version_id", read_only=True)
    reason = serializers.CharField(source="error", read_only=True)
    focal_point = serializers.SerializerMethodField()

    class Meta:
        model = ImageDescription
        fields = (
            "id",
            "version",
            "state",
            "review",
            "model",
            "languages",
            "alt_text",
            "description",
            "focal_point",
            "error_code",
            "reason",
            "estimated_cost",
            "cost",
            "created_at",
            "finished_at",
            "reviewed_at",
        )
        read_only_fields = fields

    @extend_schema_field(FocalPointSerializer(allow_null=True))
    def get_focal_point(self, row: ImageDescription) -> dict[str, float] | None:
        if row.focal_point_x is None or row.focal_point_y is None:
            return None
        return {"x": row.focal_point_x, "y": row.focal_point_y}


class AcceptDescriptionSerializer(serializers.Serializer):
    description = serializers.UUIDField(
        required=False,
        help_text=_("The suggestion to accept (default: the current version's newest)."),
    )
    alt_text = serializers.JSONField(
        required=False,
        help_text=_(
            "The editor's alt text: a string (first language) or {language: text}; default: "
            "the suggestion as it is."
        ),
    )
    focal_point = FocalPointSerializer(
        required=False,
        allow_null=True,
        help_text=_("The editor's focal point; default: the suggested one."),
    )

    def validate_alt_text(self, value: Any) -> Any:
        if isinstance(value, str) or (
            isinstance(value, dict)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())
        ):
            return value
        raise serializers.ValidationError(_("A string or an object of strings."))


class ReferenceUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=_("A PNG, JPEG, WebP or AVIF image."))


class ReferenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReferenceImage
        fields = (
            "id",
            "sha256",
            "mime_type",
            "width",
            "height",
            "bytes",
            "original_name",
            "created_at",
        )
        read_only_fields = fields


# -- usage and models -----------------------------------------------------------------------

GROUP_CHOICES = ("user", "model", "source", "day")


def _report_day(value: dt.date) -> dt.date:
    try:
        return reports.check_day(value)
    except ValueError as exc:
        raise serializers.ValidationError(str(exc)) from None


class UsageQuerySerializer(serializers.Serializer):
    since = serializers.DateField(
        required=False,
        help_text=_("First day (budget time zone), inclusive. Default: first day of this month."),
    )
    until = serializers.DateField(required=False, help_text=_("Last day, inclusive."))
    group_by = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=50,
        help_text=_("Comma-separated: user, model, source, day."),
    )
    model = serializers.CharField(
        required=False, max_length=100, help_text=_("Only this model id.")
    )
    source = serializers.CharField(
        required=False, max_length=16, help_text=_("Only this source: admin, api, cli or batch.")
    )
    user = serializers.CharField(
        required=False,
        max_length=150,
        help_text=_("Username (staff with nanobanana.view_usage only)."),
    )

    def validate_since(self, value: dt.date) -> dt.date:
        return _report_day(value)

    def validate_until(self, value: dt.date) -> dt.date:
        return _report_day(value)

    def validate_source(self, value: str) -> str:
        if value not in Source.values:
            raise serializers.ValidationError(
                _("Unknown source %(source)s; use %(allowed)s.")
                % {"source": value, "allowed": ", ".join(Source.values)}
            )
        return value

    def validate_group_by(self, value: str) -> tuple[str, ...]:
        groups = tuple(g.strip() for g in value.split(",") if g.strip())
        unknown = sorted(set(groups) - set(GROUP_CHOICES))
        if unknown:
            raise serializers.ValidationError(
                _("Cannot group by %(unknown)s; use %(allowed)s.")
                % {"unknown": ", ".join(unknown), "allowed": ", ".join(GROUP_CHOICES)}
            )
        return tuple(dict.fromkeys(groups))

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        since, until = attrs.get("since"), attrs.get("until")
        if since and until and since > until:
            raise serializers.ValidationError({"until": [_("Must not be before since.")]})
        return attrs


_MONEY = {"max_digits": 20, "decimal_places": 6}


class UsageRowSerializer(serializers.Serializer):
    user = serializers.CharField(required=False, help_text=_("Present when grouped by user."))
    model = serializers.CharField(required=False)
    source = serializers.CharField(required=False)
    day = serializers.DateField(required=False, allow_null=True)
    requests = serializers.IntegerField()
    succeeded = serializers.IntegerField()
    refused = serializers.IntegerField()
    images = serializers.IntegerField()
    cached = serializers.IntegerField()
    cost = serializers.DecimalField(**_MONEY)
    avoided_cost = serializers.DecimalField(**_MONEY)
    prompt_text_tokens = serializers.IntegerField()
    prompt_image_tokens = serializers.IntegerField()
    output_text_tokens = serializers.IntegerField()
    output_image_tokens = serializers.IntegerField()
    thoughts_tokens = serializers.IntegerField()


class BudgetStatusSerializer(serializers.Serializer):
    name = serializers.CharField()
    scope = serializers.CharField()
    period = serializers.CharField()
    who = serializers.CharField()
    amount_limit = serializers.DecimalField(allow_null=True, **_MONEY)
    spent = serializers.DecimalField(**_MONEY)
    reserved = serializers.DecimalField(**_MONEY)
    left = serializers.DecimalField(allow_null=True, **_MONEY)
    image_limit = serializers.IntegerField(allow_null=True)
    spent_images = serializers.IntegerField()
    reserved_images = serializers.IntegerField()
    images_left = serializers.IntegerField(allow_null=True)
    window_start = serializers.DateTimeField()
    resets_at = serializers.DateTimeField()


class UsageSerializer(serializers.Serializer):
    user = serializers.CharField(allow_null=True, help_text=_("Whose usage (null: everyone)."))
    since = serializers.DateField(allow_null=True)
    until = serializers.DateField(allow_null=True)
    group_by = serializers.ListField(child=serializers.CharField())
    rows = UsageRowSerializer(many=True)
    budgets = BudgetStatusSerializer(
        many=True,
        help_text=_("Budgets that apply and what is left of them in their current window."),
    )


class PricesSerializer(serializers.Serializer):
    input_text = serializers.DecimalField(help_text=_("USD per million tokens."), **_MONEY)
    input_image = serializers.DecimalField(**_MONEY)
    output_text = serializers.DecimalField(**_MONEY)
    output_image = serializers.DecimalField(**_MONEY)
    batch_discount = serializers.DecimalField(**_MONEY)
    grounding_per_prompt = serializers.DecimalField(
        help_text=_("USD per grounded prompt beyond the free allowance."), **_MONEY
    )
    taken_on = serializers.DateField()
    source = serializers.CharField(help_text=_("Where the prices come from."))


class DimensionSerializer(serializers.Serializer):
    aspect_ratio = serializers.CharField()
    image_size = serializers.CharField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()


class ModelSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    default = serializers.BooleanField(help_text=_("The site's default model."))
    stage = serializers.CharField(
        help_text=_(
            "preview, ga, deprecated, legacy (still served, going away) or retired (refused)."
        )
    )
    released = serializers.DateField(allow_null=True)
    shutdown = serializers.DateField(
        allow_null=True, help_text=_("When Google shuts (or shut) the model down, when known.")
    )
    replacement = serializers.CharField(
        allow_null=True, help_text=_("The model to move to when this one goes away.")
    )
    notice = serializers.CharField(allow_null=True)
    grounding = serializers.ListField(
        child=serializers.CharField(), help_text=_("Google Search grounding kinds: web, image.")
    )
    default_thinking_level = serializers.CharField(allow_null=True)
    aspect_ratios = serializers.ListField(child=serializers.CharField())
    image_sizes = serializers.ListField(
        child=serializers.CharField(), help_text=_("Empty: the model has one fixed size.")
    )
    default_image_size = serializers.CharField(allow_null=True)
    max_reference_images = serializers.IntegerField()
    max_reference_bytes = serializers.IntegerField()
    thinking_levels = serializers.ListField(child=serializers.CharField())
    supports_seed = serializers.BooleanField()
    prices = PricesSerializer()
    image_costs = serializers.DictField(
        child=serializers.DecimalField(**_MONEY),
        help_text=_("Output cost of one image (USD) by image size."),
    )
    dimensions = DimensionSerializer(
        many=True, help_text=_("Output pixel size for each aspect ratio and image size.")
    )


# -- errors ---------------------------------------------------------------------------------


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
