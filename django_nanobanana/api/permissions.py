"""Who may see and do what through the API: :mod:`django_nanobanana.access`, the one
policy every surface shares, wrapped for DRF.

* Every endpoint needs an authenticated user.
* An asset the user may not see answers 404 (its existence is not revealed); an asset the
  user may see but not act on answers 403.
* Creating, regenerating and editing images need ``nanobanana.generate`` (unless
  ``NANOBANANA["REQUIRE_GENERATE_PERMISSION"]`` is False), like the admin.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from .. import access
from ..models import AssetVersion, GeneratedAsset

#: Kept for code that imported them from here.
VIEW, CHANGE, DELETE, GENERATE = access.VIEW, access.CHANGE, access.DELETE, access.GENERATE


def visible_assets(user: Any) -> QuerySet[GeneratedAsset]:
    return GeneratedAsset.objects.visible_to(user)


def visible_versions(user: Any) -> QuerySet[AssetVersion]:
    return AssetVersion.objects.visible_to(user)


def may(user: Any, asset: GeneratedAsset, action: str) -> bool:
    """May ``user`` do ``action`` ("view", "change", "generate", "delete") on ``asset``?"""
    return access.may(user, asset, action)


class AssetPermission(BasePermission):
    """Authenticated users; the view's ``create_needs_generate`` actions need the right
    to generate; object-level: the view's ``asset_action_kind(action)``."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if not access.is_active_user(request.user):
            return False
        if getattr(view, "action", None) in getattr(view, "generating_actions", ()):
            return access.may_generate(request.user)
        return True

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        asset = obj.asset if isinstance(obj, AssetVersion) else obj
        kind = view.asset_action_kind(getattr(view, "action", None) or "")
        return access.may(request.user, asset, kind)
