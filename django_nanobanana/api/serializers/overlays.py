"""Text overlays: the spec field (validated by the overlay service) and PUT/PATCH input."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

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


class OverlayInputSerializer(serializers.Serializer):
    overlay = OverlayField(
        allow_null=True,
        help_text=_("PUT: the whole overlay (null removes it). PATCH: the fields to change."),
    )
