"""Reference images: the upload, its answer, and the ids a request may name."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ...models import ReferenceImage
from .common import MAX_REFERENCES


class ReferenceIdsField(serializers.ListField):
    """Ids of reference images the requesting user may use (:mod:`...access`): an id of
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


def references_field(**kwargs: Any) -> serializers.ListField:
    """The ``references`` input of a generation, regeneration or edit."""
    return ReferenceIdsField(
        child=serializers.UUIDField(),
        max_length=MAX_REFERENCES,
        required=False,
        help_text=_("Ids of reference images uploaded with POST /references/."),
        **kwargs,
    )


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
