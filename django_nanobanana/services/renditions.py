"""Renditions of a version: decode once, resize many, encode each, one row per file.

The full set (``RENDITION_WIDTHS`` x ``RENDITION_FORMATS``) and the art-directed crops
(:mod:`.crops`: extra aspect ratios cut around the focal point) are written the same way:
files first, rows after; if anything fails, the files the call wrote are deleted again,
so there are no orphans and no rows pointing at missing files.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from django.db import IntegrityError, transaction

from ..conf import nanobanana_settings
from ..imaging.crops import crop_box
from ..imaging.decode import DecodedImage, decode_image
from ..imaging.disclosure import RenditionSigner, xmp_packet
from ..imaging.overlay import OverlaySpec, OverlayValidationError
from ..imaging.renditions import RenderedFile, render_one, render_renditions
from ..models import AssetVersion, Rendition, VersionKind
from ..storage import delete_files, rendition_name, save_exact
from .crops import crop_ratios, focal_point_of

logger = logging.getLogger(__name__)


def overlay_spec(data: dict | None) -> OverlaySpec | None:
    return OverlaySpec.from_dict(data) if data else None


def overlay_hash(spec: OverlaySpec | None) -> str:
    return spec.digest() if spec is not None else ""


def drawn_fields(rendered: RenderedFile) -> dict[str, Any]:
    """The overlay's measured contrast and treatment, as Rendition fields."""
    treatment = rendered.treatment
    return {"contrast": rendered.contrast, "treatment": treatment.kind if treatment else ""}


def decode_original(version: AssetVersion) -> DecodedImage:
    with version.original.open("rb") as handle:
        data = handle.read()
    return decode_image(
        data,
        allowed_formats=nanobanana_settings.ALLOWED_INPUT_FORMATS,
        max_pixels=nanobanana_settings.MAX_INPUT_PIXELS,
    )


def _options(version: AssetVersion | None = None) -> dict[str, Any]:
    return {
        "widths": tuple(nanobanana_settings.RENDITION_WIDTHS),
        "formats": tuple(nanobanana_settings.RENDITION_FORMATS),
        "quality": dict(nanobanana_settings.RENDITION_QUALITY),
        "avif_speed": nanobanana_settings.AVIF_SPEED,
        "xmp": disclosure_xmp(version) if version is not None else None,
    }


def rendition_signer(version: AssetVersion) -> Any:
    """A callable ``(bytes, mime type) -> signed bytes`` when ``C2PA_SIGNING`` is set (the
    original read once, as the ingredient), else None."""
    config = nanobanana_settings.C2PA_SIGNING
    if not config:
        return None
    with version.original.open("rb") as handle:
        original = handle.read()
    return RenditionSigner(
        config, original=original, original_mime=version.mime_type, model=version.model
    )


def signed(signer: Any, rendered: RenderedFile) -> bytes:
    """The rendition's bytes, signed when a signer is configured; a signing failure (a bad
    certificate, c2pa-python missing) is logged and the rendition kept unsigned."""
    if not signer:
        return rendered.content
    try:
        return signer(rendered.content, rendered.mime_type)
    except Exception:
        logger.exception("C2PA signing of a %s rendition failed; stored unsigned", rendered.format)
        return rendered.content


def disclosure_xmp(version: AssetVersion) -> bytes | None:
    """The AI disclosure every rendition of a generated version carries (IPTC
    DigitalSourceType trainedAlgorithmicMedia and the model, in XMP); None for uploads."""
    if version.kind == VersionKind.UPLOAD:
        return None
    return xmp_packet(model=version.model, model_version=version.model_version or "")


def write_renditions(
    version: AssetVersion, overlay: dict | None, *, decoded: DecodedImage | None = None
) -> list[Rendition]:
    """Write the full set for ``version`` with ``overlay`` (idempotent: existing rows stay),
    and its crops. ``decoded`` (the original, already decoded) is consumed: its pixels are
    freed."""
    spec = overlay_spec(overlay)
    digest = overlay_hash(spec)
    existing = {
        (r.format, r.width): r for r in version.renditions.filter(overlay_hash=digest, crop="")
    }
    decoded = decoded or decode_original(version)
    # Crops first: the full set frees the decoded frame as it goes.
    write_crops(version, spec, decoded=decoded)
    signer = rendition_signer(version)
    written: list[str] = []
    rows: list[Rendition] = []
    try:
        # The decoded frame (68 MB in memory for 4K) is freed once the largest size is
        # made: callers pass it for this last use only (crops were cut from it first).
        for rendered in render_renditions(
            decoded, overlay=spec, release_source=True, **_options(version)
        ):
            if (rendered.format, rendered.width) not in existing:
                rows.append(_store(version, digest, rendered, signer, written))
        with transaction.atomic():
            Rendition.objects.bulk_create(rows, ignore_conflicts=True)
    except BaseException:
        delete_files(written, on_commit=False)
        raise
    return list(version.renditions.filter(overlay_hash=digest))


