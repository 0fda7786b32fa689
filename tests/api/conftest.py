"""Fixtures of the REST API tests: users, authenticated clients, finished assets."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from django_nanobanana.services import GenerationParams, execute_version, generate
from tests.helpers import client_for, make_user


@pytest.fixture(autouse=True)
def _fresh_throttles():
    """Throttle counts live in the cache: every test starts with none."""
    cache.clear()
    yield
    cache.clear()


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
def generation(nanobanana_fake, media_root, small_renditions):
    """What a test that generates needs: the fake server, a media folder, few renditions."""
    return nanobanana_fake


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
