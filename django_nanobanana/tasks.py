"""django-q2 entry points: thin wrappers that call the services.

The services enqueue these by dotted path (:mod:`django_nanobanana.services.queue`) with
``transaction.on_commit``, so a worker never sees a version whose row is not committed
yet; this module imports the services, never the reverse.
"""

from __future__ import annotations

from .models import AssetVersion
from .services import execute_version
from .services.assets import publish, render_current
from .services.description_worker import execute_description
from .services.reaper import reap as reap_versions
from .services.references import delete_unused_references as delete_references
from .services.webhooks import deliver
from .workers import bounded_memory


def run_version(version_id: str) -> str | None:
    """Execute a queued version; a redelivered task finds nothing to claim and returns."""
    with bounded_memory():
        version = execute_version(version_id)
    return version.state if version else None


def publish_version(version_id: str) -> str | None:
    """Write a finished version's renditions and make it current (if nothing newer is)."""
    with bounded_memory():
        asset = publish(version_id)
    return str(asset.current_version_id) if asset else None


def run_description(description_id: str) -> str | None:
    """Run a queued describe call; a redelivered task finds nothing to claim."""
    description = execute_description(description_id)
    return description.state if description else None


def render_asset(asset_id: str) -> str | None:
    """Render the current version's renditions for the asset's overlay."""
    with bounded_memory():
        asset = render_current(asset_id)
    return asset.rendered_overlay_hash if asset else None


def reap() -> dict[str, int]:
    """Scheduled: requeue or fail versions whose worker was lost."""
    return reap_versions()


def delete_unused_references() -> dict[str, int]:
    """Scheduled (daily): delete reference images no version uses, past their retention."""
    return delete_references()


def deliver_webhook(version_id: str) -> bool:
    """POST the signed ``version.finished`` event to the version's webhook URL."""
    version = AssetVersion.objects.filter(pk=version_id).first()
    return deliver(version) if version is not None else False
