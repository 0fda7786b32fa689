"""django-q2 entry points: thin wrappers that call the services.

Enqueued from :mod:`django_nanobanana.services` with ``transaction.on_commit``, so a worker
never sees a version whose row is not committed yet.
"""

from __future__ import annotations

from typing import Any

from django_q.tasks import async_task

from .conf import nanobanana_settings
from .workers import bounded_memory


def io_queue() -> str | None:
    """The cluster of provider calls and webhooks (``IO_QUEUE_NAME``, else ``QUEUE_NAME``)."""
    return nanobanana_settings.IO_QUEUE_NAME or nanobanana_settings.QUEUE_NAME


def cpu_queue() -> str | None:
    """The cluster of renditions (``CPU_QUEUE_NAME``, else ``QUEUE_NAME``)."""
    return nanobanana_settings.CPU_QUEUE_NAME or nanobanana_settings.QUEUE_NAME


def renders_separately() -> bool:
    """True when renditions run on their own cluster (not in the generation's task)."""
    return cpu_queue() != io_queue()


def _enqueue(function: str, object_id: Any, name: str, cluster: str | None) -> str:
    """Queue one of this module's task functions; returns the django-q2 task id."""
    options: dict[str, Any] = {"task_name": f"nanobanana-{name}-{object_id}"}
    if cluster:
        options["cluster"] = cluster
    return async_task(f"django_nanobanana.tasks.{function}", str(object_id), q_options=options)


def enqueue_version(version_id: Any) -> str:
    """Queue :func:`run_version` (a provider call: the I/O cluster)."""
    return _enqueue("run_version", version_id, "version", io_queue())


def run_version(version_id: str) -> str | None:
    """Execute a queued version; a redelivered task finds nothing to claim and returns."""
    from .services import execute_version

    with bounded_memory():
        version = execute_version(version_id)
    return version.state if version else None


def enqueue_publish(version_id: Any) -> str:
    """Queue :func:`publish_version` (renditions: the CPU cluster)."""
    return _enqueue("publish_version", version_id, "publish", cpu_queue())


def publish_version(version_id: str) -> str | None:
    """Write a finished version's renditions and make it current (if nothing newer is)."""
    from .services.assets import publish

    with bounded_memory():
        asset = publish(version_id)
    return str(asset.current_version_id) if asset else None


def enqueue_description(description_id: Any) -> str:
    """Queue :func:`run_description` (alt text and focal point: a provider call, the I/O
    cluster)."""
    return _enqueue("run_description", description_id, "describe", io_queue())


def run_description(description_id: str) -> str | None:
    """Run a queued describe call; a redelivered task finds nothing to claim."""
    from .services.descriptions import execute_description

    description = execute_description(description_id)
    return description.state if description else None


def enqueue_render(asset_id: Any) -> str:
    """Queue :func:`render_asset` (renditions after an overlay change: the CPU cluster)."""
    return _enqueue("render_asset", asset_id, "render", cpu_queue())


def render_asset(asset_id: str) -> str | None:
    """Render the current version's renditions for the asset's overlay."""
    from .services.assets import render_current

    with bounded_memory():
        asset = render_current(asset_id)
    return asset.rendered_overlay_hash if asset else None


def reap() -> dict[str, int]:
    """Scheduled: requeue or fail versions whose worker was lost."""
    from .services.reaper import reap as reap_versions

    return reap_versions()


def delete_unused_references() -> dict[str, int]:
    """Scheduled (daily): delete reference images no version uses, past their retention."""
    from .services.references import delete_unused_references as delete_references

    return delete_references()


def enqueue_webhook(version_id: Any) -> str:
    """Queue :func:`deliver_webhook` for a finished version."""
    return _enqueue("deliver_webhook", version_id, "webhook", io_queue())


def deliver_webhook(version_id: str) -> bool:
    """POST the signed ``version.finished`` event to the version's webhook URL."""
    from .models import AssetVersion
    from .services.webhooks import deliver

    version = AssetVersion.objects.filter(pk=version_id).first()
    return deliver(version) if version is not None else False
