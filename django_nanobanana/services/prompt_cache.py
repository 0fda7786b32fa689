"""The prompt cache: an identical finished original is reused instead of a provider call.

The lookup is per owner (the owner of the asset the new version goes to) unless
``PROMPT_CACHE["SCOPE"]`` is ``"site"``; a hit finishes the new version at once, at no
cost, with a copy of the original under its own name, and the avoided cost is booked.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from .. import signals
from ..conf import nanobanana_settings
from ..ledger import accounting
from ..models import AssetVersion, State, VersionKind
from ..storage import original_name, save_exact
from .params import GenerationParams
from .worker import after_success


def cache_allowed(params: GenerationParams, kind: str) -> bool:
    """Whether this request may be served from the cache (``PROMPT_CACHE``, or the
    request's own ``use_cache``): generations only."""
    setting = nanobanana_settings.PROMPT_CACHE
    if kind != VersionKind.GENERATE or not setting.get("ENABLED"):
        return params.use_cache is True and kind == VersionKind.GENERATE
    return params.use_cache is not False


def find_cached(key: str, owner: Any) -> AssetVersion | None:
    """A finished original for ``key``: of the same owner's images unless the cache is
    shared site-wide (``PROMPT_CACHE["SCOPE"] == "site"``)."""
    setting = nanobanana_settings.PROMPT_CACHE
    ttl = setting.get("TTL_SECONDS")
    queryset = AssetVersion.objects.filter(
        cache_key=key, state=State.SUCCEEDED, reused_from__isnull=True
    ).exclude(original="")
    if setting.get("SCOPE", "owner") != "site":
        owner_id = getattr(owner, "pk", None)
        queryset = (
            queryset.filter(asset__owner_id=owner_id)
            if owner_id is not None
            else queryset.filter(asset__owner__isnull=True)
        )
    if ttl:
        queryset = queryset.filter(finished_at__gte=timezone.now() - timedelta(seconds=ttl))
    return queryset.order_by("-finished_at").first()


def copy_cached(cached: AssetVersion, asset_id: Any, version_id: Any) -> str:
    """Copy a cached original to the new version's own name (before any row exists)."""
    with cached.original.open("rb") as handle:
        data = handle.read()
    return save_exact(original_name(asset_id, version_id, cached.mime_type, attempt=0), data)


#: Taken from the cached version as they are: the image and what the provider said of it.
_COPIED_FIELDS = (
    "width",
    "height",
    "mime_type",
    "sha256",
    "response_id",
    "model_version",
    "model_status",
    "grounding_metadata",
    "finish_reason",
    "dominant_color",
    "lqip",
    "provenance",
)


def reuse(
    version: AssetVersion, cached: AssetVersion, saved: str, *, user: Any, client_ip: str | None
) -> None:
    """Finish a version at no cost with ``saved``, a copy of an identical finished original.

    From another owner's image (a site-wide cache) only the image is taken: not the
    model's text or turn, and the API does not show which version it came from.
    """
    now = timezone.now()
    shared = cached.asset.owner_id != version.asset.owner_id
    AssetVersion.objects.filter(pk=version.pk).update(
        state=State.SUCCEEDED,
        reused_from=cached,
        original=saved,
        model_turn=None if shared else cached.model_turn,
        model_text="" if shared else cached.model_text,
        cost=0,
        params={**(version.params or {}), "reused_across_owners": True}
        if shared
        else version.params,
        started_at=now,
        finished_at=now,
        latency_ms=0,
        **{name: getattr(cached, name) for name in _COPIED_FIELDS},
    )
    version.refresh_from_db()
    accounting.cache_hit(
        version, avoided=cached.cost or version.estimated_cost, user=user, client_ip=client_ip
    )
    version_id = version.pk
    transaction.on_commit(
        lambda: signals.version_finished.send(sender=AssetVersion, version=version)
    )
    transaction.on_commit(lambda: after_success(version_id))
