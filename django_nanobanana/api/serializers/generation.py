"""Inputs of the requests that queue a generation: create, regenerate, edit."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from .common import SEED_MAX, SEED_MIN
from .overlays import OverlayField
from .references import references_field


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
    references = references_field()
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
    references = references_field()


class EditSerializer(serializers.Serializer):
    version = serializers.UUIDField(
        required=False, help_text=_("Finished version to edit (default: the current one).")
    )
    instruction = serializers.CharField(
        trim_whitespace=False, help_text=_("What to change in the image.")
    )
    references = references_field()
