"""Every billed answer is booked: the fault matrix.

For each fault the fake server can script, the money booked (settle + late charges, the
versions' cost, the budget counters' spend) equals what the fake server billed: the
``usageMetadata`` of every 200 it sent and of every Batch API result, priced here with the
registry (the fake itself knows no prices). A 200 whose body was cut (malformed JSON) is
billed with an unknown usage: the documented rule books the version's estimate for it.

Each case is also the regression test of one hole of issue 13 (item 2): on the code before
the fix, the lease case billed two calls and booked one, the truncated / malformed cases
booked only the last answer, the storage case refunded everything, the locked-database
case left the version running (the worker raised), the batch case requeued work whose job
was still running at the provider.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.storage import FileSystemStorage
from django.db import connection
from django.utils import timezone

from django_nanobanana.ledger import to_micros
from django_nanobanana.models import (
    AssetVersion,
    AuditRecord,
    BatchJob,
    BilledCall,
    Budget,
    BudgetCounter,
    LedgerEntry,
    State,
)
from django_nanobanana.providers import get_provider
from django_nanobanana.providers.base import ImageRequest
from django_nanobanana.providers.errors import MalformedResponseError
from django_nanobanana.providers.gemini import parse_usage_metadata
from django_nanobanana.providers.models_registry import get_model
from django_nanobanana.services import GenerationParams, execute_version, generate
from django_nanobanana.services.batch import run_with_batch_api
from django_nanobanana.services.reaper import reap
from tests.helpers import stored_files, wait_for

#: Threads (a worker and a reaper, a lock holder) need real commits.
pytestmark = pytest.mark.django_db(transaction=True)


def params(**kw):
    kw.setdefault("prompt", "A lighthouse at dusk")
    kw.setdefault("image_size", "1K")
    return GenerationParams(**kw)


def what_was_billed(server, versions) -> Decimal:
    """The fake server's billing log, priced with the registry (the ledger's rule for an
    unreadable 200: the version's estimate)."""
    capabilities = get_model(versions[0].model)
    total = Decimal(0)
    for entry in server.billed:
        if entry["usage"] is None:
            assert len(versions) == 1
            total += versions[0].estimated_cost
        else:
            total += capabilities.cost_from_usage(
                parse_usage_metadata(entry["usage"]), batch=entry["batch"]
            )
    return total


def assert_books_what_was_billed(server, versions):
    versions = [AssetVersion.objects.get(pk=v.pk) for v in versions]
    billed = what_was_billed(server, versions)
    assert server.billed and billed > 0
    ids = [v.pk for v in versions]
    booked = sum(
        LedgerEntry.objects.filter(
            version_id__in=ids, kind__in=("settle", "late_charge")
        ).values_list("amount", flat=True)
    )
    assert booked == billed, (booked, billed, server.billed)
    # The versions, the audit rows and the budget agree.
    assert sum(v.cost or 0 for v in versions) == billed
    assert (
        sum(AuditRecord.objects.filter(version_id__in=ids).values_list("cost", flat=True)) == billed
    )
    counter = BudgetCounter.objects.get()
    assert counter.spent_micros == to_micros(billed) and counter.reserved_micros == 0
    assert all(v.is_final for v in versions)
    # Attempt by attempt: one BilledCall row per billed answer, adding up to the same.
    calls = BilledCall.objects.filter(version_id__in=ids)
    assert calls.count() == len(server.billed)
    assert sum(calls.values_list("cost", flat=True)) == billed
    return versions


@pytest.fixture(autouse=True)
def _no_descriptions(settings):
    """These tests add up the money of image generations only: the describe call a
    finished generation queues (DESCRIPTIONS["AUTO"]) is booked on its own and tested in
    tests/editors."""
    current = dict(getattr(settings, "NANOBANANA", {}) or {})
    current["DESCRIPTIONS"] = {"AUTO": False}
    settings.NANOBANANA = current


@pytest.fixture
def site_budget(db):
    return Budget.objects.create(
        name="site", scope="site", period="month", amount_limit=Decimal("1000")
    )


# -- the faults ---------------------------------------------------------------------------------


def fault_truncated_image(server, settings, media_root):
    server.add_faults([{"kind": "truncated_base64"}])
    version = generate(params(), enqueue=False)
    done = execute_version(version.pk)
    assert done.state == State.SUCCEEDED and done.attempts == 1
    assert len(server.billed) == 2  # the truncated answer and the good one

    def then():
        notes = sorted(BilledCall.objects.values_list("note", flat=True))
        assert notes == ["result", "unusable"]

    return [version], then


def fault_malformed_json(server, settings, media_root):
    server.add_faults([{"kind": "malformed_json"}])
    version = generate(params(), enqueue=False)
    done = execute_version(version.pk)
    assert done.state == State.SUCCEEDED

    def then():
        unknown = BilledCall.objects.get(usage_known=False)
        assert unknown.note == "malformed" and unknown.cost == done.estimated_cost

    return [version], then


