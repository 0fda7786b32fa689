"""The Wagtail permission policy of generated images: :mod:`django_nanobanana.access`
in the shape Wagtail's generic views, menus and buttons ask for it."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from .. import require

require("wagtail")

from wagtail.permission_policies.base import BasePermissionPolicy  # noqa: E402

from ... import access  # noqa: E402
from ...models import GeneratedAsset  # noqa: E402

#: Wagtail's action names -> the policy's.
_ACTIONS = {"add": "add", "view": "view", "change": "change", "delete": "delete", "choose": "view"}


def _action(action: str) -> str | None:
    return _ACTIONS.get(action)


class GeneratedAssetPermissionPolicy(BasePermissionPolicy):
    """Owners act on their own images; staff with the model permissions on every image;
    "add" (generate) needs ``nanobanana.generate``. Unknown actions are refused."""

    def user_has_permission(self, user: Any, action: str) -> bool:
        name = _action(action)
        return name is not None and access.may_any(user, name)

    def user_has_permission_for_instance(self, user: Any, action: str, instance: Any) -> bool:
        name = _action(action)
        if name is None:
            return False
        if name == "add":
            return access.may_generate(user)
        return access.may(user, instance, name)

    def instances_user_has_any_permission_for(self, user: Any, actions: Any) -> QuerySet:
        queryset = self.model._default_manager.none()
        for action in actions:
            name = _action(action)
            if name is not None and name != "add":
                queryset = queryset | access.instances_for(
                    user, name, self.model._default_manager.all()
                )
        return queryset

    def users_with_any_permission(self, actions: Any) -> QuerySet:
        """Staff with the model permissions (owners are per image: see the instance form)."""
        users = get_user_model()._default_manager.filter(is_active=True)
        perms = {
            "view": (access.VIEW, access.CHANGE),
            "change": (access.CHANGE,),
            "delete": (access.DELETE,),
            "add": (access.GENERATE,),
        }
        codenames = {p.split(".", 1)[1] for a in actions for p in perms.get(_action(a) or "", ())}
        if not codenames:
            return users.none()
        granted = Q(user_permissions__codename__in=codenames) | Q(
            groups__permissions__codename__in=codenames
        )
        return users.filter((Q(is_staff=True) & granted) | Q(is_superuser=True)).distinct()

    def users_with_any_permission_for_instance(self, actions: Any, instance: Any) -> QuerySet:
        users = self.users_with_any_permission(actions)
        owner = getattr(instance, "owner_id", None)
        if owner is not None and any(_action(a) in ("view", "change", "delete") for a in actions):
            users = users | get_user_model()._default_manager.filter(pk=owner, is_active=True)
        return users.distinct()


def register_policy() -> bool:
    """Register the policy for ``GeneratedAsset`` with Wagtail (8+; Wagtail 7 takes it from
    the viewset's ``permission_policy``). True if registered."""
    try:
        from wagtail.permissions import register_permission_policy
    except ImportError:
        return False
    register_permission_policy(GeneratedAsset, GeneratedAssetPermissionPolicy(GeneratedAsset))
    return True
