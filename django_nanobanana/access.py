"""Who may see and do what with generated images and reference images: the one access
policy. The Django admin, the REST API, the chooser, the Wagtail views, the django CMS
plugin and the model field's widget ask this module and nothing else (docs/access.md).

The rules:

* Nobody but an active, authenticated user may do anything.
* **Owners** see, change (title, alt text, overlay, make current, cancel) and delete their
  own images.
* **Staff** (``is_staff`` or superuser) with the model permissions act on everyone's
  images: ``view_generatedasset`` or ``change_generatedasset`` to see them,
  ``change_generatedasset`` to change them, ``delete_generatedasset`` to delete them.
* **Spending money** (a new image, regenerate, edit with an instruction) needs the
  ``nanobanana.generate`` permission, for owners too, plus the right to change the image
  it acts on. ``NANOBANANA["REQUIRE_GENERATE_PERMISSION"] = False`` lets every
  authenticated user generate (budgets are then the only limit; check ``nanobanana.W010``).
* **Using an image as a reference** needs the right to see it. A **reference image**
  (an upload) may be used by whoever uploaded it, and by staff with
  ``view_referenceimage``.

This module imports no DRF; answers are booleans and querysets. Permissions are read
through ``user.has_perm``, so authentication backends (object permissions, groups) apply.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db.models import Q, QuerySet

from .conf import nanobanana_settings


def _model(name: str) -> Any:
    """The app's model by name, looked up in the app registry: the models' querysets call
    this module (``visible_to``), so importing ``models`` here would make a cycle."""
    return apps.get_model("nanobanana", name)


VIEW = "nanobanana.view_generatedasset"
CHANGE = "nanobanana.change_generatedasset"
DELETE = "nanobanana.delete_generatedasset"
GENERATE = "nanobanana.generate"
VIEW_REFERENCE = "nanobanana.view_referenceimage"

#: The actions :func:`may` answers for, in the words the surfaces use.
ACTIONS = ("view", "change", "regenerate", "delete", "reference")


# -- who ---------------------------------------------------------------------------------------


def is_active_user(user: Any) -> bool:
    """An authenticated, active user (anonymous users and ``None`` may do nothing)."""
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and getattr(user, "is_active", False)
    )


def real_user(user: Any) -> Any:
    """The user a request is recorded for: an authenticated user with a primary key, else
    None (anonymous, ``None``). What versions, ledger entries and audit rows point at."""
    return user if getattr(user, "is_authenticated", False) and getattr(user, "pk", None) else None


def _staff(user: Any) -> bool:
    return is_active_user(user) and bool(
        getattr(user, "is_staff", False) or getattr(user, "is_superuser", False)
    )


def sees_all(user: Any) -> bool:
    """Staff with ``view_generatedasset`` or ``change_generatedasset``: every image."""
    return _staff(user) and (user.has_perm(VIEW) or user.has_perm(CHANGE))


def changes_all(user: Any) -> bool:
    """Staff with ``change_generatedasset``: may change every image."""
    return _staff(user) and user.has_perm(CHANGE)


def deletes_all(user: Any) -> bool:
    """Staff with ``delete_generatedasset``: may delete every image."""
    return _staff(user) and user.has_perm(DELETE)


def uses_all_references(user: Any) -> bool:
    """Staff with ``view_referenceimage``: may use every reference image."""
    return _staff(user) and user.has_perm(VIEW_REFERENCE)


def generate_permission_required() -> bool:
    return bool(nanobanana_settings.REQUIRE_GENERATE_PERMISSION)


def may_generate(user: Any) -> bool:
    """May ``user`` spend money at all (create a new image)?"""
    if not is_active_user(user):
        return False
    return user.has_perm(GENERATE) or not generate_permission_required()


# -- one image ---------------------------------------------------------------------------------


def owns(user: Any, asset: Any) -> bool:
    return is_active_user(user) and asset.owner_id is not None and asset.owner_id == user.pk


def may_view(user: Any, asset: Any) -> bool:
    return owns(user, asset) or sees_all(user)


def may_change(user: Any, asset: Any) -> bool:
    """Title, alt text, focal point, overlay, make a version current, cancel queued work."""
    return owns(user, asset) or changes_all(user)


def may_delete(user: Any, asset: Any) -> bool:
    return owns(user, asset) or deletes_all(user)


def may_regenerate(user: Any, asset: Any) -> bool:
    """Regenerate or edit with an instruction (costs money): generate + change."""
    return may_generate(user) and may_change(user, asset)


def may_use_as_reference(user: Any, asset: Any) -> bool:
    """Send this image's current version as a reference of a generation."""
    return may_view(user, asset)


