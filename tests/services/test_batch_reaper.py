import io
import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from PIL import Image

from django_nanobanana.models import AssetVersion, GeneratedAsset, State
from django_nanobanana.services import GenerationParams, execute_version, generate
from django_nanobanana.services.reaper import reap
from django_nanobanana.services.transitions import claim_version
from django_nanobanana.services.worker import run

pytestmark = pytest.mark.django_db


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_batch_with_bad_rows_is_refused_whole_naming_each_line(
    nanobanana_fake, media_root, tmp_path
):
    path = write(
        tmp_path,
        "rows.csv",
        "\n".join(
            [
                "prompt,title,aspect_ratio,size",
                "A fox,Fox,16:9,1K",
                ",Empty,1:1,1K",  # line 3: empty prompt
                "A bee,Bee,7:3,1K",  # line 4: bad ratio
                "A cow,Cow,1:1,9K",  # line 5: bad size
                "A hen,Hen,1:1,1K",
            ]
        ),
    )
    err = io.StringIO()
    with pytest.raises(CommandError, match="3 bad row"):
        call_command("nanobanana_batch", str(path), stderr=err)
    lines = err.getvalue()
    for number in (3, 4, 5):
        assert f"rows.csv:{number}:" in lines
    assert "rows.csv:2:" not in lines and "rows.csv:6:" not in lines
    assert "7:3" in lines and "9K" in lines
    assert AssetVersion.objects.count() == 0 and GeneratedAsset.objects.count() == 0


def test_jsonl_batch_of_50_completes_with_a_summary(
    nanobanana_fake, media_root, tmp_path, settings
):
    settings.NANOBANANA = {
        **settings.NANOBANANA,
        "RENDITION_WIDTHS": (320,),
        "RENDITION_FORMATS": ("jpeg",),
    }
    ref = tmp_path / "ref.png"
    Image.new("RGB", (64, 64), "red").save(ref)
    rows = [
        {
            "prompt": f"Poster number {i}",
            "title": f"P{i}",
            "ratio": "1:1",
            "size": "1K",
            **({"overlay": f"Sale {i}"} if i % 10 == 0 else {}),
            **({"references": ["ref.png"]} if i % 7 == 0 else {}),
        }
        for i in range(50)
    ]
    path = write(tmp_path, "rows.jsonl", "\n".join(json.dumps(r) for r in rows))
    out = io.StringIO()
    call_command(
        "nanobanana_batch",
        str(path),
        "--mode",
        "inline",
        "--json",
        stdout=out,
        stderr=io.StringIO(),
    )
    result = json.loads(out.getvalue())
    assert result["succeeded"] == 50 and result["total"] == 50 and result["failed"] == 0
    assert float(result["cost"]) > 0
    assert len(nanobanana_fake.generate_requests()) == 50
    assert AssetVersion.objects.filter(source="batch", state="succeeded").count() == 50
    with_refs = [
        r
        for r in nanobanana_fake.generate_requests()
        if any("inlineData" in p for p in r.body["contents"][-1]["parts"])
    ]
    assert len(with_refs) == len([i for i in range(50) if i % 7 == 0])


def test_reaper_requeues_then_fails_after_the_attempt_limit(nanobanana_fake, media_root, settings):
    settings.NANOBANANA = {**settings.NANOBANANA, "MAX_ATTEMPTS": 2}
    version = generate(GenerationParams(prompt="lost"), enqueue=False)
    claim_version(version.pk)  # a worker took it ... and died
    later = timezone.now() + timedelta(hours=1)
    assert reap(now=later)["requeued"] == 1
    version.refresh_from_db()
    assert version.state == State.QUEUED and version.attempts == 1
    claim_version(version.pk)  # second worker dies too
    counts = reap(now=later + timedelta(hours=1))
    assert counts["failed"] == 1
    version.refresh_from_db()
    assert version.state == State.FAILED and version.error_code == "ATTEMPTS_EXHAUSTED"
    assert reap(now=later + timedelta(hours=2))["failed"] == 0


