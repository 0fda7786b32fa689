"""Copy a generated image into Wagtail's image library, so ``{% image %}`` templates work."""

from __future__ import annotations

import hashlib
import os
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from .. import require

require("wagtail")

from wagtail.images import get_image_model  # noqa: E402

from ...exceptions import StateConflict  # noqa: E402
from ...models import GeneratedAsset, Rendition  # noqa: E402
from ...storage import EXTENSIONS  # noqa: E402

_EXT_BY_FORMAT = {"jpeg": "jpg", "png": "png", "webp": "webp", "avif": "avif"}


def _source(asset: GeneratedAsset, with_overlay: bool) -> tuple[Any, str, int, int]:
    """(file, extension, width, height): the original, or with the overlay drawn, the widest
    JPEG/PNG rendition of the rendered overlay (the overlay exists on renditions only)."""
    version = asset.current_version
    if version is None or not version.original:
        raise StateConflict(_("This image has no finished version to copy yet."))
    if with_overlay and asset.rendered_overlay_hash:
        rendition = (
            Rendition.objects.filter(
                version=version,
                overlay_hash=asset.rendered_overlay_hash,
                format__in=("jpeg", "png"),
            )
            .order_by("-width")
            .first()
        )
        if rendition is not None:
            return (
                rendition.file,
                _EXT_BY_FORMAT[rendition.format],
                rendition.width,
                rendition.height,
            )
    ext = EXTENSIONS.get(version.mime_type) or (
        os.path.splitext(version.original.name)[1].lstrip(".") or "png"
    )
    return version.original, ext, version.width or 0, version.height or 0


def copy_to_image_library(
    asset: GeneratedAsset, *, user: Any = None, collection: Any = None, with_overlay: bool = True
) -> Any:
    """Create (or find) a Wagtail ``Image`` holding the asset's current version.

    The same bytes are copied only once: an image with the same file hash is returned
    instead of a duplicate. ``with_overlay`` (default) copies the picture as pages show it,
    text overlay included, at its largest rendition; otherwise the original.
    """
    Image = get_image_model()
    source, ext, width, height = _source(asset, with_overlay)
    with source.open("rb") as handle:
        data = handle.read()
    file_hash = hashlib.sha1(data, usedforsecurity=False).hexdigest()
    existing = Image.objects.filter(file_hash=file_hash).first()
    if existing is not None:
        return existing
    name = f"{slugify(asset.title)[:60] or 'generated'}-{str(asset.pk)[:8]}.{ext}"
    image = Image(
        title=asset.title[:255],
        uploaded_by_user=user,
        width=width,
        height=height,
        file_size=len(data),
        file_hash=file_hash,
    )
    if collection is not None:
        image.collection = collection
    fx, fy = asset.focal_point_x, asset.focal_point_y
    if fx is not None and fy is not None and 0 <= fx <= 1 and 0 <= fy <= 1 and width:
        # The asset's focal point is a fraction of the image (0..1); Wagtail's is in pixels.
        image.focal_point_x = round(fx * width)
        image.focal_point_y = round(fy * height)
        image.focal_point_width = image.focal_point_height = max(1, round(min(width, height) / 10))
    with transaction.atomic():
        image.file.save(name, ContentFile(data), save=False)
        # Saving the file resets the dimension fields; the version knows them already.
        image.width, image.height = width, height
        image.save()
    return image
