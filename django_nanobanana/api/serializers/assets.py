"""Assets: what a page needs to show one (renditions, srcset per format), the answer
to a queued generation, and the inputs that change an asset (title, alt text, revert)."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ...models import GeneratedAsset, State, VersionKind
from ...pictures import Picture, PictureSource, overlay_warning, picture_for
from .common import (
    CropSerializer,
    FocalPointSerializer,
    OwnerSerializer,
    PictureSourceSerializer,
    RenditionSerializer,
    absolute_url,
    api_url,
)
from .versions import VersionSerializer, VersionSummarySerializer


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
                "sources": [_source_data(s) for s in crop.sources],
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

    def _picture_value(self, asset: GeneratedAsset, name: str, default: Any = None) -> Any:
        """An attribute of the asset's picture, ``default`` without one (no image yet)."""
        picture = self._picture(asset)
        return getattr(picture, name) if picture else default

    def _absolutised(self, picture: Picture) -> Picture:
        request = self.context.get("request")

        def source(src: PictureSource) -> PictureSource:
            return dataclasses.replace(
                src,
                renditions=[
                    dataclasses.replace(r, url=absolute_url(r.url, request)) for r in src.renditions
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
        return self._picture_value(asset, "width")

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_height(self, asset: GeneratedAsset) -> int | None:
        return self._picture_value(asset, "height")

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_src(self, asset: GeneratedAsset) -> str | None:
        return self._picture_value(asset, "src")

    @extend_schema_field(serializers.CharField())
    def get_placeholder(self, asset: GeneratedAsset) -> str:
        return self._picture_value(asset, "placeholder", "")

    @extend_schema_field(serializers.CharField())
    def get_lqip(self, asset: GeneratedAsset) -> str:
        return self._picture_value(asset, "lqip", "")

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
        return self._picture_value(asset, "overlay_contrast")

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
        return [_source_data(s) for s in (*picture.sources, picture.fallback)]


class GenerationAcceptedSerializer(serializers.Serializer):
    """The answer to a request that queued a generation (202)."""

    asset = AssetSerializer()
    version = VersionSerializer()


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


def _source_data(source: PictureSource) -> dict[str, str]:
    """One <picture> source as the API shows it (format, MIME type, srcset)."""
    return {"format": source.format, "mime_type": source.mime_type, "srcset": source.srcset}
