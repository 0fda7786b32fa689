"""Bad uploads are refused with nothing stored; a storage failure mid-way through the
renditions leaves neither orphan files nor rows pointing at missing files."""

import io
import struct
import zlib

import pytest
from django.core.files.storage import FileSystemStorage
from PIL import Image

from django_nanobanana.exceptions import RequestValidationError
from django_nanobanana.models import ReferenceImage, Rendition
from django_nanobanana.services import GenerationParams, execute_version, generate, store_reference
from django_nanobanana.services.renditions import write_renditions
from tests.helpers import stored_files

pytestmark = pytest.mark.django_db


def png_header(width, height):
    """A PNG whose header declares a size (the pixel data is tiny)."""

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    raw = zlib.compress(b"\x00" * 16)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", raw)
        + chunk(b"IEND", b"")
    )


def encoded(size, fmt="PNG"):
    out = io.BytesIO()
    Image.new("RGB", size, "teal").save(out, fmt)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"this is not an image", "references"),
        (encoded((40, 40), "GIF"), "references"),
        (png_header(60000, 60000), "references"),  # a decompression bomb
        (png_header(0, 0), "references"),
        (png_header(100000, 1), "references"),
    ],
)
def test_bad_uploads_are_refused_and_nothing_is_stored(media_root, data, code):
    with pytest.raises(RequestValidationError) as info:
        store_reference(data, name="upload.png")
    assert code in info.value.field_errors and info.value.field_errors[code][0]
    assert ReferenceImage.objects.count() == 0
    assert stored_files(media_root) == []


def test_a_good_upload_is_stored_once(media_root):
    data = encoded((64, 48))
    first = store_reference(data, name="a.png")
    again = store_reference(data, name="b.png")
    assert first.pk == again.pk and (first.width, first.height) == (64, 48)
    assert stored_files(media_root) == [first.file.name]


class FailingStorage(FileSystemStorage):
    """A real file system storage whose Nth save fails, like a flaky network store."""

    saves = 0
    fail_on = 3

    def _save(self, name, content):
        type(self).saves += 1
        if type(self).saves == self.fail_on:
            raise OSError("storage went away")
        return super()._save(name, content)


def test_failure_midway_through_renditions_leaves_no_orphans(
    nanobanana_fake, media_root, small_renditions, settings
):
    version = generate(GenerationParams(prompt="flaky", image_size="1K"), enqueue=False)
    done = execute_version(version.pk)
    before_files = set(stored_files(media_root))
    before_rows = set(Rendition.objects.values_list("pk", flat=True))
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "tests.services.test_storage_failures.FailingStorage",
            "OPTIONS": {"location": str(media_root), "base_url": "/media/"},
        },
    }
    FailingStorage.saves = 0
    with pytest.raises(OSError):
        write_renditions(done, {"text": "New overlay"})
    assert set(stored_files(media_root)) == before_files
    assert set(Rendition.objects.values_list("pk", flat=True)) == before_rows
    for rendition in Rendition.objects.all():
        assert rendition.file.name in before_files


def test_oversized_references_are_refused_at_the_edge_by_the_model_limits(
    nanobanana_fake, media_root, settings
):
    from django_nanobanana.models import AssetVersion

    reference = store_reference(encoded((64, 64)), name="big.png")
    # 21 MB recorded: over the 20 MB a reference may have even through the Files API.
    ReferenceImage.objects.filter(pk=reference.pk).update(bytes=21 * 1024 * 1024)
    with pytest.raises(RequestValidationError) as info:
        generate(GenerationParams(prompt="x", references=(str(reference.pk),)))
    assert "references" in info.value.field_errors
    # 8 MB: fine with the Files API, but over the 7 MB inline limit of a provider
    # that can only send references inline.
    ReferenceImage.objects.filter(pk=reference.pk).update(bytes=8 * 1024 * 1024)
    generate(GenerationParams(prompt="x", references=(str(reference.pk),)), enqueue=False)
    settings.NANOBANANA = {
        **settings.NANOBANANA,
        "PROVIDERS": {
            **settings.NANOBANANA["PROVIDERS"],
            "inline": {
                "BACKEND": "django_nanobanana.providers.openai_compat.OpenAICompatibleProvider",
                "BASE_URL": nanobanana_fake.base_url,
                "API_KEY": "k",
                "API_KEY_ENV": None,
            },
        },
    }
    with pytest.raises(RequestValidationError) as info:
        generate(GenerationParams(prompt="y", provider="inline", references=(str(reference.pk),)))
    assert "references" in info.value.field_errors
    assert AssetVersion.objects.count() == 1
