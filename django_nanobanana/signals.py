"""Signals sent by the services.

``version_queued(sender=AssetVersion, version=...)``: a version was created and will run
once the transaction commits.
``version_finished(sender=AssetVersion, version=...)``: a version reached a final state;
sent exactly once per version, after the state change is committed.
``asset_updated(sender=GeneratedAsset, asset=..., reason=...)``: the current version or
the overlay of an asset changed (renditions are ready).
"""

from django.dispatch import Signal

version_queued = Signal()
version_finished = Signal()
asset_updated = Signal()
