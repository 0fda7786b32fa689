import pytest
from django.contrib.auth import get_user_model

from django_nanobanana.models import AssetVersion
from django_nanobanana.services import execute_version


@pytest.fixture
def editor(db):
    return get_user_model().objects.create_user("editor", password="pw")


@pytest.fixture
def small_renditions(settings):
    """Two widths x two formats keep rendition tests fast."""
    current = dict(getattr(settings, "NANOBANANA", {}) or {})
    current.update({"RENDITION_WIDTHS": (320, 640), "RENDITION_FORMATS": ("webp", "jpeg")})
    settings.NANOBANANA = current


@pytest.fixture
def run_queued():
    """Run every queued version like a worker would; returns the finished versions."""

    def _run():
        finished = []
        for pk in AssetVersion.objects.filter(state="queued").values_list("pk", flat=True):
            version = execute_version(pk)
            if version is not None:
                finished.append(version)
        return finished

    return _run
