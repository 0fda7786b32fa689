"""Admin reference uploads are validated before anything is stored (issue 13, hole 6)."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from django.urls import reverse

from django_nanobanana.models import ReferenceImage
from tests.helpers import png, stored_files

pytestmark = pytest.mark.django_db


def url(name: str, *args) -> str:
    return reverse(f"admin:nanobanana_generatedasset_{name}", args=args)


def padded_png(megabytes: int) -> bytes:
    """A small valid PNG carrying a private ancillary chunk: it decodes, but is big."""
    data = png(40, 40)
    pad = b"\0" * (megabytes * 1024 * 1024)
    chunk = (
        struct.pack(">I", len(pad)) + b"prVt" + pad + struct.pack(">I", zlib.crc32(b"prVt" + pad))
    )
    return data[:33] + chunk + data[33:]  # after the 8-byte signature and 25-byte IHDR


def upload(data: bytes, name: str) -> io.BytesIO:
    handle = io.BytesIO(data)
    handle.name = name
    return handle


@pytest.mark.parametrize(
    "data,message",
    [
        (padded_png(22), "at most 20 MB"),
        (b"GIF89a not really an image", "big.png: The file"),
    ],
)
def test_a_refused_upload_leaves_no_file_and_no_row(
    admin_client_, make_asset, media_root, data, message
):
    target = make_asset("Target")
    before = stored_files(media_root)
    response = admin_client_.post(
        url("generate", target.pk),
        {
            "prompt": "combine",
            "model": "gemini-nano-banana-2.1",
            "reference_uploads": upload(data, "big.png"),
        },
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ReferenceImage.objects.exists()
    assert stored_files(media_root) == before
    assert not target.versions.filter(state="queued").exists()


def test_an_upload_over_the_providers_inline_limit_is_refused_before_it_is_stored(
    admin_client_, make_asset, media_root, settings
):
    # 8 MB is fine through the Files API, but this provider takes no reference at all.
    settings.NANOBANANA = {
        **settings.NANOBANANA,
        "DEFAULT_PROVIDER": "inline",
        "PROVIDERS": {
            **settings.NANOBANANA.get("PROVIDERS", {}),
            "inline": {
                "BACKEND": "django_nanobanana.providers.openai_compat.OpenAICompatibleProvider",
                "BASE_URL": "http://127.0.0.1:9",
                "API_KEY": "k",
                "API_KEY_ENV": None,
            },
        },
    }
    before = stored_files(media_root)
    response = admin_client_.post(
        url("add"),
        {
            "prompt": "combine",
            "model": "gemini-nano-banana-2.1",
            "reference_uploads": upload(padded_png(8), "eight.png"),
        },
    )
    assert response.status_code == 200
    assert "This provider takes no reference images" in response.content.decode()
    assert not ReferenceImage.objects.exists()
    assert stored_files(media_root) == before


def test_a_valid_upload_is_still_stored_and_used(admin_client_, make_asset, media_root):
    target = make_asset("Target")
    response = admin_client_.post(
        url("generate", target.pk),
        {
            "prompt": "combine",
            "model": "gemini-nano-banana-2.1",
            "reference_uploads": upload(png(40, 40), "ref.png"),
        },
    )
    assert response.status_code == 302
    reference = ReferenceImage.objects.get()
    assert reference.last_used_at is not None
    assert target.versions.get(state="queued").references[0]["id"] == str(reference.pk)
