"""Asset-level flows: make a version current, revert, change the overlay, delete."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import signals
from ..exceptions import RequestValidationError, StateConflict
from ..imaging.decode import DecodedImage
from ..imaging.overlay import OverlaySpec, OverlayValidationError, check_fits
from ..models import AssetVersion, GeneratedAsset, State
from . import queue
from .renditions import drop_other_overlays, overlay_hash, overlay_spec, write_renditions
from .transitions import cancel

logger = logging.getLogger(__name__)


def validate_overlay(data: dict | None, *, size: tuple[int, int] | None = None) -> dict | None:
    """Validate an overlay spec (and that it fits an image of ``size``); None clears it."""
    if not data:
        return None
    try:
        spec = OverlaySpec.from_dict(data)
        if size:
            check_fits(spec, *size)
    except OverlayValidationError as exc:
        raise RequestValidationError(
            {f"overlay.{field}": list(messages) for field, messages in exc.field_errors.items()}
        ) from None
    return spec.to_dict()


def merged_overlay(asset: GeneratedAsset | None, changes: dict | None) -> dict | None:
    """The overlay after a partial change (the API's PATCH, the django CMS plugin's
    overlay fields): the fields in ``changes`` replace the asset's (none for no asset), the
    others stay; ``None`` removes the overlay. Validated later, by :func:`rerender_overlay`."""
    if changes is None:
        return None
    return {**((asset.overlay if asset is not None else None) or {}), **changes}


def is_settled(version: AssetVersion) -> bool:
    """Whether there is nothing more to wait for: a final state, and for a success its
    renditions written and the asset moved on (it is current, or a newer version is). With
    separate I/O and CPU clusters a version succeeds before the CPU side publishes it."""
    if not version.is_final:
        return False
    if version.state != State.SUCCEEDED:
        return True
    current = (
        AssetVersion.objects.filter(pk=version.asset.current_version_id)
        .values_list("pk", "created_at")
        .first()
    )
    if current is not None and (current[0] == version.pk or current[1] > version.created_at):
        return True
    return version.renditions.exists()


def make_current(
    asset: GeneratedAsset,
    version: AssetVersion,
    *,
    force: bool = False,
    decoded: DecodedImage | None = None,
) -> GeneratedAsset:
    """Write ``version``'s renditions for the asset's overlay, then make it current.

    Without ``force`` (a generation finishing) a version never replaces a newer one that
    finished first; ``force`` (an editor's revert) always does.
    """
    if version.state != State.SUCCEEDED or not version.original:
        raise StateConflict(_("Only a finished image can be made current."))
    try:
        write_renditions(version, asset.overlay, decoded=decoded)
        digest = overlay_hash(overlay_spec(asset.overlay))
    except Exception:
        # The image is kept; renditions can be written on demand later.
        logger.exception("renditions of version %s failed", version.pk)
        digest = ""
    queryset = GeneratedAsset.objects.filter(pk=asset.pk)
    if not force:
        queryset = queryset.filter(
            Q(current_version__isnull=True) | Q(current_version__created_at__lte=version.created_at)
        )
    updated = queryset.update(
        current_version=version, rendered_overlay_hash=digest, updated_at=timezone.now()
    )
    asset.refresh_from_db()
    if updated:
        signals.asset_updated.send(sender=GeneratedAsset, asset=asset, reason="current_version")
    return asset


def publish(version_id: Any, *, decoded: DecodedImage | None = None) -> GeneratedAsset | None:
    """A version just finished: write its renditions and make it current (unless a newer
    one finished first). Runs in the generation's task, or as a task of its own on the
    CPU cluster when ``CPU_QUEUE_NAME`` names a separate one. None if the version is gone
    or did not succeed."""
    version = (
        AssetVersion.objects.select_related("asset")
        .filter(pk=version_id, state=State.SUCCEEDED)
        .exclude(original="")
        .first()
    )
    if version is None:
        return None
    return make_current(version.asset, version, decoded=decoded)


def default_base_version(asset: GeneratedAsset) -> AssetVersion | None:
    """The version a regeneration or an edit of ``asset`` starts from when the caller names
    none: the current one, else the newest (a first generation not finished yet). None: the
    image has no version. The services decide whether that version may be edited."""
    return asset.current_version or asset.versions.order_by("-created_at").first()


def revert(asset: GeneratedAsset, version: AssetVersion, *, user: Any = None) -> GeneratedAsset:
    """Make an earlier finished version current again (renditions written if missing)."""
    if version.asset_id != asset.pk:
        raise StateConflict(_("That version belongs to another image."))
    return make_current(asset, version, force=True)


#: A render queued longer ago than this is presumed lost: the next overlay change queues
#: another one instead of waiting for it.
RENDER_PENDING_SECONDS = 600
#: Overlay changes a render task catches up with before it hands over to a new task.
MAX_RENDER_ROUNDS = 5


def _render_pending(row: dict[str, Any]) -> bool:
    """Was a render of this asset queued and not finished (before this change)?

    A render is pending while the current version's renditions are not those of the
    overlay (``rendered_overlay_hash`` behind the overlay), unless the change that asked
    for it is older than :data:`RENDER_PENDING_SECONDS` (its task was lost).
    """
    if row["current_version_id"] is None:
        return False
    try:
        wanted = overlay_hash(overlay_spec(row["overlay"]))
    except OverlayValidationError:
        return False
    if wanted == row["rendered_overlay_hash"]:
        return False
    age = (timezone.now() - row["updated_at"]).total_seconds()
    return age < RENDER_PENDING_SECONDS


def rerender_overlay(
    asset: GeneratedAsset, spec: dict | None, *, user: Any = None, enqueue: bool = True
) -> GeneratedAsset:
    """Change the overlay and re-render the current version's renditions; no generation,
    no cost. Pages keep the previous renditions until the new set is complete.

    Repeated changes coalesce: while a render of the asset is pending, a change queues no
    new task; the pending task renders the newest overlay before it finishes
    (:func:`render_current`)."""
    current = asset.current_version
    size = (current.width, current.height) if current and current.width else None
    cleaned = validate_overlay(spec, size=size)
    with transaction.atomic():
        # The row lock orders this change against a render task's final update.
        row = (
            GeneratedAsset.objects.select_for_update()
            .filter(pk=asset.pk)
            .values("overlay", "rendered_overlay_hash", "current_version_id", "updated_at")
            .first()
        )
        pending = row is not None and _render_pending(row)
        GeneratedAsset.objects.filter(pk=asset.pk).update(
            overlay=cleaned, updated_at=timezone.now()
        )
        asset.overlay = cleaned
        if current is not None and enqueue and not pending:
            queue.enqueue_on_commit(queue.RENDER_ASSET, asset.pk)
    return asset


def render_current(asset_id: Any) -> GeneratedAsset | None:
    """Task body: render the current version for the asset's overlay and switch to it.

    When the overlay changes while rendering (a change that found this render pending
    queued none of its own), render again for the newest overlay, up to
    :data:`MAX_RENDER_ROUNDS` times; then hand over to a fresh task."""
    for round_number in range(MAX_RENDER_ROUNDS):
        asset = GeneratedAsset.objects.select_related("current_version").filter(pk=asset_id).first()
        if asset is None or asset.current_version is None:
            return asset
        version = asset.current_version
        digest = overlay_hash(overlay_spec(asset.overlay))
        if round_number and digest == asset.rendered_overlay_hash:
            return asset  # someone else (make_current) rendered it meanwhile
        write_renditions(version, asset.overlay)
        # filter(overlay=None) would match a JSON null, not the SQL NULL a cleared overlay is.
        same_overlay = (
            {"overlay__isnull": True} if asset.overlay is None else {"overlay": asset.overlay}
        )
        with transaction.atomic():
            # Only if neither the overlay nor the current version changed meanwhile.
            updated = GeneratedAsset.objects.filter(
                pk=asset.pk, current_version=version, **same_overlay
            ).update(rendered_overlay_hash=digest, updated_at=timezone.now())
            if updated:
                drop_other_overlays(version, digest)
        if updated:
            asset.refresh_from_db()
            signals.asset_updated.send(sender=GeneratedAsset, asset=asset, reason="overlay")
            return asset
    queue.enqueue_on_commit(queue.RENDER_ASSET, asset_id)
    return GeneratedAsset.objects.filter(pk=asset_id).first()


def delete_asset(asset: GeneratedAsset, *, user: Any = None) -> None:
    """Delete an asset, its versions and renditions; files go once the transaction commits.

    Queued work is cancelled first so no worker writes files for a deleted asset.
    """
    with transaction.atomic():
        for version in asset.versions.filter(state=State.QUEUED):
            try:
                cancel(version, user=user)
            except StateConflict:
                pass
        if asset.versions.filter(state=State.RUNNING).exists():
            raise StateConflict(_("This image is being generated; delete it when it is done."))
        GeneratedAsset.objects.filter(pk=asset.pk).update(current_version=None)
        asset.delete()