def ensure_rendition(
    version: AssetVersion, overlay: dict | None, width: int, fmt: str
) -> Rendition:
    """One rendition, written on demand if it is missing."""
    spec = overlay_spec(overlay)
    digest = overlay_hash(spec)
    found = version.renditions.filter(overlay_hash=digest, crop="", width=width, format=fmt).first()
    if found:
        return found
    rendered = render_one(
        decode_original(version),
        width,
        fmt,
        overlay=spec,
        quality=dict(nanobanana_settings.RENDITION_QUALITY),
        avif_speed=nanobanana_settings.AVIF_SPEED,
        xmp=disclosure_xmp(version),
    )
    row = _store(version, digest, rendered, rendition_signer(version), [])
    try:
        row.save(force_insert=True)
        return row
    except IntegrityError:  # written concurrently by another request: same name, same bytes
        return version.renditions.get(
            overlay_hash=digest, crop="", width=rendered.width, format=rendered.format
        )


def drop_other_overlays(version: AssetVersion, keep_hash: str) -> None:
    """Delete renditions made for an overlay the asset no longer uses (files on commit)."""
    for rendition in version.renditions.exclude(overlay_hash=keep_hash):
        rendition.delete()


def _store(
    version: AssetVersion,
    digest: str,
    rendered: RenderedFile,
    signer: Any,
    written: list[str],
    *,
    crop: str = "",
    box: str = "",
) -> Rendition:
    """Write one rendered file (signed when a signer is configured) under its
    deterministic name, add the name to ``written`` and return its row, not saved yet.
    ``crop``/``box``: an art-directed crop's ratio and box ("" for the full image)."""
    tag = f"{crop.replace(':', 'x')}-{hashlib.sha256(box.encode()).hexdigest()[:8]}" if crop else ""
    name = rendition_name(
        version.asset_id, version.pk, digest, rendered.width, rendered.extension, crop=tag
    )
    content = signed(signer, rendered)
    written.append(save_exact(name, content))
    return Rendition(
        version=version,
        overlay_hash=digest,
        crop=crop,
        crop_box=box,
        width=rendered.width,
        height=rendered.height,
        format=rendered.format,
        file=written[-1],
        bytes=len(content),
        **drawn_fields(rendered),
    )


def _box_text(box: tuple[int, int, int, int]) -> str:
    return ",".join(str(v) for v in box)


def write_crops(
    version: AssetVersion, spec: OverlaySpec | None, *, decoded: DecodedImage | None = None
) -> list[Rendition]:
    """Write every configured crop of ``version`` for the overlay ``spec`` (idempotent;
    a crop whose box moved is replaced). Files first, rows after; on failure the files
    this call wrote are deleted."""
    ratios = crop_ratios()
    if not ratios:
        return []
    digest = overlay_hash(spec)
    decoded = decoded or decode_original(version)
    image = decoded.image
    focal = focal_point_of(version)
    options = _options(version)
    widths = nanobanana_settings.CROPS.get("WIDTHS")
    if widths:
        options["widths"] = tuple(widths)
    signer = rendition_signer(version)
    written: list[str] = []
    rows: list[Rendition] = []
    stale: list[Rendition] = []
    try:
        for ratio in ratios:
            box = crop_box(image.width, image.height, ratio, focal)
            box_text = _box_text(box)
            current = list(version.renditions.filter(overlay_hash=digest, crop=ratio))
            if current and all(r.crop_box == box_text for r in current):
                continue
            stale += current
            try:
                rendered_files = list(
                    render_renditions(
                        image.crop(box), overlay=spec, has_alpha=decoded.has_alpha, **options
                    )
                )
            except OverlayValidationError as exc:
                logger.warning(
                    "version %s: the overlay does not fit the %s crop: %s", version.pk, ratio, exc
                )
                continue
            for rendered in rendered_files:
                rows.append(
                    _store(version, digest, rendered, signer, written, crop=ratio, box=box_text)
                )
        with transaction.atomic():
            for row in stale:
                row.delete()  # its file goes once this commits
            Rendition.objects.bulk_create(rows, ignore_conflicts=True)
    except BaseException:
        delete_files(written, on_commit=False)
        raise
    return rows
