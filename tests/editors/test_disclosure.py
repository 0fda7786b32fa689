"""AI disclosure: XMP in every rendition, the provider's C2PA manifest kept byte for byte
and its provenance in the API, the visible label of the picture tag."""

from __future__ import annotations

import pytest
from django.template import Context, Template

from django_nanobanana.imaging.disclosure import TRAINED_ALGORITHMIC_MEDIA, read_xmp
from django_nanobanana.models import GeneratedAsset
from django_nanobanana.services import GenerationParams, execute_version, generate

pytestmark = pytest.mark.django_db


def require_c2pa():
    from django_nanobanana.imaging.disclosure import c2pa_available
    from tests.helpers import require_service

    if not c2pa_available():
        require_service("c2pa-python", "c2pa-python is not installed (extra 'c2pa')")


@pytest.fixture
def every_format(settings):
    current = dict(settings.NANOBANANA)
    current.update(
        {"RENDITION_WIDTHS": (320, 640), "RENDITION_FORMATS": ("avif", "webp", "jpeg", "png")}
    )
    settings.NANOBANANA = current


def test_every_rendition_file_states_it_is_ai_generated_with_the_model(
    nanobanana_fake, media_root, every_format
):
    version = execute_version(
        generate(GenerationParams(prompt="A fox", aspect_ratio="1:1"), enqueue=False).pk
    )
    renditions = list(version.renditions.all())
    assert {r.format for r in renditions} >= {"webp", "jpeg", "png"}
    for rendition in renditions:
        with rendition.file.open("rb") as handle:
            data = handle.read()
        xmp = read_xmp(data)
        assert f'Iptc4xmpExt:DigitalSourceType="{TRAINED_ALGORITHMIC_MEDIA}"' in xmp, (
            rendition.format
        )
        assert "gemini-nano-banana-2.1" in xmp


def test_the_original_keeps_the_providers_c2pa_manifest_byte_for_byte(
    nanobanana_fake, media_root, small_renditions, editor, monkeypatch
):
    from django_nanobanana.api.serializers import AssetSerializer
    from django_nanobanana.providers.gemini import GeminiProvider

    require_c2pa()
    received = []
    parse = GeminiProvider.parse_response

    def keep(self, request, response):
        result = parse(self, request, response)
        received.append(result.image)
        return result

    monkeypatch.setattr(GeminiProvider, "parse_response", keep)
    nanobanana_fake.c2pa = True
    version = execute_version(
        generate(
            GenerationParams(prompt="A fox", aspect_ratio="1:1"), user=editor, enqueue=False
        ).pk
    )
    with version.original.open("rb") as handle:
        stored = handle.read()
    assert b"caBX" in received[0]
    assert stored == received[0]
    assert version.provenance["present"] is True
    assert version.provenance["reader"].startswith("c2pa-python")
    assert version.provenance["digital_source_type"] == TRAINED_ALGORITHMIC_MEDIA
    assert version.provenance["claim_generator"].startswith("Fake Gemini")
    asset = GeneratedAsset.objects.get(pk=version.asset_id)
    data = AssetSerializer(asset).data
    assert data["ai_generated"] is True
    assert data["provenance"]["digital_source_type"] == TRAINED_ALGORITHMIC_MEDIA


def test_the_picture_tag_adds_a_visible_label_by_setting_or_per_tag(
    nanobanana_fake, media_root, small_renditions, settings
):
    version = execute_version(generate(GenerationParams(prompt="A fox"), enqueue=False).pk)
    asset = GeneratedAsset.objects.get(pk=version.asset_id)

    def render(tag):
        return Template("{% load nanobanana %}" + tag).render(Context({"asset": asset}))

    assert "nanobanana-ai-label" not in render("{% nanobanana_picture asset %}")
    labelled = render("{% nanobanana_picture asset ai_label=True %}")
    assert (
        '<span class="nanobanana-ai-label" data-nanobanana-ai-label>AI-generated</span>' in labelled
        and "<picture>" in labelled
    )
    assert ">Made with AI</span>" in render(
        '{% nanobanana_picture asset ai_label="Made with AI" %}'
    )
    current = dict(settings.NANOBANANA)
    current["AI_LABEL"] = {"ENABLED": True}
    settings.NANOBANANA = current
    assert "AI-generated" in render("{% nanobanana_picture asset %}")
    assert "nanobanana-ai-label" not in render("{% nanobanana_picture asset ai_label=False %}")


def test_with_a_site_certificate_renditions_are_signed_with_the_original_as_ingredient(
    nanobanana_fake, media_root, settings, tmp_path
):
    import io
    import json

    require_c2pa()
    import c2pa

    from django_nanobanana.testing.fake_c2pa import _make_chain

    chain, key = _make_chain()  # the site's own chain, not the fake provider's
    (tmp_path / "chain.pem").write_bytes(chain)
    (tmp_path / "key.pem").write_bytes(key)
    current = dict(settings.NANOBANANA)
    current.update(
        {
            "RENDITION_WIDTHS": (320,),
            "RENDITION_FORMATS": ("webp", "jpeg"),
            "C2PA_SIGNING": {
                "CERT_CHAIN": str(tmp_path / "chain.pem"),
                "PRIVATE_KEY": str(tmp_path / "key.pem"),
                "CLAIM_GENERATOR": "Example site",
            },
        }
    )
    settings.NANOBANANA = current
    nanobanana_fake.c2pa = True
    version = execute_version(generate(GenerationParams(prompt="A fox"), enqueue=False).pk)
    renditions = list(version.renditions.all())
    assert {r.format for r in renditions} == {"webp", "jpeg"}
    for rendition in renditions:
        with rendition.file.open("rb") as handle:
            data = handle.read()
        assert rendition.bytes == len(data)
        mime = "image/webp" if rendition.format == "webp" else "image/jpeg"
        with c2pa.Reader(mime, io.BytesIO(data)) as reader:
            store = json.loads(reader.json())
        active = store["manifests"][store["active_manifest"]]
        assert active["claim_generator_info"][0]["name"] == "Example site"
        (ingredient,) = active["ingredients"]
        assert ingredient["relationship"] == "parentOf"
        # The provider's manifest travels with the ingredient.
        assert len(store["manifests"]) == 2
        assert TRAINED_ALGORITHMIC_MEDIA in read_xmp(data), rendition.format


def test_without_a_certificate_nothing_is_signed_and_nothing_breaks(
    nanobanana_fake, media_root, small_renditions
):
    version = execute_version(generate(GenerationParams(prompt="A fox"), enqueue=False).pk)
    for rendition in version.renditions.all():
        with rendition.file.open("rb") as handle:
            data = handle.read()
        assert b"c2pa" not in data


def test_a_bad_certificate_is_logged_and_renditions_stay_unsigned(
    nanobanana_fake, media_root, settings, caplog
):
    current = dict(settings.NANOBANANA)
    current.update(
        {
            "RENDITION_WIDTHS": (320,),
            "RENDITION_FORMATS": ("jpeg",),
            "C2PA_SIGNING": {
                "CERT_CHAIN": "-----BEGIN CERTIFICATE-----\nno\n",
                "PRIVATE_KEY": "-----BEGIN PRIVATE KEY-----\nno\n",
            },
        }
    )
    settings.NANOBANANA = current
    version = execute_version(generate(GenerationParams(prompt="A fox"), enqueue=False).pk)
    (rendition,) = version.renditions.all()
    with rendition.file.open("rb") as handle:
        data = handle.read()
    assert TRAINED_ALGORITHMIC_MEDIA in read_xmp(data)
    assert "C2PA signing of a jpeg rendition failed" in caplog.text
