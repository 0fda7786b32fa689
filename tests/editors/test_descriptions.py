"""Alt text and focal point from one text-model call, against the fake Gemini server."""

from decimal import Decimal

import pytest
from django.template import Context, Template

from django_nanobanana.exceptions import BudgetExceeded
from django_nanobanana.models import (
    AuditRecord,
    BilledCall,
    Budget,
    DescriptionState,
    GeneratedAsset,
    ImageDescription,
    LedgerEntry,
    Review,
)
from django_nanobanana.providers.models_registry import get_text_model
from django_nanobanana.services import GenerationParams, execute_version, generate, queue
from django_nanobanana.services.description_worker import execute_description
from django_nanobanana.services.descriptions import (
    accept_description,
    alt_text_for,
    request_description,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_languages(settings):
    current = dict(settings.NANOBANANA)
    current["DESCRIPTIONS"] = {"LANGUAGES": ["en", "de"]}
    settings.NANOBANANA = current


def finished(editor, prompt="A lighthouse on a cliff at dusk", capture=None):
    version = generate(
        GenerationParams(prompt=prompt, aspect_ratio="16:9"),
        user=editor,
        title="Lighthouse",
        enqueue=False,
    )
    if capture is None:
        return execute_version(version.pk)
    with capture(execute=False) as callbacks:
        done = execute_version(version.pk)
    return done, callbacks


def text_requests(server):
    return server.text_requests()


def test_a_generation_ends_with_a_suggested_alt_text_and_focal_point_booked_like_any_call(
    nanobanana_fake,
    media_root,
    small_renditions,
    editor,
    two_languages,
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    queued = []
    monkeypatch.setattr(
        queue,
        "enqueue",
        lambda task, pk: queued.append(pk) if task == queue.RUN_DESCRIPTION else None,
    )
    version, callbacks = finished(editor, capture=django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:  # the worker's commit: describe_after_generation
            callback()
    description = ImageDescription.objects.get(version=version)
    assert queued == [description.pk]
    assert description.state == DescriptionState.QUEUED
    assert description.model == "gemini-3.1-flash-lite"
    assert description.estimated_cost > 0

    done = execute_description(description.pk)
    assert done.state == DescriptionState.SUCCEEDED, done.error
    assert done.review == Review.SUGGESTED
    assert done.alt_text["en"] == "A lighthouse on a cliff at dusk"
    assert done.alt_text["de"].startswith("[de] ")
    assert "main subject" in done.description["en"]
    assert 0 <= done.focal_point_x <= 1 and 0 <= done.focal_point_y <= 1

    # The wire format: a text model, JSON schema, no image modality, the image attached.
    (request,) = text_requests(nanobanana_fake)
    config = request.body["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    assert set(config["responseJsonSchema"]["properties"]) == {
        "alt_text",
        "description",
        "focal_point",
    }
    assert "responseModalities" not in config
    parts = request.body["contents"][0]["parts"]
    assert any("inlineData" in p for p in parts)

    # Booked like every call: a billed call priced at the text model's prices, settled.
    (billed,) = BilledCall.objects.filter(version_id=done.pk)
    usage = nanobanana_fake.billed[-1]["usage"]
    model = get_text_model()
    expected = (
        Decimal(usage["promptTokenCount"]) * model.prices.input_text
        + Decimal(usage["candidatesTokenCount"]) * model.prices.output_text
    ) / Decimal(1_000_000)
    assert billed.cost == expected.quantize(Decimal("0.000001"))
    assert done.cost == billed.cost > 0
    kinds = set(LedgerEntry.objects.filter(version_id=done.pk).values_list("kind", flat=True))
    assert kinds == {"reserve", "settle"}
    audit = AuditRecord.objects.get(version_id=done.pk)
    assert audit.outcome == "succeeded" and audit.cost == done.cost
    assert audit.model == "gemini-3.1-flash-lite" and audit.params["kind"] == "describe"


def test_pages_use_the_reviewed_alt_text_and_the_suggestion_only_when_allowed(
    nanobanana_fake, media_root, small_renditions, editor, settings
):
    version = finished(editor)
    asset = GeneratedAsset.objects.get(pk=version.asset_id)
    description = execute_description(request_description(version, user=editor, enqueue=False).pk)
    template = Template("{% load nanobanana %}{% nanobanana_picture asset %}")
    assert 'alt=""' in template.render(Context({"asset": asset}))
    assert alt_text_for(asset) == ""

    current = dict(settings.NANOBANANA)
    current["DESCRIPTIONS"] = {"USE_UNREVIEWED": True}
    settings.NANOBANANA = current
    assert alt_text_for(asset) == description.alt_text["en-us"]
    assert f'alt="{description.alt_text["en-us"]}"' in template.render(Context({"asset": asset}))

    accept_description(description, user=editor, alt_text="A white lighthouse at dusk")
    asset.refresh_from_db()
    assert asset.alt_text == "A white lighthouse at dusk"
    assert (asset.focal_point_x, asset.focal_point_y) == (
        description.focal_point_x,
        description.focal_point_y,
    )
    description.refresh_from_db()
    assert description.review == Review.ACCEPTED and description.reviewed_by == editor
    assert 'alt="A white lighthouse at dusk"' in template.render(Context({"asset": asset}))


def test_refused_for_budget_leaves_the_image_and_says_so(
    nanobanana_fake, media_root, small_renditions, editor
):
    version = finished(editor)
    Budget.objects.create(
        name="tight", scope="user", user=editor, period="day", amount_limit=version.cost
    )  # the image used it all up
    with pytest.raises(BudgetExceeded) as caught:
        request_description(version, user=editor, enqueue=False)
    refused = ImageDescription.objects.get(version=version)
    assert refused.state == DescriptionState.REFUSED
    assert "budget" in refused.error.lower() and refused.error == caught.value.message
    assert text_requests(nanobanana_fake) == []
    version.refresh_from_db()
    assert version.state == "succeeded" and version.original
    asset = GeneratedAsset.objects.get(pk=version.asset_id)
    assert asset.current_version_id == version.pk
    assert AuditRecord.objects.filter(outcome="refused", model="gemini-3.1-flash-lite").exists()


@pytest.mark.parametrize(
    "fault", [{"status": 503}, {"kind": "truncated_base64"}, {"kind": "malformed_json"}]
)
def test_faults_are_retried_and_every_billed_answer_booked(
    nanobanana_fake, media_root, small_renditions, editor, nanobanana_clock, fault
):
    version = finished(editor)
    nanobanana_fake.billed.clear()
    nanobanana_fake.add_faults([fault])
    done = execute_description(request_description(version, user=editor, enqueue=False).pk)
    assert done.state == DescriptionState.SUCCEEDED, done.error
    assert len(text_requests(nanobanana_fake)) == 2
    booked = sum(BilledCall.objects.filter(version_id=done.pk).values_list("cost", flat=True))
    assert done.cost == booked
    assert BilledCall.objects.filter(version_id=done.pk).count() == len(nanobanana_fake.billed)


def test_a_failed_call_refunds_and_keeps_the_image(
    nanobanana_fake, media_root, small_renditions, editor, nanobanana_clock
):
    version = finished(editor)
    nanobanana_fake.add_faults([{"status": 400, "message": "Bad request"}])
    done = execute_description(request_description(version, user=editor, enqueue=False).pk)
    assert done.state == DescriptionState.FAILED and "Bad request" in done.error
    assert set(LedgerEntry.objects.filter(version_id=done.pk).values_list("kind", flat=True)) == {
        "reserve",
        "refund",
    }
    assert done.cost == 0
    version.refresh_from_db()
    assert version.state == "succeeded"


def test_the_reaper_fails_a_description_whose_worker_was_lost_and_closes_its_money(
    nanobanana_fake, media_root, small_renditions, editor
):
    from datetime import timedelta

    from django.utils import timezone

    from django_nanobanana.services.reaper import reap

    version = finished(editor)
    row = request_description(version, user=editor, enqueue=False)
    ImageDescription.objects.filter(pk=row.pk).update(
        state="running", attempts=1, lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert reap()["descriptions_failed"] == 1
    row.refresh_from_db()
    assert row.state == DescriptionState.FAILED and row.error_code == "LEASE_EXPIRED"
    assert set(LedgerEntry.objects.filter(version_id=row.pk).values_list("kind", flat=True)) == {
        "reserve",
        "refund",
    }


def test_system_checks_name_a_bad_text_model_provider_or_crop_ratio(monkeypatch):
    from django.core.checks import run_checks
    from django.test import override_settings

    monkeypatch.setenv("GEMINI_API_KEY", "present")

    def found(config, check_id):
        with override_settings(NANOBANANA=config):
            return [m.msg for m in run_checks() if m.id == check_id]

    assert found({}, "nanobanana.E020") == [] and found({}, "nanobanana.E021") == []
    assert (
        "gemini-9-text" in found({"DESCRIPTIONS": {"MODEL": "gemini-9-text"}}, "nanobanana.E020")[0]
    )
    assert "'nowhere'" in found({"DESCRIPTIONS": {"PROVIDER": "nowhere"}}, "nanobanana.E020")[0]
    assert "'square'" in found({"CROPS": {"RATIOS": ("square",)}}, "nanobanana.E021")[0]
    assert (
        "4:5"
        in found(
            {"CROPS": {"RATIOS": ("1:1",), "BREAKPOINTS": [("(max-width: 599px)", "4:5")]}},
            "nanobanana.E021",
        )[0]
    )
