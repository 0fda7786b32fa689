"""Today's lineup, lifecycle as data, retired ids refused or replaced, Google's run-time word
(modelStatus, 404), models.list, grounding, and the registry checked against the fake."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from PIL import Image
from rest_framework.test import APIClient

from django_nanobanana.exceptions import RequestValidationError
from django_nanobanana.models import AssetVersion, AuditRecord, State
from django_nanobanana.providers import ImageRequest, ReferenceImage, get_provider
from django_nanobanana.providers.models_registry import get_registry, replacement_for
from django_nanobanana.services import GenerationParams, execute_version, generate, regenerate
from django_nanobanana.testing import fake_models

pytestmark = pytest.mark.django_db

SMALL = {"RENDITION_WIDTHS": (320,), "RENDITION_FORMATS": ("jpeg",)}


@pytest.fixture
def fake(nanobanana_fake, settings, media_root):
    settings.NANOBANANA = {**settings.NANOBANANA, **SMALL}
    return nanobanana_fake


def model_paths(server) -> list[str]:
    return [r.path.split("/models/")[1].split(":")[0] for r in server.generate_requests()]


# -- the default and the lineup -----------------------------------------------------------------


def test_default_settings_call_nano_banana_2_1(fake):
    version = generate(GenerationParams(prompt="A lighthouse at dawn"), enqueue=False)
    done = execute_version(version.pk)
    assert done.state == State.SUCCEEDED
    assert model_paths(fake) == ["gemini-nano-banana-2.1"]
    # Google's run-time word is recorded on the version.
    assert done.model_version == "gemini-nano-banana-2.1"
    assert done.model_status == {"modelStage": "STABLE"}


def test_lineup_lifecycle_is_data_with_replacements():
    registry = get_registry()
    stages = {m.id: m.stage for m in registry.values()}
    assert stages == {
        "gemini-nano-banana-2.1": "ga",
        "gemini-3-pro-image": "ga",
        "gemini-3.1-flash-lite-image": "ga",
        "gemini-3.1-flash-image": "deprecated",
        "gemini-2.5-flash-image": "legacy",
        "gemini-3.1-flash-image-preview": "retired",
        "gemini-3-pro-image-preview": "retired",
        "nano-banana-pro-preview": "retired",
    }
    assert replacement_for("gemini-3-pro-image-preview").id == "gemini-3-pro-image"
    # preview -> 3.1 Flash (deprecated in turn) -> 2.1
    assert replacement_for("gemini-3.1-flash-image-preview").id == "gemini-nano-banana-2.1"
    assert replacement_for("gemini-2.5-flash-image").id == "gemini-3.1-flash-lite-image"
    assert str(registry["gemini-3-pro-image-preview"].shutdown) == "2026-06-25"


# -- retired ids never reach the provider -------------------------------------------------------


def test_cli_refuses_a_retired_model_naming_its_replacement(fake):
    with pytest.raises(CommandError, match="gemini-3-pro-image instead"):
        call_command(
            "nanobanana_generate", "--prompt", "x", "--model", "gemini-3-pro-image-preview"
        )
    assert fake.requests == []
    assert not AssetVersion.objects.exists()


def test_a_refused_retired_model_is_audited(fake):
    with pytest.raises(RequestValidationError, match="gemini-3-pro-image instead"):
        generate(GenerationParams(prompt="x", model="gemini-3-pro-image-preview"))
    refused = AuditRecord.objects.get()
    assert refused.model == "gemini-3-pro-image-preview" and "retired" in refused.reason
    assert fake.requests == []


def test_provider_never_sends_a_retired_id(fake):
    with pytest.raises(RequestValidationError, match="retired"):
        get_provider().generate(ImageRequest(prompt="x", model="gemini-3.1-flash-image-preview"))
    assert fake.requests == []


def test_regenerating_a_version_of_a_retired_model_calls_its_replacement(fake):
    old = generate(GenerationParams(prompt="An old poster", image_size="1K"), enqueue=False)
    execute_version(old.pk)
    # A version stored before Google shut the preview down.
    AssetVersion.objects.filter(pk=old.pk).update(model="gemini-3-pro-image-preview")
    old.refresh_from_db()
    new = regenerate(old, enqueue=False)
    assert new.model == "gemini-3-pro-image"
    notices = new.params["notices"]
    assert any(
        "gemini-3-pro-image-preview was retired" in n and "gemini-3-pro-image" in n for n in notices
    )
    assert execute_version(new.pk).state == State.SUCCEEDED
    assert model_paths(fake)[-1] == "gemini-3-pro-image"
    assert AuditRecord.objects.get(version_id=new.pk).params["notices"] == notices


def test_api_regenerate_says_the_model_was_replaced(fake):
    admin = get_user_model().objects.create_superuser("root", password="pw")
    old = generate(GenerationParams(prompt="Poster", aspect_ratio="4:1"), enqueue=False, user=admin)
    execute_version(old.pk)
    AssetVersion.objects.filter(pk=old.pk).update(
        model="gemini-3.1-flash-image-preview", image_size="512"
    )
    client = APIClient()
    client.force_authenticate(admin)
    response = client.post(f"/api/nanobanana/assets/{old.asset_id}/regenerate/", {}, format="json")
    assert response.status_code == 202, response.content
    version = AssetVersion.objects.exclude(pk=old.pk).get()
    assert version.model == "gemini-nano-banana-2.1" and version.image_size == "1K"
    detail = client.get(f"/api/nanobanana/versions/{version.pk}/").json()
    assert any("retired" in n for n in detail["notices"])
    assert any("512" in n for n in detail["notices"])


def test_admin_regenerate_form_offers_the_replacement(fake, admin_client):
    old = generate(GenerationParams(prompt="Old"), enqueue=False)
    execute_version(old.pk)
    AssetVersion.objects.filter(pk=old.pk).update(model="gemini-3-pro-image-preview")
    page = admin_client.get(
        f"/admin/nanobanana/generatedasset/{old.asset_id}/regenerate/"
    ).content.decode()
    assert 'value="gemini-3-pro-image" selected' in page
    assert "which Google has retired" in page
    assert 'value="gemini-3-pro-image-preview"' not in page


def test_a_deprecated_model_still_works_and_warns(fake, admin_client):
    version = generate(
        GenerationParams(prompt="Old friend", model="gemini-3.1-flash-image", image_size="512"),
        enqueue=False,
    )
    assert any(
        "deprecated" in n and "gemini-nano-banana-2.1" in n for n in version.params["notices"]
    )
    done = execute_version(version.pk)
    assert done.state == State.SUCCEEDED
    assert done.model_status["modelStage"] == "DEPRECATED"
    page = admin_client.get(
        f"/admin/nanobanana/generatedasset/{done.asset_id}/change/"
    ).content.decode()
    assert 'id="nb-model-warning"' in page and "retiring on 2026-10-29" in page
    assert "Regenerate with gemini-nano-banana-2.1" in page


def test_not_found_fails_at_once_with_the_replacement(fake, settings):
    # The registry still believes in the preview id; Google answers 404.
    settings.NANOBANANA = {
        **settings.NANOBANANA,
        "MODELS": {"gemini-3-pro-image-preview": {"STAGE": "ga"}},
    }
    version = generate(
        GenerationParams(prompt="x", model="gemini-3-pro-image-preview"), enqueue=False
    )
    done = execute_version(version.pk)
    assert done.state == State.FAILED and done.error_code == "MODEL_NOT_FOUND"
    assert "not available to this key" in done.error and "gemini-3-pro-image" in done.error
    assert len(fake.generate_requests()) == 1  # never retried


# -- system checks --------------------------------------------------------------------------


def test_check_with_a_retired_default_names_the_replacement(settings):
    settings.NANOBANANA = {**settings.NANOBANANA, "DEFAULT_MODEL": "gemini-3.1-flash-image-preview"}
    from django_nanobanana.checks import check_settings

    messages = {m.id: m for m in check_settings()}
    assert "nanobanana.E012" in messages
    assert "gemini-nano-banana-2.1" in messages["nanobanana.E012"].msg


def test_check_warns_about_a_deprecated_allowed_model(settings):
    settings.NANOBANANA = {
        **settings.NANOBANANA,
        "PROVIDERS": {
            "gemini": {
                **settings.NANOBANANA["PROVIDERS"]["gemini"],
                "MODELS": ["gemini-nano-banana-2.1", "gemini-3.1-flash-image"],
            }
        },
    }
    from django_nanobanana.checks import check_settings

    warnings = [m for m in check_settings() if m.id == "nanobanana.W011"]
    assert len(warnings) == 1 and "2026-10-29" in warnings[0].msg


def test_unknown_provider_options_are_improperly_configured(settings):
    settings.NANOBANANA = {
        **settings.NANOBANANA,
        "PROVIDERS": {
            "gemini": {
                **settings.NANOBANANA["PROVIDERS"]["gemini"],
                "PERSON_GENERATION": "ALLOW_ADULT",
            }
        },
    }
    with pytest.raises(ImproperlyConfigured, match="PERSON_GENERATION"):
        get_provider()
    from django_nanobanana.checks import check_settings

    assert "nanobanana.E013" in {m.id for m in check_settings()}


# -- models.list -----------------------------------------------------------------------------


def test_models_command_follows_every_page(fake):
    fake.models_page_size = 2
    out = io.StringIO()
    call_command("nanobanana_models", "--json", stdout=out)
    data = json.loads(out.getvalue())
    rows = {row["id"]: row for row in data["models"]}
    assert data["listed"] == len(fake_models.SERVED) + len(fake_models.OTHER_LISTED)
    pages = [r for r in fake.requests if r.path == "/v1beta/models"]
    assert len(pages) == -(-data["listed"] // 2)
    assert rows["gemini-nano-banana-2.1"]["available"] is True
    assert rows["gemini-2.5-flash-image"]["available"] is True  # on the last page
    assert rows["gemini-3-pro-image-preview"]["available"] is False
    assert rows["gemini-3-pro-image-preview"]["replacement"] == "gemini-3-pro-image"
    assert data["problems"] == []


def test_models_check_fails_when_the_default_is_not_listed(fake):
    call_command("nanobanana_models", "--check", stdout=io.StringIO())
    fake.unlisted = {"gemini-nano-banana-2.1"}
    with pytest.raises(CommandError, match=r"gemini-nano-banana-2.1 .*not available") as info:
        call_command("nanobanana_models", "--check", stdout=io.StringIO())
    assert info.value.returncode == 1


# -- the registry against the fake (which has its own table) ---------------------------------


def conformance_problems(server) -> list[str]:
    """Every ratio x size the registry allows must answer 200 with the registry's pixel
    size; sizes the registry refuses must be refused by the server too."""
    import httpx

    problems = []
    for model in get_registry().values():
        if model.is_retired:
            continue
        url = f"{server.base_url}/v1beta/models/{model.id}:generateContent"
        for size in model.image_sizes or (None,):
            for ratio in model.aspect_ratios:
                config = {"aspectRatio": ratio, **({"imageSize": size} if size else {})}
                response = httpx.post(
                    url,
                    headers={"x-goog-api-key": server.api_key},
                    json={
                        "contents": [{"parts": [{"text": "x"}]}],
                        "generationConfig": {"imageConfig": config},
                    },
                    timeout=30,
                )
                if response.status_code != 200:
                    problems.append(f"{model.id} {ratio} {size}: {response.status_code}")
                    continue
                parts = response.json()["candidates"][0]["content"]["parts"]
                data = next(p["inlineData"]["data"] for p in parts if "inlineData" in p)
                import base64

                with Image.open(io.BytesIO(base64.b64decode(data))) as image:
                    if image.size != model.dimensions(ratio, size):
                        problems.append(f"{model.id} {ratio} {size}: {image.size}")
    return problems


@pytest.mark.slow
def test_registry_agrees_with_the_fake_google(fake_gemini, settings):
    # Only the biggest cell of each model is decoded at 4K: keep it to the 1K sizes plus a
    # few 2K/4K cells (the pixel rule is the same).
    settings.NANOBANANA = {
        **settings.NANOBANANA,
        "MODELS": {
            m.id: {"IMAGE_SIZES": [s for s in m.image_sizes if s in ("512", "1K")]}
            for m in get_registry().values()
            if m.image_sizes and not m.is_retired
        },
    }
    assert conformance_problems(fake_gemini) == []


def test_a_wrong_registry_entry_fails_against_the_fake(fake_gemini, settings):
    settings.NANOBANANA = {
        **settings.NANOBANANA,
        "MODELS": {
            "gemini-nano-banana-2.1": {"IMAGE_SIZES": ["512"]},  # Google answers 400
            "gemini-3-pro-image": {
                "IMAGE_SIZES": ["1K"],
                "ASPECT_RATIOS": ["1:1"],
                "DIMENSIONS_1K": {"1:1": [1000, 1000]},
            },  # wrong pixels
            "gemini-3.1-flash-lite-image": {"ASPECT_RATIOS": ["1:1"]},
            "gemini-3.1-flash-image": {"IMAGE_SIZES": ["512"], "ASPECT_RATIOS": ["1:1"]},
            "gemini-2.5-flash-image": {"ASPECT_RATIOS": ["1:1"]},
        },
    }
    problems = conformance_problems(fake_gemini)
    assert any(p.startswith("gemini-nano-banana-2.1 ") and "400" in p for p in problems)
    assert any(p.startswith("gemini-3-pro-image 1:1") and "(1024, 1024)" in p for p in problems)
    assert {p.split()[0] for p in problems} == {"gemini-nano-banana-2.1", "gemini-3-pro-image"}


# -- grounding -----------------------------------------------------------------------------


def test_grounded_request_carries_the_tool_stores_metadata_and_books_the_price(fake, admin_client):
    version = generate(
        GenerationParams(prompt="Today's weather over Lisbon as a poster", grounding="web+image"),
        enqueue=False,
    )
    model = get_registry()["gemini-nano-banana-2.1"]
    plain = model.estimate_cost(image_size=None, prompt_chars=len(version.prompt))
    assert version.estimated_cost == plain + Decimal("0.014")
    done = execute_version(version.pk)
    body = fake.generate_requests()[-1].body
    assert body["tools"] == [
        {"googleSearch": {"searchTypes": {"webSearch": {}, "imageSearch": {}}}}
    ]
    assert done.grounded_prompts == 1
    assert done.grounding_metadata["imageSearchQueries"]
    without = model.cost_from_usage(
        type(
            "U",
            (),
            {
                "prompt_text_tokens": done.prompt_text_tokens,
                "prompt_image_tokens": 0,
                "output_text_tokens": done.output_text_tokens,
                "thoughts_tokens": done.thoughts_tokens,
                "output_image_tokens": done.output_image_tokens,
                "grounded_prompts": 0,
            },
        )()
    )
    assert done.cost == without + Decimal("0.014")
    page = admin_client.get(
        f"/admin/nanobanana/generatedasset/{done.asset_id}/change/"
    ).content.decode()
    assert 'id="nb-grounding"' in page and "nb-search-suggestions" in page
    assert "srcdoc=" in page and "google.com/search" in page


def test_grounding_is_refused_where_the_model_has_none(fake):
    with pytest.raises(RequestValidationError, match="grounding"):
        generate(GenerationParams(prompt="x", model="gemini-3.1-flash-lite-image", grounding="web"))
    with pytest.raises(RequestValidationError, match=r"image search|web\+image"):
        generate(GenerationParams(prompt="x", model="gemini-3-pro-image", grounding="web+image"))
    assert fake.requests == []


def test_free_grounding_allowance_is_a_setting(fake, settings):
    settings.NANOBANANA = {**settings.NANOBANANA, "GROUNDING_FREE_PROMPTS_PER_MONTH": 1}
    first = execute_version(
        generate(GenerationParams(prompt="a", grounding="web"), enqueue=False).pk
    )
    second = execute_version(
        generate(GenerationParams(prompt="b", grounding="web"), enqueue=False).pk
    )
    model = get_registry()["gemini-nano-banana-2.1"]
    assert first.cost == model.cost_from_usage(_usage(first), free_grounding=True)
    assert second.cost == model.cost_from_usage(_usage(second))
    assert second.cost - model.cost_from_usage(_usage(second), free_grounding=True) == Decimal(
        "0.014"
    )


def _usage(version):
    return type(
        "U",
        (),
        {
            "prompt_text_tokens": version.prompt_text_tokens,
            "prompt_image_tokens": version.prompt_image_tokens,
            "output_text_tokens": version.output_text_tokens,
            "thoughts_tokens": version.thoughts_tokens,
            "output_image_tokens": version.output_image_tokens,
            "grounded_prompts": version.grounded_prompts,
        },
    )()


# -- inputs as Google takes them ----------------------------------------------------------------


def test_avif_references_are_converted_before_sending(fake):
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "orange").save(buffer, "AVIF")
    result = get_provider().generate(
        ImageRequest(
            prompt="use it",
            model="gemini-nano-banana-2.1",
            references=[ReferenceImage(buffer.getvalue(), "image/avif")],
        )
    )
    assert result.outcome == "succeeded"
    part = fake.generate_requests()[-1].body["contents"][-1]["parts"][1]["inlineData"]
    assert part["mimeType"] == "image/png"


def test_developer_api_takes_100_mb_inline(fake):
    from django_nanobanana.providers.gemini import GeminiProvider

    # 30 MB of references used to go through the Files API (20 MB limit); today inline.
    assert GeminiProvider.max_inline_request_bytes * 4 // 3 < 100 * 1024 * 1024
    assert GeminiProvider.max_inline_request_bytes > 30 * 1024 * 1024


def test_edit_history_images_count_toward_the_request_size(fake):
    from tests.providers.helpers import gemini

    provider = gemini(fake)
    first = provider.generate(ImageRequest(prompt="A kite", model="gemini-nano-banana-2.1"))
    small = gemini(fake, MAX_INLINE_REQUEST_BYTES=len(first.image) // 2)
    history = small.edit_history("A kite", [], first.model_turn, first.image, first.mime_type)
    reference = ReferenceImage(first.image, "image/png")
    history[0]["parts"].append(
        {
            "inlineData": {
                "mimeType": "image/png",
                "data": __import__("base64").b64encode(first.image).decode(),
            }
        }
    )
    result = small.generate(
        ImageRequest(
            prompt="Make it blue",
            model="gemini-nano-banana-2.1",
            history=history,
            references=[reference],
        )
    )
    assert result.outcome == "succeeded"
    contents = fake.generate_requests()[-1].body["contents"]
    sent_files = [p for turn in contents for p in turn["parts"] if "fileData" in p]
    assert len(sent_files) >= 2 and len(fake.files) >= 2  # the reference and history images


def test_vertex_only_image_config_never_reaches_the_developer_api(fake):
    result = get_provider().generate(
        ImageRequest(
            prompt="x", model="gemini-nano-banana-2.1", aspect_ratio="16:9", image_size="2K"
        )
    )
    assert result.outcome == "succeeded"
    image_config = fake.generate_requests()[-1].body["generationConfig"]["imageConfig"]
    assert set(image_config) == {"aspectRatio", "imageSize"}


def test_thinking_level_is_offered_in_the_admin(fake, admin_client):
    page = admin_client.get("/admin/nanobanana/generatedasset/add/").content.decode()
    assert 'name="thinking_level"' in page and 'value="medium"' in page
    assert 'name="grounding"' in page


def test_admin_edit_form_validates_an_edit_of_a_retired_model_as_the_service_makes_it(fake):
    from django_nanobanana.admin.forms import EditForm

    old = generate(
        GenerationParams(prompt="Old", model="gemini-3.1-flash-image", image_size="512"),
        enqueue=False,
    )
    execute_version(old.pk)
    AssetVersion.objects.filter(pk=old.pk).update(model="gemini-3.1-flash-image-preview")
    old.refresh_from_db()
    # 2.1 has no 512: the service adapts the size, so the form must not refuse it.
    form = EditForm(data={"instruction": "Make it blue"}, version=old)
    assert form.is_valid(), form.errors
    assert "which Google has retired" in str(form.fields["instruction"].help_text)
