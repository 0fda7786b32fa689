"""The roles of the permission matrix (docs/access.md) and what each may do, written out
by hand (not computed by the policy under test). Every surface's matrix test uses them:
``tests/admin/test_permissions.py``, ``tests/api/test_access_matrix.py``,
``tests/contrib/test_access_matrix.py`` (chooser, Wagtail, django CMS, field and widget).
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from PIL import Image

from django_nanobanana.models import AssetVersion, GeneratedAsset, State
from django_nanobanana.storage import get_storage

#: role -> (is_staff, owns the image, nanobanana permission codenames)
ROLES: dict[str, tuple[bool, bool, tuple[str, ...]]] = {
    "owner": (True, True, ()),
    "owner+generate": (True, True, ("generate",)),
    "other_user": (False, False, ("generate",)),
    "staff": (True, False, ()),
    "staff+view": (True, False, ("view_generatedasset",)),
    "staff+change": (True, False, ("change_generatedasset",)),
    "staff+view+delete": (True, False, ("view_generatedasset", "delete_generatedasset")),
    "staff+generate": (True, False, ("generate",)),
    "staff+change+generate": (True, False, ("change_generatedasset", "generate")),
}

VIEW = {
    "owner",
    "owner+generate",
    "staff+view",
    "staff+change",
    "staff+view+delete",
    "staff+change+generate",
}
CHANGE = {"owner", "owner+generate", "staff+change", "staff+change+generate"}
DELETE = {"owner", "owner+generate", "staff+view+delete"}
REGENERATE = {"owner+generate", "staff+change+generate"}
CREATE = {"owner+generate", "other_user", "staff+generate", "staff+change+generate"}
#: What each object action needs.
RULES = {"view": VIEW, "change": CHANGE, "delete": DELETE, "regenerate": REGENERATE}


def expected_status(
    role: str, action: str, *, ok: int | tuple[int, ...] = 200, hidden: int = 404
) -> tuple[int, ...]:
    """The answer a surface gives ``role`` for ``action`` on the image: ``ok`` when
    allowed, 403 when the image is visible but the action is not allowed, ``hidden`` when
    the role may not even see it (its existence is not revealed)."""
    if role in RULES[action]:
        return ok if isinstance(ok, tuple) else (ok,)
    return (403,) if role in VIEW else (hidden,)


def png(width: int = 96, height: int = 64, colour: str = "#3377aa") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="PNG")
    return out.getvalue()


def make_role_user(role: str, *, extra_perms: tuple[str, ...] = (), username: str = "") -> Any:
    """A user for ``role``; ``extra_perms`` are "app_label.codename" (e.g. Wagtail's)."""
    staff, _owns, perms = ROLES[role]
    user = get_user_model().objects.create_user(
        username or role.replace("+", "_"), password="pw", is_staff=staff
    )
    wanted = [
        Permission.objects.get(content_type__app_label="nanobanana", codename=c) for c in perms
    ]
    for perm in extra_perms:
        app_label, codename = perm.split(".")
        wanted.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    user.user_permissions.set(wanted)
    return get_user_model().objects.get(pk=user.pk)  # fresh permission cache


def finished_asset(owner: Any, title: str = "Lighthouse of Alice") -> GeneratedAsset:
    """An image with a finished current version (a real PNG) and a queued one."""
    asset = GeneratedAsset.objects.create(title=title, owner=owner)
    version = AssetVersion(
        asset=asset,
        source="api",
        prompt="a lighthouse",
        provider="gemini",
        model="gemini-3.1-flash-image-preview",
        image_size="1K",
        aspect_ratio="3:2",
        state=State.SUCCEEDED,
        created_by=owner,
    )
    version.original = get_storage().save(f"nanobanana/test/{asset.pk}.png", ContentFile(png()))
    version.width, version.height, version.mime_type = 96, 64, "image/png"
    version.cost = Decimal("0.039")
    version.save()
    asset.current_version = version
    asset.save(update_fields=["current_version"])
    AssetVersion.objects.create(
        asset=asset,
        source="api",
        prompt="again",
        provider="gemini",
        model="gemini-3.1-flash-image-preview",
        image_size="1K",
        state=State.QUEUED,
        created_by=owner,
    )
    return asset


def setup_role(role: str, *, extra_perms: tuple[str, ...] = ()) -> tuple[Any, GeneratedAsset]:
    """The role's user and the image under test: theirs for owners, else Alice's."""
    user = make_role_user(role, extra_perms=extra_perms)
    owner = user if ROLES[role][1] else get_user_model().objects.create_user("alice")
    return user, finished_asset(owner)


def queued_version(asset: GeneratedAsset) -> AssetVersion:
    return asset.versions.get(state=State.QUEUED)
