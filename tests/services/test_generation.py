"""The generation flow through its public services, against the fake Gemini server."""

import threading

import pytest
from django.db import connection

from django_nanobanana import signals
from django_nanobanana.exceptions import (
    IdempotencyConflict,
    RequestValidationError,
    StateConflict,
)
from django_nanobanana.models import AssetVersion, GeneratedAsset, Rendition, State
from django_nanobanana.services import (
    GenerationParams,
    cancel,
    edit,
    execute_version,
    generate,
    regenerate,
    revert,
)
from tests.helpers import stored_files

pytestmark = pytest.mark.django_db


def params(**kw):
    kw.setdefault("prompt", "A harbour at dawn")
    kw.setdefault("aspect_ratio", "16:9")
    kw.setdefault("image_size", "1K")
    return GenerationParams(**kw)


def test_generate_queues_then_worker_finishes_with_file_and_renditions(
    nanobanana_fake, media_root, small_renditions, editor
):
    version = generate(params(), user=editor, title="Harbour", enqueue=False)
    assert version.state == State.QUEUED
    assert version.estimated_cost > 0
    assert nanobanana_fake.generate_requests() == []

    done = execute_version(version.pk)
    assert done.state == State.SUCCEEDED
    assert (done.width, done.height) == (1376, 768)
    assert done.attempts == 1 and done.cost > 0 and done.dominant_color.startswith("#")
    asset = GeneratedAsset.objects.get(pk=version.asset_id)
    assert asset.current_version_id == version.pk
    files = stored_files(media_root)
    assert f"nanobanana/{asset.pk}/{version.pk}/original-1.png" in files
    renditions = {(r.format, r.width) for r in done.renditions.all()}
    assert renditions == {("webp", 320), ("webp", 640), ("jpeg", 320), ("jpeg", 640)}
    assert all(r.file.name in files for r in done.renditions.all())


def test_a_second_delivery_finds_nothing_to_claim(nanobanana_fake, media_root, small_renditions):
    version = generate(params(), enqueue=False)
    finished = []
    signals.version_finished.connect(
        lambda **kw: finished.append(kw["version"].pk), weak=False, dispatch_uid="t-second-delivery"
    )
    try:
        assert execute_version(version.pk).state == State.SUCCEEDED
        assert execute_version(version.pk) is None
    finally:
        signals.version_finished.disconnect(dispatch_uid="t-second-delivery")
    assert len(nanobanana_fake.generate_requests()) == 1
    originals = [f for f in stored_files(media_root) if "original" in f]
    assert len(originals) == 1


def test_validation_fails_before_anything_is_created(nanobanana_fake, media_root):
    with pytest.raises(RequestValidationError) as info:
        generate(params(aspect_ratio="4:1", model="gemini-3-pro-image"))
    assert "aspect_ratio" in info.value.field_errors
    assert "1:1" in info.value.field_errors["aspect_ratio"][0]  # names the allowed values
    assert GeneratedAsset.objects.count() == 0


def test_regenerate_and_edit_keep_lineage(
    nanobanana_fake, media_root, small_renditions, run_queued
):
    first = generate(params(prompt="A cat"), enqueue=False)
    run_queued()
    first.refresh_from_db()
    again = regenerate(first, changes={"prompt": "A cat in a hat"}, enqueue=False)
    assert again.parent_id == first.pk and again.asset_id == first.asset_id
    assert again.kind == "regenerate" and again.prompt == "A cat in a hat"
    run_queued()
    again.refresh_from_db()
    edited = edit(again, instruction="Make the hat red", enqueue=False)
    assert edited.parent_id == again.pk and edited.kind == "edit"
    run_queued()
    edited.refresh_from_db()
    assert edited.state == State.SUCCEEDED
    # The edit continued the conversation: the earlier turns were sent back, with the
    # model's thought signatures unchanged and the stored original filled back in.
    previous = nanobanana_fake.generate_requests()[-2].body
    body = nanobanana_fake.generate_requests()[-1].body
    assert [turn.get("role") for turn in body["contents"]] == ["user", "model", "user"]
    assert body["contents"][0]["parts"][0]["text"] == "A cat in a hat"
    model_parts = body["contents"][1]["parts"]
    assert all(p.get("thoughtSignature") for p in model_parts)
    image_part = next(p for p in model_parts if "inlineData" in p)
    assert image_part["inlineData"]["data"] not in ("", "@original")
    assert body["contents"][2]["parts"][0]["text"] == "Make the hat red"
    assert previous["contents"][-1]["parts"][0]["text"] == "A cat in a hat"
    asset = GeneratedAsset.objects.get(pk=first.asset_id)
    assert asset.current_version_id == edited.pk
    assert asset.versions.count() == 3
    revert(asset, first)
    asset.refresh_from_db()
    assert asset.current_version_id == first.pk


