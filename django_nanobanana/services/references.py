"""Reference images: validated by the safe decoder, stored once per owner and content."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from ..conf import nanobanana_settings
from ..exceptions import RequestValidationError
from ..imaging.decode import ImageValidationError, decode_image, sha256_hex
from ..models import GeneratedAsset, ReferenceImage
from ..providers import ReferenceImage as ProviderReference
from ..storage import delete_files, reference_name, save_exact

_MIME = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "AVIF": "image/avif"}


def store_reference(data: bytes, *, user: Any = None, name: str = "") -> ReferenceImage:
    """Validate an uploaded image and store it (once per owner and content)."""
    try:
        decoded = decode_image(
            data,
            allowed_formats=nanobanana_settings.ALLOWED_INPUT_FORMATS,
            max_pixels=nanobanana_settings.MAX_INPUT_PIXELS,
        )
    except ImageValidationError as exc:
        raise RequestValidationError({"references": [exc.message]}) from None
    user = user if getattr(user, "is_authenticated", False) else None
    digest = sha256_hex(data)
    existing = ReferenceImage.objects.filter(uploaded_by=user, sha256=digest).first()
    if existing:
        return existing
    mime = _MIME.get(decoded.format.upper(), decoded.mime_type)
    saved = save_exact(reference_name(digest, mime), data)
    try:
        with transaction.atomic():
            return ReferenceImage.objects.create(
                sha256=digest, file=saved, mime_type=mime, width=decoded.width,
                height=decoded.height, bytes=len(data), original_name=name[:255], uploaded_by=user,
            )
    except IntegrityError:  # the same upload raced us: keep the first row and file
        return ReferenceImage.objects.get(uploaded_by=user, sha256=digest)
    except Exception:
        if not ReferenceImage.objects.filter(sha256=digest).exists():
            delete_files([saved], on_commit=False)
        raise


def reference_from_asset(asset: GeneratedAsset, *, user: Any = None) -> ReferenceImage:
    """Use an asset's current image as a reference."""
    version = asset.current_version
    if version is None or not version.original:
        raise RequestValidationError({"references": [
            _("The image %(title)s has no finished version to use as a reference.")
            % {"title": asset.title}
        ]})
    with version.original.open("rb") as handle:
        return store_reference(handle.read(), user=user, name=f"{asset.title}.png")


def resolve_references(ids: Sequence[Any], *, user: Any = None) -> list[ReferenceImage]:
    """Look up reference ids the user may use (their own uploads; staff: any)."""
    ids = [str(i) for i in ids]
    if not ids:
        return []
    queryset = ReferenceImage.objects.filter(pk__in=ids)
    if not getattr(user, "is_staff", False):
        queryset = queryset.filter(uploaded_by=user if getattr(user, "pk", None) else None)
    found = {str(r.pk): r for r in queryset}
    missing = [i for i in ids if i not in found]
    if missing:
        raise RequestValidationError({"references": [
            _("Unknown reference image: %(ids)s.") % {"ids": ", ".join(missing)}
        ]})
    return [found[i] for i in ids]


def describe(references: Sequence[ReferenceImage]) -> list[dict[str, Any]]:
    """What a version records of its references (no bytes, no keys)."""
    return [
        {"id": str(r.pk), "sha256": r.sha256, "name": r.file.name, "mime_type": r.mime_type,
         "width": r.width, "height": r.height, "bytes": r.bytes}
        for r in references
    ]


def load_for_request(recorded: Sequence[dict[str, Any]]) -> list[ProviderReference]:
    """Read recorded references back from storage for a provider request."""
    from ..storage import get_storage

    storage = get_storage()
    out = []
    for ref in recorded:
        with storage.open(ref["name"], "rb") as handle:
            out.append(ProviderReference(data=handle.read(), mime_type=ref["mime_type"]))
    return out