def fault_500_then_200(server, settings, media_root):
    server.add_faults([{"status": 500}])
    version = generate(params(), enqueue=False)
    assert execute_version(version.pk).state == State.SUCCEEDED
    assert len(server.generate_requests()) == 2 and len(server.billed) == 1
    return [version], None


def fault_lease_expiry_during_slow_call(server, settings, media_root):
    """A call slower than the lease while the reaper runs: the heartbeat keeps the lease,
    the reaper leaves the live call alone, one call is billed and booked."""
    lease = 2.0
    settings.NANOBANANA = {
        **settings.NANOBANANA,
        "TASK_LEASE_SECONDS": lease,
        "REQUEUE_AFTER_SECONDS": None,
    }
    server.latency = 2 * lease
    version = generate(params(), enqueue=False)
    outcome = {}

    def worker():
        try:
            outcome["version"] = execute_version(version.pk)
        finally:
            connection.close()

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        wait_for(
            lambda: AssetVersion.objects.get(pk=version.pk).state == State.RUNNING,
            30,
            "never started",
        )
        claimed_at = AssetVersion.objects.get(pk=version.pk).started_at
        # Past the lease the worker was given at its claim: a reaper runs, as it would.
        wait_for(lambda: timezone.now() > claimed_at + timedelta(seconds=lease * 1.2), 30, "clock")
        requeued = 0
        while thread.is_alive():
            counts = reap()
            requeued += counts["requeued"]
            if counts["requeued"]:  # what a second worker would do with requeued work
                execute_version(version.pk)
            time.sleep(0.1)
    finally:
        thread.join(timeout=60)
    assert requeued == 0
    assert outcome["version"].state == State.SUCCEEDED and outcome["version"].attempts == 1
    assert len(server.generate_requests()) == 1
    return [version], None


class FailingOriginals(FileSystemStorage):
    """A real file system storage that cannot save originals (renditions are fine)."""

    def _save(self, name, content):
        if "original-" in name:
            raise OSError("the bucket went away")
        return super()._save(name, content)


def fault_storage_failure_after_success(server, settings, media_root):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "tests.services.test_billing.FailingOriginals",
            "OPTIONS": {"location": str(media_root), "base_url": "/media/"},
        },
    }
    version = generate(params(), enqueue=False)
    done = execute_version(version.pk)
    assert done.state == State.FAILED and done.error_code == "INTERNAL_ERROR"
    assert done.cost and done.cost > 0  # what was billed stays booked
    assert stored_files(media_root) == []
    return [version], None


def hold_database_lock(version_id, seconds, acquired):
    """From another connection: SQLite's write lock, or PostgreSQL's lock on the version's
    row, held for ``seconds``."""
    if connection.vendor == "sqlite":
        other = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            acquired.set()
            time.sleep(seconds)
            other.execute("COMMIT")
        finally:
            other.close()
        return
    from django.db import connections

    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            other.set_autocommit(False)
            cursor.execute(
                "SELECT 1 FROM nanobanana_assetversion WHERE id = %s FOR UPDATE", [version_id]
            )
            acquired.set()
            time.sleep(seconds)
            other.commit()
    finally:
        other.close()


class LockingOriginals(FileSystemStorage):
    """Saving the original hands the database lock to another connection for a while:
    the settle that follows meets a real "database is locked" (PostgreSQL: a lock
    timeout)."""

    hold = 1.5
    holders: list[threading.Thread] = []
    version_id = ""

    def _save(self, name, content):
        saved = super()._save(name, content)
        if "original-" in name:
            acquired = threading.Event()
            holder = threading.Thread(
                target=hold_database_lock, args=(LockingOriginals.version_id, self.hold, acquired)
            )
            holder.start()
            type(self).holders.append(holder)
            assert acquired.wait(10)
        return saved


def fault_locked_database_at_settle(server, settings, media_root):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "tests.services.test_billing.LockingOriginals",
            "OPTIONS": {"location": str(media_root), "base_url": "/media/"},
        },
    }
    version = generate(params(), enqueue=False)
    LockingOriginals.version_id = str(version.pk)
    sqlite = connection.vendor == "sqlite"
    with connection.cursor() as cursor:  # give up waiting for the lock after 0.1 s
        cursor.execute("PRAGMA busy_timeout = 100" if sqlite else "SET lock_timeout = '100ms'")
    try:
        done = execute_version(version.pk)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA busy_timeout = 20000" if sqlite else "SET lock_timeout = 0")
        for holder in LockingOriginals.holders:
            holder.join(timeout=30)
        LockingOriginals.holders.clear()
    assert done.state == State.SUCCEEDED and done.lease_expires_at is None
    assert done.original and done.attempts == 1
    return [version], None


