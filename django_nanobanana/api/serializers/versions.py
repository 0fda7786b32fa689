"""Versions: the summary nested in an asset and the full status of one generation."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ...models import AssetVersion
from ...providers.models_registry import model_warning
from ...services.params import REQUEST_FIELDS
from .common import absolute_url, api_url


# A version with its status URL (``url``); the subclasses name their fields. No docstring:
# the schema would give it to the subclasses as their description.
class VersionLinkSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text=_("Status URL of the version."))

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, version: AssetVersion) -> str:
        return api_url("version-detail", self.context.get("request"), id=version.pk)


class VersionSummarySerializer(VersionLinkSerializer):
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


class VersionSerializer(VersionLinkSerializer):
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
            *REQUEST_FIELDS,
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

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_thinking_level(self, version: AssetVersion) -> str | None:
        return (version.params or {}).get("thinking_level")

    @extend_schema_field(serializers.UUIDField(allow_null=True))
    def get_reused_from(self, version: AssetVersion) -> str | None:
        reused = version.visible_reused_from_id
        return str(reused) if reused else None

    def get_grounding(self, version: AssetVersion) -> str:
        return (version.params or {}).get("grounding", "")

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_search_suggestions(self, version: AssetVersion) -> str | None:
        return version.search_suggestions or None

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_notices(self, version: AssetVersion) -> list[str]:
        return version.notices

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
        return absolute_url(version.original.url, self.context.get("request"))
