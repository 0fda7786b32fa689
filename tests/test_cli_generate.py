"""nanobanana_generate end to end against the fake server: files, JSON, one-line failures."""

import io
import json
import os

import pytest
from django.core.management import CommandError, call_command
from PIL import Image

from django_nanobanana.models import AssetVersion, GeneratedAsset, State
from django_nanobanana.models.ledger import AuditRecord
from tests.helpers import stored_files

pytestmark = pytest.mark.django_db


def run(*args):
    out = io.StringIO()
    call_command("nanobanana_generate", *args, stdout=out)
    return out.getvalue()


def test_generates_stores_and_prints_json(nanobanana_fake, media_root):
    data = json.loads(
        run(
            "--prompt",
            "A red kite over dunes",
            "--aspect-ratio",
            "16:9",
            "--size",
            "1K",
            "--title",
            "Kite",
            "--json",
        )
    )
    assert data["state"] == "succeeded"
    assert (data["width"], data["height"]) == (1376, 768)
    assert os.path.isfile(data["file"])
    with Image.open(data["file"]) as image:
        image.verify()
        assert image.format in ("PNG", "JPEG")
    with Image.open(data["file"]) as image:
        assert image.size == (1376, 768)
    asset = GeneratedAsset.objects.get(pk=data["asset"])
    assert asset.title == "Kite"
    version = asset.current_version
    assert str(version.pk) == data["version"]
    assert version.state == State.SUCCEEDED and version.source == "cli"
    assert version.cost is not None and str(version.cost) == data["cost"]
    assert version.output_image_tokens == 1120
    assert version.response_id and version.sha256


def test_plain_output_names_asset_and_file(nanobanana_fake, media_root):
    out = run("--prompt", "A teapot", "--model", "gemini-2.5-flash-image")
    lines = out.strip().splitlines()
    assert lines[0].startswith("asset ")
    assert lines[1].startswith("file ") and os.path.isfile(lines[1][5:])
    with Image.open(lines[1][5:]) as image:
        assert image.size == (1024, 1024)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--aspect-ratio", "7:3"], "aspect ratio 7:3"),
        (["--model", "gemini-9-ultra"], "Unknown model gemini-9-ultra"),
        (["--model", "gemini-2.5-flash-image", "--size", "2K"], "fixed output size"),
        (["--size", "1k"], "image size 1k"),
    ],
)
def test_bad_arguments_fail_before_any_call(nanobanana_fake, media_root, args, message):
    with pytest.raises(CommandError) as info:
        run("--prompt", "x", *args)
    assert message in str(info.value)
    assert "\n" not in str(info.value)
    assert nanobanana_fake.generate_requests() == []
    assert GeneratedAsset.objects.count() == 0
    assert stored_files(media_root) == []


def test_a_refused_request_is_in_the_audit_trail(nanobanana_fake, media_root):
    """The command's refusal is audited like the API's and the admin's (source cli)."""
    with pytest.raises(CommandError, match="aspect ratio 7:3"):
        run("--prompt", "A refused lighthouse", "--aspect-ratio", "7:3")
    record = AuditRecord.objects.get()
    assert (record.source, record.outcome) == ("cli", "invalid")
    assert "7:3" in record.reason and record.prompt == "A refused lighthouse"
    assert GeneratedAsset.objects.count() == 0


def test_wrong_key_fails_with_one_line_and_leaves_nothing(nanobanana_fake, media_root, settings):
    settings.NANOBANANA = {
        "PROVIDERS": {
            "gemini": {
                "BASE_URL": nanobanana_fake.base_url,
                "API_KEY": "wrong-key-123",
                "API_KEY_ENV": None,
            }
        }
    }
    with pytest.raises(CommandError) as info:
        run("--prompt", "A lighthouse")
    message = str(info.value)
    assert "API_KEY_INVALID" in message and "API key not valid" in message
    assert "wrong-key-123" not in message
    assert "\n" not in message
    assert len(nanobanana_fake.generate_requests()) == 1
    assert GeneratedAsset.objects.count() == 0
    assert AssetVersion.objects.count() == 0
    assert stored_files(media_root) == []


def test_no_key_fails_before_any_call(nanobanana_fake, media_root, settings, monkeypatch):
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    settings.NANOBANANA = {"PROVIDERS": {"gemini": {"BASE_URL": nanobanana_fake.base_url}}}
    with pytest.raises(CommandError) as info:
        run("--prompt", "A lighthouse")
    assert "No API key" in str(info.value) and "GEMINI_API_KEY" in str(info.value)
    assert nanobanana_fake.generate_requests() == []
    assert GeneratedAsset.objects.count() == 0


def test_unknown_provider_alias(nanobanana_fake, media_root):
    with pytest.raises(CommandError, match="Unknown provider 'nope'"):
        run("--prompt", "x", "--provider", "nope")


def test_unreachable_server_fails_cleanly(media_root, settings):
    settings.NANOBANANA = {
        "PROVIDERS": {
            "gemini": {
                "BASE_URL": "http://127.0.0.1:9",
                "API_KEY": "k",
                "API_KEY_ENV": None,
                "TIMEOUT": {"connect": 1},
            }
        }
    }
    with pytest.raises(CommandError, match="CONNECTION_ERROR"):
        run("--prompt", "x")
    assert GeneratedAsset.objects.count() == 0
    assert stored_files(media_root) == []


def test_alt_text_is_a_field_of_the_command(nanobanana_fake, media_root):
    data = json.loads(
        run(
            "--prompt",
            "A red kite over dunes",
            "--alt-text",
            "A red kite above sand dunes",
            "--json",
        )
    )
    assert GeneratedAsset.objects.get(pk=data["asset"]).alt_text == "A red kite above sand dunes"
    with pytest.raises(CommandError, match="alt-text"):
        run("--prompt", "A kite", "--alt-text", "x" * 501)