class CreatorKilled(BaseException):
    """The process running the batch dies (not an Exception: nothing catches it)."""


def fault_killed_batch_creator(server, settings, media_root):
    server.batch_polls_to_finish = 2  # the creator's poll and the reaper's first: running
    versions = [generate(params(prompt=f"Batch poster {i}"), enqueue=False) for i in range(2)]

    def die(seconds):
        raise CreatorKilled

    with pytest.raises(CreatorKilled):
        run_with_batch_api(versions, timeout=60, poll_interval=0.01, sleep=die)
    assert set(AssetVersion.objects.values_list("state", flat=True)) == {State.RUNNING}
    # The lease runs out; the job still runs at the provider: nothing is requeued.
    later = timezone.now() + timedelta(hours=1)
    counts = reap(now=later)
    assert counts["requeued"] == 0 and counts.get("batch_running") == 2
    assert set(AssetVersion.objects.values_list("state", flat=True)) == {State.RUNNING}
    # Next run: the job is done at the provider; its results are applied, not redone.
    counts = reap(now=later + timedelta(hours=1))
    assert counts["batch_collected"] == 1 and counts["requeued"] == 0
    assert set(AssetVersion.objects.values_list("state", flat=True)) == {State.SUCCEEDED}
    assert server.generate_requests() == []  # never run a second time
    assert len(server.billed) == 2 and all(e["batch"] for e in server.billed)

    def then():  # recorded by name, with its versions
        job = BatchJob.objects.get()
        assert job.name.startswith("batches/") and job.state == "SUCCEEDED"
        assert set(job.versions.values_list("pk", flat=True)) == {v.pk for v in versions}
        assert set(BilledCall.objects.values_list("batch_job", flat=True)) == {job.name}

    return versions, then


FAULTS = {
    "truncated_image": fault_truncated_image,
    "malformed_json": fault_malformed_json,
    "500_then_200": fault_500_then_200,
    "lease_expiry_during_slow_call": fault_lease_expiry_during_slow_call,
    "storage_failure_after_success": fault_storage_failure_after_success,
    "locked_database_at_settle": fault_locked_database_at_settle,
    "killed_batch_creator": fault_killed_batch_creator,
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_fault_matrix_books_exactly_what_the_provider_billed(
    fault, nanobanana_fake, nanobanana_clock, media_root, settings, site_budget
):
    versions, then = FAULTS[fault](nanobanana_fake, settings, media_root)
    assert_books_what_was_billed(nanobanana_fake, versions)
    if then is not None:
        then()


# -- the provider reports every billed attempt ---------------------------------------------------


def test_generate_reports_each_billed_answer_as_it_arrives(
    nanobanana_fake, nanobanana_clock, settings
):
    nanobanana_fake.add_faults(
        [{"kind": "truncated_base64"}, {"kind": "malformed_json"}, {"status": 503}]
    )
    provider = get_provider()
    seen = []
    result = provider.generate(
        ImageRequest(prompt="a kite", model=get_model(None).id), on_billed=seen.append
    )
    assert result.outcome == "succeeded" and result.attempts == 4
    assert [(b.number, b.note, b.usage_known) for b in result.billed] == [
        (1, "unusable", True),
        (2, "malformed", False),
        (4, "result", True),
    ]
    assert seen == result.billed
    assert result.billed[0].usage.output_image_tokens > 0
    assert result.billed[-1].usage == result.usage


def test_a_call_that_gives_up_still_reports_what_was_billed(
    nanobanana_fake, nanobanana_clock, settings
):
    settings.NANOBANANA = {
        **settings.NANOBANANA,
        "PROVIDERS": {
            "gemini": {**settings.NANOBANANA["PROVIDERS"]["gemini"], "RETRY": {"MAX_ATTEMPTS": 2}}
        },
    }
    nanobanana_fake.add_faults([{"kind": "truncated_base64", "repeat": 2}])
    with pytest.raises(MalformedResponseError) as info:
        get_provider().generate(ImageRequest(prompt="a kite", model=get_model(None).id))
    assert [b.note for b in info.value.billed] == ["unusable", "unusable"]
    assert len(nanobanana_fake.billed) == 2


def test_a_version_that_gives_up_books_its_billed_answers(
    nanobanana_fake, nanobanana_clock, media_root, settings, site_budget
):
    settings.NANOBANANA = {
        **settings.NANOBANANA,
        "PROVIDERS": {
            "gemini": {**settings.NANOBANANA["PROVIDERS"]["gemini"], "RETRY": {"MAX_ATTEMPTS": 2}}
        },
    }
    nanobanana_fake.add_faults([{"kind": "truncated_base64", "repeat": 2}])
    version = generate(params(), enqueue=False)
    done = execute_version(version.pk)
    assert done.state == State.FAILED and done.error_code == "MALFORMED_RESPONSE"
    assert_books_what_was_billed(nanobanana_fake, [version])
