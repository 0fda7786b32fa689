"""The models endpoint: each image model of the registry with its capabilities and prices."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from .common import MONEY


class PricesSerializer(serializers.Serializer):
    input_text = serializers.DecimalField(help_text=_("USD per million tokens."), **MONEY)
    input_image = serializers.DecimalField(**MONEY)
    output_text = serializers.DecimalField(**MONEY)
    output_image = serializers.DecimalField(**MONEY)
    batch_discount = serializers.DecimalField(**MONEY)
    grounding_per_prompt = serializers.DecimalField(
        help_text=_("USD per grounded prompt beyond the free allowance."), **MONEY
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
        child=serializers.DecimalField(**MONEY),
        help_text=_("Output cost of one image (USD) by image size."),
    )
    dimensions = DimensionSerializer(
        many=True, help_text=_("Output pixel size for each aspect ratio and image size.")
    )
