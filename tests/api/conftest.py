"""Fixtures of the REST API tests: users, authenticated clients, finished assets."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.cache import cache
from PIL import Image
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from django_nanobanana.models import AssetVersion
from django_nanobanana.services import GenerationParams, execute_version, generate

API = "/api/nanobanana"


@pytest.fixture(autouse=True)
def _fresh_throttles():
    """Throttle counts live in the cache: every test starts with none."""
    cache.clear()
    yield
    cache.clear()


def make_user(username: str, *, staff: bool = False, perms: tuple[str, ...] = ()) -> Any:
    user = get_user_model().objects.create_user(username, password="pw", is_staff=staff)
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return get_user_model().objects.get(pk=user.pk)  # fresh permission cache


def client_for(user: Any) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def alice(db):
    """An API user who may generate (``nanobanana.generate``), not staff."""
    return make_user("alice", perms=("nanobanana.generate",))


@pytest.fixture
def bob(db):
    return make_user("bob", perms=("nanobanana.generate",))


@pytest.fixture
def staff_viewer(db):
    return make_user("viewer", staff=True, perms=("nanobanana.view_generatedasset",))


@pytest.fixture
def staff_editor(db):
    return make_user(
        "editor",
        staff=True,
        perms=(
            "nanobanana.view_generatedasset",
            "nanobanana.change_generatedasset",
            "nanobanana.delete_generatedasset",
            "nanobanana.generate",
            "nanobanana.view_usage",
        ),
    )


@pytest.fixture
def api(alice):
    return client_for(alice)


@pytest.fixture
def small_renditions(settings):
    current = dict(getattr(settings, "NANOBANANA", {}) or {})
    current.update({"RENDITION_WIDTHS": (320, 640), "RENDITION_FORMATS": ("webp", "jpeg")})
    settings.NANOBANANA = current


@pytest.fixture
def generation(nanobanana_fake, media_root, small_renditions):
    """What a test that generates needs: the fake server, a media folder, few renditions."""
    return nanobanana_fake


@pytest.fixture
def run_queued():
    def _run() -> list[AssetVersion]:
        done = []
        for pk in AssetVersion.objects.filter(state="queued").values_list("pk", flat=True):
            version = execute_version(pk)
            if version is not None:
                done.append(version)
        return done

    return _run


@pytest.fixture
def finished_asset(generation, alice):
    """A succeeded asset of alice's (generated through the services and the fake)."""
    version = generate(
        GenerationParams(prompt="A lighthouse", aspect_ratio="16:9", image_size="1K"),
        user=alice,
        title="Lighthouse",
        alt_text="A lighthouse at dusk",
        enqueue=False,
    )
    execute_version(version.pk)
    version.asset.refresh_from_db()
    return version.asset


def png_bytes(size: tuple[int, int] = (64, 48), color: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()
