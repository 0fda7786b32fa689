"""Fixtures of the admin tests: users with exactly the permissions a test names, and
images with finished versions (real files in a fresh media folder)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.test import Client

from django_nanobanana.models import AssetVersion, GeneratedAsset, Rendition, State
from django_nanobanana.storage import get_storage
from tests import helpers

PERMS = {
    "view": "view_generatedasset",
    "add": "add_generatedasset",
    "change": "change_generatedasset",
    "delete": "delete_generatedasset",
    "generate": "generate",
    "view_usage": "view_usage",
    "manage_budgets": "manage_budgets",
}


@pytest.fixture
def make_user(db) -> Callable[..., Any]:
    """A staff user with the named permissions (keys of PERMS) and nothing else."""
    counter = {"n": 0}

    def _make(*perms: str, superuser: bool = False, username: str | None = None) -> Any:
        counter["n"] += 1
        name = username or f"user{counter['n']}"
        if superuser:
            return get_user_model().objects.create_superuser(name, f"{name}@example.com", "pw")
        return helpers.make_user(
            name, staff=True, perms=tuple(f"nanobanana.{PERMS[p]}" for p in perms)
        )

    return _make


@pytest.fixture
def login(client: Client) -> Callable[[Any], Client]:
    def _login(user: Any) -> Client:
        client.force_login(user)
        return client

    return _login


@pytest.fixture
def admin_client_(make_user, login):
    """The test client logged in as a superuser."""
    return login(make_user(superuser=True, username="boss"))


@pytest.fixture
def make_asset(db, media_root) -> Callable[..., GeneratedAsset]:
    """An image with one finished version (a real PNG) and, optionally, renditions rows."""

    def _make(
        title: str = "Sunset",
        *,
        owner: Any = None,
        state: str = State.SUCCEEDED,
        model: str = "gemini-nano-banana-2.1",
        cost: str = "0.039",
        renditions: bool = False,
        error: str = "",
        error_code: str = "",
    ) -> GeneratedAsset:
        asset = GeneratedAsset.objects.create(title=title, owner=owner)
        version = AssetVersion(
            asset=asset,
            source="admin",
            prompt=f"a picture of {title}",
            provider="gemini",
            model=model,
            image_size="1K",
            aspect_ratio="3:2",
            state=state,
            created_by=owner,
            error=error,
            error_code=error_code,
        )
        if state == State.SUCCEEDED:
            name = get_storage().save(f"nanobanana/test/{asset.pk}.png", ContentFile(helpers.png()))
            version.original = name
            version.width, version.height, version.mime_type = 96, 64, "image/png"
            version.cost = Decimal(cost)
        version.save()
        if state == State.SUCCEEDED:
            asset.current_version = version
            asset.save(update_fields=["current_version"])
            if renditions:
                Rendition.objects.bulk_create(
                    [
                        Rendition(
                            version=version,
                            width=w,
                            height=w * 2 // 3,
                            format=f,
                            file=f"nanobanana/r/{version.pk}-{w}.{f}",
                            bytes=100,
                        )
                        for w in (32, 64)
                        for f in ("webp", "jpeg")
                    ]
                )
        return asset

    return _make
