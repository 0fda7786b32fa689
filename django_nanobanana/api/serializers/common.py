"""What the API's serializers share: URLs of its routes, ``?fields=``, limits and
the small nested shapes (owner, rendition, <picture> source, crop, focal point)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.reverse import reverse

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


def absolute_url(url: str, request: Request | None) -> str:
    """A site-relative URL (a storage's /media/...) made absolute for the request."""
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


#: Money fields: USD with six decimals.
MONEY = {"max_digits": 20, "decimal_places": 6}


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
