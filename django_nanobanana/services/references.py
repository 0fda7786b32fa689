"""Reference images: validated by the safe decoder, stored once per owner and content,
deleted when no version has used them for ``REFERENCE_RETENTION_DAYS``."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_q.models import Schedule

from ..access import real_user
from ..conf import nanobanana_settings
from ..exceptions import RequestValidationError
from ..imaging.decode import DecodedImage, ImageValidationError, decode_image, sha256_hex
from ..models import AssetVersion, GeneratedAsset, ReferenceImage
from ..providers import ReferenceImage as ProviderReference
from ..storage import delete_files, get_storage, reference_name, save_exact
from . import queue

logger = logging.getLogger(__name__)

_MIME = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "AVIF": "image/avif"}

#: The largest reference any provider takes (the registry's per-reference limit through
#: the Files API); uploads above it are refused before they are read into memory whole.
MAX_REFERENCE_BYTES = 20 * 1024 * 1024


def validate_reference(data: bytes) -> DecodedImage:
    """Decode an uploaded reference safely (format allow-list, pixel limit, size);
    :class:`RequestValidationError` on ``references`` when it is not acceptable.
    Stores nothing: forms call it before anything is written."""
    if len(data) > MAX_REFERENCE_BYTES:
        raise RequestValidationError(
            {
                "references": [
                    _("Reference images may be at most %(mb)d MB.")
                    % {"mb": MAX_REFERENCE_BYTES // (1024 * 1024)}
                ]
            }
        )
    try:
        return decode_image(
            data,
            allowed_formats=nanobanana_settings.ALLOWED_INPUT_FORMATS,
            max_pixels=nanobanana_settings.MAX_INPUT_PIXELS,
        )
    except ImageValidationError as exc:
        raise RequestValidationError({"references": [exc.message]}) from None


def store_reference(data: bytes, *, user: Any = None, name: str = "") -> ReferenceImage:
    """Validate an uploaded image and store it (once per owner and content)."""
    decoded = validate_reference(data)
    user = real_user(user)
    digest = sha256_hex(data)
    now = timezone.now()
    existing = ReferenceImage.objects.filter(uploaded_by=user, sha256=digest).first()
    if existing:
        ReferenceImage.objects.filter(pk=existing.pk).update(last_used_at=now)
        return existing
    mime = _MIME.get(decoded.format.upper(), decoded.mime_type)
    saved = save_exact(reference_name(digest, mime), data)
    try:
        with transaction.atomic():
            return ReferenceImage.objects.create(
                sha256=digest,
                file=saved,
                mime_type=mime,
                width=decoded.width,
                height=decoded.height,
                bytes=len(data),
                original_name=name[:255],
                uploaded_by=user,
                last_used_at=now,
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
        raise RequestValidationError(
            {
                "references": [
                    _("The image %(title)s has no finished version to use as a reference.")
                    % {"title": asset.title}
                ]
            }
        )
    with version.original.open("rb") as handle:
        return store_reference(handle.read(), user=user, name=f"{asset.title}.png")


def resolve_references(ids: Sequence[Any], *, user: Any = None) -> list[ReferenceImage]:
    """Look up reference ids ``user`` may use (:func:`django_nanobanana.access.
    usable_references`: their own uploads; staff with ``view_referenceimage``: any).
    Without a user (command line, batch files) only references stored without one."""
    ids = [str(i) for i in ids]
    if not ids:
        return []
    queryset = ReferenceImage.objects.filter(pk__in=ids)
    if user is None:
        queryset = queryset.filter(uploaded_by=None)
    else:
        queryset = queryset.visible_to(user)
    found = {str(r.pk): r for r in queryset}
    missing = [i for i in ids if i not in found]
    if missing:
        raise RequestValidationError(
            {"references": [_("Unknown reference image: %(ids)s.") % {"ids": ", ".join(missing)}]}
        )
    ReferenceImage.objects.filter(pk__in=list(found)).update(last_used_at=timezone.now())
    return [found[i] for i in ids]


def describe(references: Sequence[ReferenceImage]) -> list[dict[str, Any]]:
    """What a version records of its references (no bytes, no keys)."""
    return [
        {
            "id": str(r.pk),
            "sha256": r.sha256,
            "name": r.file.name,
            "mime_type": r.mime_type,
            "width": r.width,
            "height": r.height,
            "bytes": r.bytes,
        }
        for r in references
    ]


def load_for_request(recorded: Sequence[dict[str, Any]]) -> list[ProviderReference]:
    """Read recorded references back from storage for a provider request."""
    storage = get_storage()
    out = []
    for ref in recorded:
        with storage.open(ref["name"], "rb") as handle:
            out.append(ProviderReference(data=handle.read(), mime_type=ref["mime_type"]))
    return out


# -- clean-up ----------------------------------------------------------------------------------


def _used_by_versions() -> tuple[set[str], set[str]]:
    """Ids and file names of every reference some version records (any state: queued
    work, regenerations and follow-up edits read them back)."""
    ids: set[str] = set()
    names: set[str] = set()
    recorded = (
        AssetVersion.objects.exclude(references=[]).order_by().values_list("references", flat=True)
    )
    for references in recorded.iterator(chunk_size=2000):
        for ref in references or ():
            if isinstance(ref, dict):
                ids.add(str(ref.get("id") or ""))
                names.add(str(ref.get("name") or ""))
    return ids, names


def delete_unused_references(
    *, older_than: timedelta | None = None, now: datetime | None = None, dry_run: bool = False
) -> dict[str, int]:
    """Delete reference images that no version uses and nobody uploaded or used for
    ``older_than`` (default ``REFERENCE_RETENTION_DAYS``): the rows, and each file once no
    remaining row or version names it (files are shared by identical uploads).

    Returns ``{"references": rows deleted, "files": files deleted}`` (what would be
    deleted with ``dry_run``). Does nothing when no period is given or configured.
    """
    if older_than is None:
        days = nanobanana_settings.REFERENCE_RETENTION_DAYS
        if days is None:
            return {"references": 0, "files": 0}
        older_than = timedelta(days=float(days))
    cutoff = (now or timezone.now()) - older_than
    stale = Q(last_used_at__lt=cutoff) | Q(last_used_at__isnull=True, created_at__lt=cutoff)
    candidates = list(ReferenceImage.objects.filter(stale).values_list("pk", "file"))
    if not candidates:
        return {"references": 0, "files": 0}
    used_ids, used_names = _used_by_versions()
    doomed = [(pk, name) for pk, name in candidates if str(pk) not in used_ids]
    if dry_run:
        names = {name for _pk, name in doomed}
        kept = set(
            ReferenceImage.objects.filter(file__in=names)
            .exclude(pk__in=[pk for pk, _n in doomed])
            .values_list("file", flat=True)
        )
        return {"references": len(doomed), "files": len(names - kept - used_names)}
    deleted = 0
    names: set[str] = set()
    with transaction.atomic():
        for pk, name in doomed:
            # Conditional: a reference uploaded or used again meanwhile stays.
            count, _by_model = ReferenceImage.objects.filter(stale, pk=pk).delete()
            if count:
                deleted += 1
                names.add(name)
        kept = set(ReferenceImage.objects.filter(file__in=names).values_list("file", flat=True))
        files = sorted(names - kept - used_names)
        delete_files(files)  # after the commit
    if deleted:
        logger.info("deleted %d unused reference images (%d files)", deleted, len(files))
    return {"references": deleted, "files": len(files)}


def ensure_cleanup_schedule(**kwargs: Any) -> None:
    """Create or remove the daily django-q2 schedule that deletes unused references
    (post_migrate hook, like the reaper's)."""
    queue.ensure_schedule(
        "nanobanana-reference-cleanup",
        "django_nanobanana.tasks.delete_unused_references",
        enabled=nanobanana_settings.REFERENCE_RETENTION_DAYS is not None,
        schedule_type=Schedule.DAILY,
    )
