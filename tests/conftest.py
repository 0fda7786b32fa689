"""Fixtures every test directory shares; helpers are in ``tests/helpers.py``. The fake
Gemini server fixtures come from the package's pytest plugin
(``django_nanobanana.testing.pytest_plugin``: ``fake_gemini``, ``nanobanana_fake``).

The imaging tests also run without Django's app registry (``pytest -p no:django
tests/imaging``): fixtures import models and services in their bodies, not at the top.
"""

from __future__ import annotations

import pytest

from tests.helpers import make_user


@pytest.fixture
def media_root(settings, tmp_path):
    """A fresh, empty media folder for the default storage."""
    location = tmp_path / "media"
    location.mkdir()
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(location), "base_url": "/media/"},
        },
    }
    return location


@pytest.fixture
def small_renditions(settings):
    """Two widths x two formats keep rendition tests fast."""
    current = dict(getattr(settings, "NANOBANANA", {}) or {})
    current.update({"RENDITION_WIDTHS": (320, 640), "RENDITION_FORMATS": ("webp", "jpeg")})
    settings.NANOBANANA = current


@pytest.fixture
def run_queued():
    """Run every queued version like a worker would; returns the finished versions."""
    from django_nanobanana.models import AssetVersion
    from django_nanobanana.services import execute_version

    def _run():
        finished = []
        for pk in AssetVersion.objects.filter(state="queued").values_list("pk", flat=True):
            version = execute_version(pk)
            if version is not None:
                finished.append(version)
        return finished

    return _run


@pytest.fixture
def editor(db):
    """The site's editor: a superuser (the CMS tests need one to reach their admins)."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_superuser("editor", "editor@example.invalid", "pw")


@pytest.fixture
def alice(db):
    """A user who may generate (``nanobanana.generate``), not staff."""
    return make_user("alice", perms=("nanobanana.generate",))


@pytest.fixture
def bob(db):
    """Another user who may generate, not staff."""
    return make_user("bob", perms=("nanobanana.generate",))
