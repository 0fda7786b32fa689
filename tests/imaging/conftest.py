"""Fixtures of the imaging tests (their synthetic images are in ``tests/helpers.py``).

The imaging package needs no database and no project settings; when these
tests run on their own (``-p no:django``) Django gets a minimal configuration
so lazy translated messages can be rendered.
"""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from PIL import Image

from tests.helpers import make_photo

if not settings.configured and not os.environ.get("DJANGO_SETTINGS_MODULE"):
    settings.configure(USE_I18N=False)


@pytest.fixture
def photo() -> Image.Image:
    return make_photo(640, 360)
