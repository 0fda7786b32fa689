"""Fixtures of the CMS integration tests.

Everything here except ``test_extras.py`` needs ``tests.settings_cms`` (Wagtail and django
CMS installed): ``pytest --ds=tests.settings_cms tests/contrib``. Under the main settings
those modules are not collected.
"""

from __future__ import annotations

import os

import pytest

if os.environ.get("DJANGO_SETTINGS_MODULE") != "tests.settings_cms":
    collect_ignore_glob = [
        "test_chooser.py",
        "test_wagtail.py",
        "test_djangocms.py",
        "test_browser.py",
        "test_access_matrix.py",
        "testapp/*",
    ]


@pytest.fixture
def make_asset(nanobanana_fake, media_root, small_renditions, editor):
    """A finished asset, generated through the services against the fake Gemini server."""
    from django_nanobanana.models import GeneratedAsset
    from django_nanobanana.services import GenerationParams, execute_version, generate

    def _make(prompt: str = "A lighthouse at dusk", title: str = "", **kwargs):
        version = generate(
            GenerationParams(prompt=prompt, aspect_ratio="3:2", image_size="1K"),
            title=title,
            user=editor,
            enqueue=False,
            **kwargs,
        )
        execute_version(version.pk)
        return GeneratedAsset.objects.get(pk=version.asset_id)

    return _make
