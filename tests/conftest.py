"""Shared fixtures. The fake Gemini server fixtures come from the package's pytest plugin
(``django_nanobanana.testing.pytest_plugin``: ``fake_gemini``, ``nanobanana_fake``)."""

from __future__ import annotations

import io
import os

import pytest
from PIL import Image


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


def stored_files(root) -> list[str]:
    return sorted(
        os.path.relpath(os.path.join(d, f), root) for d, _, files in os.walk(root) for f in files
    )


def image_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as im:
        return im.size


def require_service(name: str, reason: str) -> None:
    """Skip a test whose service is missing, but fail under CI=true."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: required)")
    pytest.skip(reason)