def may(user: Any, asset: Any, action: str) -> bool:
    """``may(user, asset, "view" | "change" | "regenerate" | "delete" | "reference")``."""
    checks = {
        "view": may_view,
        "change": may_change,
        "regenerate": may_regenerate,
        "generate": may_regenerate,
        "delete": may_delete,
        "reference": may_use_as_reference,
    }
    try:
        return checks[action](user, asset)
    except KeyError:
        raise ValueError(f"unknown action {action!r}; one of {ACTIONS}") from None


# -- many images -------------------------------------------------------------------------------


def asset_condition(user: Any, prefix: str = "") -> Q | None:
    """The filter of the images ``user`` may see (``prefix``: the path to the image, e.g.
    ``"asset__"`` for versions); ``None`` means every image."""
    if sees_all(user):
        return None
    if not is_active_user(user):
        return Q(pk__in=[])
    return Q(**{f"{prefix}owner": user})


def visible_assets(user: Any, queryset: QuerySet | None = None) -> QuerySet:
    """The images ``user`` may see (``GeneratedAsset.objects.visible_to(user)``)."""
    queryset = _model("GeneratedAsset").objects.all() if queryset is None else queryset
    condition = asset_condition(user)
    if condition is None:
        return queryset
    return queryset.filter(condition) if is_active_user(user) else queryset.none()


def visible_versions(user: Any, queryset: QuerySet | None = None) -> QuerySet:
    """The versions of the images ``user`` may see."""
    queryset = _model("AssetVersion").objects.all() if queryset is None else queryset
    condition = asset_condition(user, "asset__")
    if condition is None:
        return queryset
    return queryset.filter(condition) if is_active_user(user) else queryset.none()


def _owns_any(user: Any) -> bool:
    return is_active_user(user) and _model("GeneratedAsset").objects.filter(owner=user).exists()


def may_any(user: Any, action: str) -> bool:
    """May ``user`` do ``action`` on some image (all of them, or at least their own)? What
    list pages, menus and "add" buttons ask; ``"add"`` is :func:`may_generate`."""
    if action == "add":
        return may_generate(user)
    if action in ("regenerate", "generate"):
        return may_generate(user) and may_any(user, "change")
    blanket = {
        "view": sees_all,
        "reference": sees_all,
        "change": changes_all,
        "delete": deletes_all,
    }
    try:
        everything = blanket[action](user)
    except KeyError:
        raise ValueError(f"unknown action {action!r}; one of {ACTIONS}") from None
    return everything or _owns_any(user)


def may_view_any(user: Any) -> bool:
    """Is there anything for ``user`` to see (all images, or at least one of their own)?"""
    return may_any(user, "view")


def instances_for(user: Any, action: str, queryset: QuerySet | None = None) -> QuerySet:
    """The images ``user`` may do ``action`` on."""
    queryset = _model("GeneratedAsset").objects.all() if queryset is None else queryset
    if not is_active_user(user) or (
        action in ("regenerate", "generate") and not may_generate(user)
    ):
        return queryset.none()
    blanket = {
        "view": sees_all,
        "reference": sees_all,
        "change": changes_all,
        "regenerate": changes_all,
        "generate": changes_all,
        "delete": deletes_all,
    }
    if blanket[action](user):
        return queryset
    return queryset.filter(owner=user)


def reference_candidates(user: Any, queryset: QuerySet | None = None) -> QuerySet:
    """Images ``user`` may use as references: those they see with a finished image."""
    return (
        visible_assets(user, queryset)
        .filter(current_version__state="succeeded")
        .exclude(current_version__original="")
    )


# -- reference images (uploads) ----------------------------------------------------------------


def may_use_reference(user: Any, reference: Any) -> bool:
    if not is_active_user(user):
        return False
    return reference.uploaded_by_id == user.pk or uses_all_references(user)


def usable_references(user: Any, queryset: QuerySet | None = None) -> QuerySet:
    """The reference images ``user`` may use (``ReferenceImage.objects.visible_to(user)``)."""
    queryset = _model("ReferenceImage").objects.all() if queryset is None else queryset
    if not is_active_user(user):
        return queryset.none()
    if uses_all_references(user):
        return queryset
    return queryset.filter(uploaded_by=user)
