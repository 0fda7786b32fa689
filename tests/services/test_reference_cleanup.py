"""Reference images nobody uses are deleted after the retention period (issue 13, hole 6)."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from PIL import Image

from django_nanobanana import tasks
from django_nanobanana.models import ReferenceImage
from django_nanobanana.services import GenerationParams, generate
from django_nanobanana.services.references import store_reference
from django_nanobanana.storage import get_storage

pytestmark = pytest.mark.django_db


def png(colour: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 32), colour).save(out, "PNG")
    return out.getvalue()


def age(reference: ReferenceImage, days: float) -> None:
    then = timezone.now() - timedelta(days=days)
    ReferenceImage.objects.filter(pk=reference.pk).update(created_at=then, last_used_at=then)


def test_unused_references_are_deleted_after_retention_with_their_files(
    nanobanana_fake, media_root, django_user_model, django_capture_on_commit_callbacks
):
    alice = django_user_model.objects.create_user("alice")
    bob = django_user_model.objects.create_user("bob")
    unused = store_reference(png("red"), user=alice, name="unused.png")
    used = store_reference(png("blue"), user=alice, name="used.png")
    recent = store_reference(png("green"), user=alice, name="recent.png")
    # Bob uploaded the same bytes as Alice's unused one: one file, two rows.
    shared = store_reference(png("red"), user=bob, name="same.png")
    assert shared.file.name == unused.file.name
    generate(GenerationParams(prompt="x", references=(str(used.pk),)), user=alice, enqueue=False)
    for reference in (unused, used, shared):
        age(reference, 40)
    age(recent, 5)
    storage = get_storage()

    with django_capture_on_commit_callbacks(execute=True):  # files go after the commit
        assert tasks.delete_unused_references() == {"references": 2, "files": 1}  # 30 days
    assert set(ReferenceImage.objects.values_list("pk", flat=True)) == {used.pk, recent.pk}
    assert not storage.exists(unused.file.name)
    assert storage.exists(used.file.name) and storage.exists(recent.file.name)


def test_the_shared_file_stays_while_another_row_still_needs_it(media_root, django_user_model):
    alice = django_user_model.objects.create_user("alice")
    bob = django_user_model.objects.create_user("bob")
    old = store_reference(png("red"), user=alice)
    fresh = store_reference(png("red"), user=bob)
    age(old, 40)
    assert tasks.delete_unused_references() == {"references": 1, "files": 0}
    assert get_storage().exists(fresh.file.name)


def test_uploading_again_restarts_the_retention(media_root):
    reference = store_reference(png("red"))
    age(reference, 40)
    assert store_reference(png("red")).pk == reference.pk  # the same upload again
    assert tasks.delete_unused_references() == {"references": 0, "files": 0}


def test_command_dry_run_and_retention_setting(media_root, settings):
    reference = store_reference(png("red"))
    age(reference, 3)
    out = io.StringIO()
    call_command(
        "nanobanana_prune_references", "--older-than", "2", "--dry-run", "--json", stdout=out
    )
    assert json.loads(out.getvalue()) == {"references": 1, "files": 1}
    assert ReferenceImage.objects.filter(pk=reference.pk).exists()
    call_command("nanobanana_prune_references", stdout=io.StringIO())  # 30 days: kept
    assert ReferenceImage.objects.filter(pk=reference.pk).exists()
    call_command("nanobanana_prune_references", "--older-than", "2", stdout=io.StringIO())
    assert not ReferenceImage.objects.exists()
    settings.NANOBANANA = {**settings.NANOBANANA, "REFERENCE_RETENTION_DAYS": None}
    with pytest.raises(CommandError):
        call_command("nanobanana_prune_references")


def test_migrate_installs_the_daily_clean_up_schedule(db, settings):
    from django_q.models import Schedule

    from django_nanobanana.services.references import ensure_cleanup_schedule

    schedule = Schedule.objects.get(name="nanobanana-reference-cleanup")
    assert schedule.func == "django_nanobanana.tasks.delete_unused_references"
    assert schedule.schedule_type == Schedule.DAILY
    settings.NANOBANANA = {**settings.NANOBANANA, "REFERENCE_RETENTION_DAYS": None}
    ensure_cleanup_schedule()
    assert not Schedule.objects.filter(name="nanobanana-reference-cleanup").exists()