def test_editing_an_unfinished_version_is_a_conflict(nanobanana_fake, media_root):
    version = generate(params(), enqueue=False)
    with pytest.raises(StateConflict):
        edit(version, instruction="brighter", enqueue=False)


def test_idempotency_key_returns_the_same_version(nanobanana_fake, media_root, editor):
    a = generate(params(), user=editor, idempotency_key="k-1", enqueue=False)
    b = generate(params(), user=editor, idempotency_key="k-1", enqueue=False)
    assert a.pk == b.pk
    assert AssetVersion.objects.count() == 1
    with pytest.raises(IdempotencyConflict):
        generate(params(prompt="something else"), user=editor, idempotency_key="k-1", enqueue=False)


def test_idempotency_keys_are_scoped_per_user(
    nanobanana_fake, media_root, editor, django_user_model
):
    other = django_user_model.objects.create_user("other")
    a = generate(params(), user=editor, idempotency_key="same", enqueue=False)
    b = generate(params(), user=other, idempotency_key="same", enqueue=False)
    assert a.pk != b.pk


@pytest.mark.django_db(transaction=True)
def test_idempotency_under_concurrency(nanobanana_fake, media_root, small_renditions, editor):
    results, errors = [], []
    barrier = threading.Barrier(10)

    def submit():
        try:
            barrier.wait()
            results.append(
                generate(params(), user=editor, idempotency_key="burst", enqueue=False).pk
            )
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(set(results)) == 1 and len(results) == 10
    assert AssetVersion.objects.count() == 1
    assert GeneratedAsset.objects.count() == 1
    for pk in set(results):
        execute_version(pk)
        execute_version(pk)
    assert len(nanobanana_fake.generate_requests()) == 1


def test_prompt_cache_reuses_a_finished_original_at_no_cost(
    nanobanana_fake, media_root, small_renditions
):
    first = generate(params(seed=7), enqueue=False)
    execute_version(first.pk)
    first.refresh_from_db()
    second = generate(params(seed=7))
    second.refresh_from_db()
    assert second.state == State.SUCCEEDED
    assert second.reused_from_id == first.pk and second.cost == 0
    assert second.asset_id != first.asset_id
    assert second.original.name != first.original.name
    assert second.original.read() == first.original.read()
    assert len(nanobanana_fake.generate_requests()) == 1
    third = generate(params(seed=7, use_cache=False), enqueue=False)
    assert third.state == State.QUEUED


def test_prompt_cache_can_be_switched_off(nanobanana_fake, media_root, settings):
    settings.NANOBANANA = {**settings.NANOBANANA, "PROMPT_CACHE": {"ENABLED": False}}
    first = generate(params(), enqueue=False)
    execute_version(first.pk)
    assert generate(params(), enqueue=False).state == State.QUEUED


def test_cancel_only_queued_work(nanobanana_fake, media_root):
    version = generate(params(), enqueue=False)
    cancel(version)
    assert version.state == State.CANCELLED
    assert execute_version(version.pk) is None
    with pytest.raises(StateConflict):
        cancel(version)
    assert nanobanana_fake.generate_requests() == []


def test_provider_failure_ends_failed_with_reason_and_no_file(
    nanobanana_fake, media_root, settings
):
    settings.NANOBANANA = {
        "PROVIDERS": {
            "gemini": {
                "BASE_URL": nanobanana_fake.base_url,
                "API_KEY": "wrong",
                "API_KEY_ENV": None,
            }
        }
    }
    version = generate(params(), enqueue=False)
    done = execute_version(version.pk)
    assert done.state == State.FAILED
    assert done.error_code == "API_KEY_INVALID" and "API key not valid" in done.error
    assert "wrong" not in done.error.replace("wrong key", "")
    assert stored_files(media_root) == []
    assert not Rendition.objects.exists()


def test_deleting_an_asset_removes_its_files(
    nanobanana_fake, media_root, small_renditions, django_capture_on_commit_callbacks
):
    version = generate(params(), enqueue=False)
    execute_version(version.pk)
    assert stored_files(media_root)
    asset = GeneratedAsset.objects.get(pk=version.asset_id)
    from django_nanobanana.services import delete_asset

    with django_capture_on_commit_callbacks(execute=True):
        delete_asset(asset)
    assert stored_files(media_root) == []
    assert not AssetVersion.objects.exists() and not Rendition.objects.exists()
