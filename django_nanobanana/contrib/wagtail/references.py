"""Wagtail's reference index and the asset model.

Wagtail indexes the outgoing references of every model it manages (a ``ModelViewSet``
registers it), re-reading and re-indexing an asset on each save: its owner and its current
version, which no Wagtail screen shows (an asset's usage page lists the pages that point
*to* it, indexed when those pages are saved). That cost 5 statements per saved asset, so
an asset's own foreign keys are left out of the index; the clean-up when an asset is
deleted (its references from pages removed) stays connected.
"""

from __future__ import annotations

from django.db.models.signals import post_delete
from wagtail.signal_handlers import remove_reference_index_on_delete

from ...models import GeneratedAsset


def skip_asset_references() -> None:
    """Before Wagtail registers the asset model (its admin URLs load after ``ready``)."""
    for field in GeneratedAsset._meta.get_fields():
        if field.is_relation and field.many_to_one:
            field.wagtail_reference_index_ignore = True
    post_delete.connect(
        remove_reference_index_on_delete,
        sender=GeneratedAsset,
        dispatch_uid="nanobanana-wagtail-asset-references",
    )
