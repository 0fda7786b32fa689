"""Fixtures of the admin tests: users with exactly the permissions a test names, and
images with finished versions (real files in a fresh media folder)."""

from __future__ import annotations

import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.test import Client
from PIL import Image

from django_nanobanana.models import AssetVersion, GeneratedAsset, Rendition, State
from django_nanobanana.storage import get_storage

PERMS = {
    "view": "view_generatedasset",
    "add": "add_generatedasset",
    "change": "change_generatedasset",
    "delete": "delete_generatedasset",
    "generate": "generate",
    "view_usage": "view_usage",
    "manage_budgets": "manage_budgets",
}


def png(width: int = 96, height: int = 64, colour: str = "#3377aa") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def make_user(db) -> Callable[..., Any]:
    """A staff user with the named permissions (keys of PERMS) and nothing else."""
    counter = {"n": 0}

    def _make(*perms: str, superuser: bool = False, username: str | None = None) -> Any:
        counter["n"] += 1
        name = username or f"user{counter['n']}"
        model = get_user_model()
        if superuser:
            return model.objects.create_superuser(name, f"{name}@example.com", "pw")
        user = model.objects.create_user(name, password="pw", is_staff=True)
        codenames = [PERMS[p] for p in perms]
        user.user_permissions.set(
            Permission.objects.filter(content_type__app_label="nanobanana", codename__in=codenames)
        )
        return get_user_model().objects.get(pk=user.pk)  # fresh permission cache

    return _make


@pytest.fixture
def login(client: Client) -> Callable[[Any], Client]:
    def _login(user: Any) -> Client:
        client.force_login(user)
        return client

    return _login


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
            name = get_storage().save(f"nanobanana/test/{asset.pk}.png", ContentFile(png()))
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


def add_version(
    asset: GeneratedAsset, *, state: str = State.SUCCEEDED, prompt: str = "again", user: Any = None
) -> AssetVersion:
    version = AssetVersion(
        asset=asset,
        source="admin",
        prompt=prompt,
        provider="gemini",
        model="gemini-nano-banana-2.1",
        image_size="1K",
        state=state,
        created_by=user,
    )
    if state == State.SUCCEEDED:
        version.original = get_storage().save(
            f"nanobanana/test/{asset.pk}-2.png", ContentFile(png(colour="#aa3300"))
        )
        version.width, version.height, version.mime_type = 96, 64, "image/png"
        version.cost = Decimal("0.039")
    version.save()
    return version
