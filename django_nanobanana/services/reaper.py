"""The reaper: no version stays ``running`` (or ``queued`` with a lost task) forever.

A version is ``running`` under a lease, which a live worker keeps extending
(:class:`~.lease.Heartbeat`). If its worker is killed or its task lost, the lease runs out;
the reaper then puts it back to ``queued`` (and enqueues it again) while attempts remain,
or fails it with a reason and closes its money (answers billed to lost attempts stay
booked, the rest of the reservation is released). All transitions are conditional
updates, so reaping concurrently with a late worker is safe: whichever update lands first
wins, the other changes nothing.

Versions carried by a Gemini Batch API job are different: the job runs at the provider
whatever became of the process that created it. Before touching them the reaper asks the
provider for the job's state (:func:`~.batch.check_job`): while it runs their lease is
extended and they are left alone; once it is done its results are applied (and booked);
only a job the provider does not know lets them be requeued.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_q.models import Schedule

from .. import signals
from ..conf import nanobanana_settings
from ..ledger import accounting
from ..models import AssetVersion, BatchJob, State
from . import queue
from .batch import check_job
from .description_worker import reap_descriptions
from .transitions import take_back

logger = logging.getLogger(__name__)


def reap(*, now: Any = None) -> dict[str, int]:
    """Requeue or fail versions whose lease expired; re-enqueue stale queued ones."""
    now = now or timezone.now()
    counts = {
        "requeued": 0,
        "failed": 0,
        "reenqueued": 0,
        "batch_running": 0,
        "batch_collected": 0,
        "republished": 0,
    }
    max_attempts = nanobanana_settings.MAX_ATTEMPTS
    _check_batch_jobs(now, counts)
    counts["descriptions_failed"] = reap_descriptions(now=now)
    expired = AssetVersion.objects.filter(state=State.RUNNING, lease_expires_at__lt=now)
    for version in expired.only("pk", "attempts"):
        with transaction.atomic():
            if version.attempts < max_attempts:
                if take_back(
                    version,
                    now,
                    State.QUEUED,
                    error_code="LEASE_EXPIRED",
                    error=_("The worker was lost; queued again."),
                ):
                    counts["requeued"] += 1
                    queue.enqueue_on_commit(queue.RUN_VERSION, version.pk)
            elif take_back(
                version,
                now,
                State.FAILED,
                finished_at=now,
                error_code="ATTEMPTS_EXHAUSTED",
                error=_("The worker was lost %(n)d times; giving up.") % {"n": version.attempts},
            ):
                counts["failed"] += 1
                failed = AssetVersion.objects.get(pk=version.pk)
                accounting.release(failed, outcome=State.FAILED)
                transaction.on_commit(
                    lambda v=failed: signals.version_finished.send(sender=AssetVersion, version=v)
                )
    stale_after = nanobanana_settings.REQUEUE_AFTER_SECONDS
    if stale_after:
        stale = AssetVersion.objects.filter(
            state=State.QUEUED,
            created_at__lt=now - timedelta(seconds=stale_after),
            reused_from__isnull=True,
        ).values_list("pk", flat=True)
        for pk in stale:
            # A duplicate delivery is harmless: the claim is conditional.
            queue.enqueue(queue.RUN_VERSION, pk)
            counts["reenqueued"] += 1
    if stale_after:
        _republish_lost(now, timedelta(seconds=stale_after), counts)
    if any(counts.values()):
        logger.warning("reaper: %s", counts)
    return counts


def _check_batch_jobs(now: Any, counts: dict[str, int]) -> None:
    """Ask the provider about every open batch job with an expired version (see above)."""
    jobs = (
        BatchJob.objects.filter(
            versions__state=State.RUNNING,
            versions__lease_expires_at__lt=now,
        )
        .exclude(state__in=("SUCCEEDED", "FAILED", "CANCELLED", "EXPIRED", "LOST"))
        .distinct()
    )
    for job in jobs:
        answer = check_job(job)
        if answer in ("running", "unreachable"):
            # Still the provider's work (or we cannot tell): keep the versions running.
            lease = timedelta(seconds=nanobanana_settings.TASK_LEASE_SECONDS)
            job.versions.filter(state=State.RUNNING).update(lease_expires_at=now + lease)
            counts["batch_running"] += job.versions.filter(state=State.RUNNING).count()
        elif answer == "collected":
            counts["batch_collected"] += 1


def _republish_lost(now: Any, stale_after: timedelta, counts: dict[str, int]) -> None:
    """Versions that succeeded but whose renditions task was lost (its CPU worker killed):
    no rendition written, not current, nothing newer current, finished in the last day.
    Publishing again is idempotent (deterministic names, rows written once)."""
    lost = (
        AssetVersion.objects.filter(
            state=State.SUCCEEDED,
            finished_at__lt=now - stale_after,
            finished_at__gte=now - max(stale_after * 4, timedelta(days=1)),
            renditions__isnull=True,
        )
        .exclude(original="")
        .filter(
            Q(asset__current_version__isnull=True)
            | Q(asset__current_version__created_at__lt=F("created_at"))
        )
        .values_list("pk", flat=True)
    )
    for pk in lost:
        queue.enqueue(queue.PUBLISH_VERSION, pk)
        counts["republished"] += 1


def ensure_schedule(**kwargs: Any) -> None:
    """Create or update the django-q2 schedule that runs the reaper (post_migrate hook)."""
    minutes = nanobanana_settings.REAPER_EVERY_MINUTES
    queue.ensure_schedule(
        "nanobanana-reaper",
        "django_nanobanana.tasks.reap",
        enabled=bool(minutes),
        schedule_type=Schedule.MINUTES,
        minutes=int(minutes or 0),
    )
