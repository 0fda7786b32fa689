"""Descriptions: a text model's suggested alt text and focal point, and accepting it."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ...models import ImageDescription
from .common import FocalPointSerializer


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