def test_a_worker_that_lost_its_lease_cannot_overwrite_the_winner(
    nanobanana_fake, media_root, settings
):
    version = generate(GenerationParams(prompt="race"), enqueue=False)
    stale = claim_version(version.pk)
    reap(now=timezone.now() + timedelta(hours=1))  # requeued
    winner = execute_version(version.pk)  # attempt 2 wins
    assert winner.state == State.SUCCEEDED and winner.attempts == 2
    run(stale)  # the stale attempt 1 finishes late: its result must be thrown away
    version.refresh_from_db()
    assert version.original.name == winner.original.name
    assert version.original.name.endswith("original-2.png")
    originals = [p for p in media_root.rglob("original-*")]
    assert [p.name for p in originals] == ["original-2.png"]


def test_reap_command_prints_counts(db):
    out = io.StringIO()
    call_command("nanobanana_reap", "--json", stdout=out)
    assert json.loads(out.getvalue()) == {
        "requeued": 0,
        "failed": 0,
        "reenqueued": 0,
        "batch_running": 0,
        "batch_collected": 0,
        "republished": 0,
        "descriptions_failed": 0,
    }


def test_migrate_installs_the_reaper_schedule(db):
    from django_q.models import Schedule

    schedule = Schedule.objects.get(name="nanobanana-reaper")
    assert schedule.func == "django_nanobanana.tasks.reap"
    assert schedule.minutes == 5


def batch_file(tmp_path, count):
    rows = [{"prompt": f"Batch poster {i}", "ratio": "1:1", "size": "1K"} for i in range(count)]
    return write(tmp_path, "api.jsonl", "\n".join(json.dumps(r) for r in rows))


def test_batch_api_mode_runs_one_job_at_half_price(nanobanana_fake, media_root, tmp_path, settings):
    from django_nanobanana.models.ledger import LedgerEntry
    from django_nanobanana.providers.models_registry import get_model

    settings.NANOBANANA = {
        **settings.NANOBANANA,
        "RENDITION_WIDTHS": (320,),
        "RENDITION_FORMATS": ("jpeg",),
    }
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "nanobanana_batch",
        str(batch_file(tmp_path, 5)),
        "--mode",
        "batch-api",
        "--poll-interval",
        "0.05",
        "--json",
        stdout=out,
        stderr=err,
    )
    result = json.loads(out.getvalue())
    assert result["succeeded"] == 5
    paths = [r.path for r in nanobanana_fake.requests if r.method == "POST"]
    assert len([p for p in paths if p.endswith(":batchGenerateContent")]) == 1
    assert not [p for p in paths if p.endswith(":generateContent")]
    assert "BATCH_STATE_SUCCEEDED" not in err.getvalue() and "SUCCEEDED" in err.getvalue()
    for version in AssetVersion.objects.all():
        assert version.state == State.SUCCEEDED and version.original
        full = get_model(version.model).cost_from_usage(version)  # tokens are on the row
        assert version.cost == (full / 2).quantize(version.cost)
        assert LedgerEntry.objects.get(version_id=version.pk, kind="settle").amount == version.cost


def test_batch_api_timeout_cancels_the_job_and_refunds(nanobanana_fake, media_root, tmp_path):
    from django_nanobanana.models.ledger import LedgerEntry

    nanobanana_fake.batch_polls_to_finish = None  # the job never finishes
    with pytest.raises(CommandError, match="did not succeed"):
        call_command(
            "nanobanana_batch",
            str(batch_file(tmp_path, 3)),
            "--mode",
            "batch-api",
            "--poll-interval",
            "0.05",
            "--timeout",
            "0.3",
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
    versions = AssetVersion.objects.all()
    assert versions.count() == 3
    assert {v.state for v in versions} == {State.FAILED}
    assert {v.error_code for v in versions} == {"BATCH_TIMEOUT"}
    assert any(r.path.endswith(":cancel") for r in nanobanana_fake.requests)
    (job,) = nanobanana_fake.batches.values()
    assert job["state"] == "BATCH_STATE_CANCELLED"
    for version in versions:
        kinds = sorted(
            LedgerEntry.objects.filter(version_id=version.pk).values_list("kind", flat=True)
        )
        assert kinds == ["refund", "reserve"]
