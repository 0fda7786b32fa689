"""Money through the flows: reserve on queue, settle from usage, refund when nothing was
spent, refuse over budget from every source, one settle per version whatever happens."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from django_nanobanana.exceptions import BudgetExceeded
from django_nanobanana.models import AssetVersion, AuditRecord, Budget, GeneratedAsset, LedgerEntry
from django_nanobanana.providers.models_registry import get_model
from django_nanobanana.services import GenerationParams, cancel, execute_version, generate
from django_nanobanana.services.reaper import reap
from django_nanobanana.services.transitions import claim_version
from django_nanobanana.services.worker import run

pytestmark = pytest.mark.django_db


def params(**kw):
    kw.setdefault("prompt", "A red bicycle")
    kw.setdefault("image_size", "1K")
    return GenerationParams(**kw)


def kinds(version_id):
    return sorted(LedgerEntry.objects.filter(version_id=version_id).values_list("kind", flat=True))


def test_settled_cost_is_tokens_times_prices(nanobanana_fake, media_root, editor):
    version = generate(params(), user=editor, enqueue=False)
    assert kinds(version.pk) == ["reserve"]
    done = execute_version(version.pk)
    prices = get_model(done.model).prices
    expected = (
        (
            done.prompt_text_tokens * prices.input_text
            + done.prompt_image_tokens * prices.input_image
            + (done.output_text_tokens + done.thoughts_tokens) * prices.output_text
            + done.output_image_tokens * prices.output_image
        )
        / Decimal(1_000_000)
    ).quantize(Decimal("0.000001"))
    assert done.cost == expected and done.thoughts_tokens > 0
    settle = LedgerEntry.objects.get(version_id=done.pk, kind="settle")
    assert settle.amount == expected
    audit = AuditRecord.objects.get(version_id=done.pk)
    assert audit.outcome == "succeeded" and audit.cost == expected
    assert audit.user == editor and audit.source == "api"


def test_redelivered_and_raced_tasks_settle_exactly_once(nanobanana_fake, media_root):
    version = generate(params(), enqueue=False)
    stale = claim_version(version.pk)
    reap(now=timezone.now() + timedelta(hours=1))
    execute_version(version.pk)
    execute_version(version.pk)  # delivered twice
    run(stale)  # the lost worker comes back late, with a second billed answer
    # One settle; the late worker's answer was billed too, so it is booked as a late
    # charge (never as a second settle, never dropped).
    assert kinds(version.pk) == ["late_charge", "reserve", "settle"]
    assert len(nanobanana_fake.billed) == 2
    booked = sum(
        LedgerEntry.objects.filter(
            version_id=version.pk, kind__in=("settle", "late_charge")
        ).values_list("amount", flat=True)
    )
    version.refresh_from_db()
    assert version.cost == booked == AuditRecord.objects.get(version_id=version.pk).cost


def test_cancel_and_failure_refund(nanobanana_fake, media_root, settings):
    queued = generate(params(prompt="never run"), enqueue=False)
    cancel(queued)
    assert kinds(queued.pk) == ["refund", "reserve"]
    settings.NANOBANANA = {
        "PROVIDERS": {
            "gemini": {
                "BASE_URL": nanobanana_fake.base_url,
                "API_KEY": "wrong",
                "API_KEY_ENV": None,
            }
        }
    }
    failed = generate(params(prompt="bad key"), enqueue=False)
    execute_version(failed.pk)
    assert kinds(failed.pk) == ["refund", "reserve"]
    assert AuditRecord.objects.get(version_id=failed.pk).outcome == "failed"


def test_cache_hits_cost_nothing_and_record_what_they_saved(nanobanana_fake, media_root, editor):
    first = generate(params(seed=1), user=editor, enqueue=False)
    execute_version(first.pk)
    first.refresh_from_db()
    hit = generate(params(seed=1), user=editor)
    entry = LedgerEntry.objects.get(version_id=hit.pk)
    assert entry.kind == "cache_hit" and entry.amount == 0 and entry.avoided == first.cost


def test_over_budget_is_refused_with_which_budget_and_nothing_is_queued(
    nanobanana_fake, media_root, editor
):
    Budget.objects.create(name="daily", scope="user", user=editor, period="day", image_limit=2)
    generate(params(prompt="one"), user=editor, enqueue=False)
    generate(params(prompt="two"), user=editor, enqueue=False)
    with pytest.raises(BudgetExceeded) as info:
        generate(params(prompt="three"), user=editor, enqueue=False)
    assert "daily" in info.value.message.lower() and info.value.resets_at > timezone.now()
    assert AssetVersion.objects.count() == 2 and GeneratedAsset.objects.count() == 2
    refused = AuditRecord.objects.get(outcome="refused")
    assert refused.prompt == "three" and refused.version_id is None


def test_invalid_requests_are_audited_too(nanobanana_fake, media_root, editor):
    from django_nanobanana.exceptions import RequestValidationError

    with pytest.raises(RequestValidationError):
        generate(params(aspect_ratio="7:3"), user=editor)
    record = AuditRecord.objects.get()
    assert record.outcome == "invalid" and "7:3" in record.reason


def test_cli_and_batch_obey_the_same_budgets(nanobanana_fake, media_root, tmp_path):
    Budget.objects.create(name="site", scope="site", period="month", amount_limit=Decimal("0"))
    with pytest.raises(CommandError, match="budget"):
        call_command("nanobanana_generate", "--prompt", "x", stdout=io.StringIO())
    path = tmp_path / "b.csv"
    path.write_text("prompt\nA\nB\n")
    with pytest.raises(CommandError, match="budget"):
        call_command(
            "nanobanana_batch",
            str(path),
            "--mode",
            "inline",
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
    assert AssetVersion.objects.count() == 0
    assert nanobanana_fake.generate_requests() == []
