"""Who may see and do what through the API.

* Every endpoint needs an authenticated user.
* A user sees and acts on their own assets (``owner``).
* Staff (``is_staff``) with the model permissions see and act on every asset:
  ``nanobanana.view_generatedasset`` to see, ``change_generatedasset`` to change the
  overlay, revert, cancel, ``nanobanana.generate`` as well to regenerate or edit, and
  ``delete_generatedasset`` to delete.
* An asset the user may not see answers 404 (its existence is not revealed); an asset the
  user may see but not change answers 403.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from ..models import AssetVersion, GeneratedAsset

VIEW = "nanobanana.view_generatedasset"
CHANGE = "nanobanana.change_generatedasset"
DELETE = "nanobanana.delete_generatedasset"
GENERATE = "nanobanana.generate"

#: What each kind of action needs on someone else's asset (staff only).
PERMISSIONS_FOR: dict[str, tuple[str, ...]] = {
    "view": (VIEW,),
    "change": (VIEW, CHANGE),
    "generate": (VIEW, CHANGE, GENERATE),
    "delete": (VIEW, DELETE),
}


def is_staff_with(user: Any, *perms: str) -> bool:
    return bool(
        getattr(user, "is_active", False) and getattr(user, "is_staff", False)
        and user.has_perms(perms)
    )


def visible_assets(user: Any) -> QuerySet[GeneratedAsset]:
    """Assets ``user`` may see: all for staff with the view permission, else their own."""
    if not getattr(user, "is_authenticated", False):
        return GeneratedAsset.objects.none()
    if is_staff_with(user, VIEW):
        return GeneratedAsset.objects.all()
    return GeneratedAsset.objects.filter(owner=user)


def visible_versions(user: Any) -> QuerySet[AssetVersion]:
    """Versions of the assets ``user`` may see."""
    if not getattr(user, "is_authenticated", False):
        return AssetVersion.objects.none()
    if is_staff_with(user, VIEW):
        return AssetVersion.objects.all()
    return AssetVersion.objects.filter(asset__owner=user)


def may(user: Any, asset: GeneratedAsset, action: str) -> bool:
    """May ``user`` do ``action`` ("view", "change", "generate", "delete") on ``asset``?"""
    if not getattr(user, "is_authenticated", False):
        return False
    if asset.owner_id is not None and asset.owner_id == user.pk:
        return True
    return is_staff_with(user, *PERMISSIONS_FOR[action])


class AssetPermission(BasePermission):
    """Authenticated users; object-level: the view's ``asset_action_kind(action)``."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.is_authenticated)

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        asset = obj.asset if isinstance(obj, AssetVersion) else obj
        kind = view.asset_action_kind(getattr(view, "action", None) or "")
        return may(request.user, asset, kind)
