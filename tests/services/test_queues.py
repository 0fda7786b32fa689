"""Two clusters: provider calls on the I/O one, renditions on the CPU one (ORM broker rows
show where each task went), and the reaper publishing a version whose renditions task
was lost. Real qcluster processes: tests/services/test_workers.py."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import OrmQ

from django_nanobanana import tasks
from django_nanobanana.models import AssetVersion, GeneratedAsset, State
from django_nanobanana.services import GenerationParams, execute_version, generate, queue
from django_nanobanana.services.reaper import reap
from django_nanobanana.testing.pytest_plugin import fake_settings
from django_nanobanana.workers import cpu_workers, io_workers

pytestmark = pytest.mark.django_db

QUEUES = {"IO_QUEUE_NAME": "site-io", "CPU_QUEUE_NAME": "site-cpu"}


@pytest.fixture
def two_clusters(nanobanana_fake, settings, media_root):
    settings.NANOBANANA = fake_settings(
        nanobanana_fake, RENDITION_WIDTHS=[320], RENDITION_FORMATS=["jpeg"], **QUEUES
    )
    return nanobanana_fake


def queued():
    """(cluster, task function, argument) of every task waiting in the ORM broker."""
    return sorted((row.key, row.func(), row.task["args"][0]) for row in OrmQ.objects.all())


def test_generation_goes_to_io_and_its_renditions_to_cpu(
    two_clusters, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        version = generate(GenerationParams(prompt="A lighthouse", image_size="1K"))
    assert queued() == [("site-io", "django_nanobanana.tasks.run_version", str(version.pk))]
    OrmQ.objects.all().delete()

    with django_capture_on_commit_callbacks(execute=True):
        finished = execute_version(version.pk)
    # The provider call is done and billed; renditions wait for the CPU cluster.
    assert finished.state == State.SUCCEEDED and not finished.renditions.exists()
    assert GeneratedAsset.objects.get(pk=version.asset_id).current_version_id is None
    # The alt-text call (DESCRIPTIONS["AUTO"]) is a provider call too: the I/O cluster.
    from django_nanobanana.models import ImageDescription

    description = ImageDescription.objects.get(version=finished)
    assert queued() == [
        ("site-cpu", "django_nanobanana.tasks.publish_version", str(version.pk)),
        ("site-io", "django_nanobanana.tasks.run_description", str(description.pk)),
    ]

    assert tasks.publish_version(str(version.pk)) == str(version.pk)
    assert [(r.width, r.format) for r in finished.renditions.all()] == [(320, "jpeg")]
    assert GeneratedAsset.objects.get(pk=version.asset_id).current_version_id == version.pk
    # Publishing again (a redelivered task) changes nothing.
    assert tasks.publish_version(str(version.pk)) == str(version.pk)
    assert finished.renditions.count() == 1


def test_one_cluster_writes_renditions_in_the_generation_task(
    nanobanana_fake, settings, media_root
):
    settings.NANOBANANA = fake_settings(
        nanobanana_fake, RENDITION_WIDTHS=[320], RENDITION_FORMATS=["jpeg"], QUEUE_NAME="site"
    )
    version = generate(GenerationParams(prompt="A lighthouse", image_size="1K"), enqueue=False)
    finished = execute_version(version.pk)
    assert finished.renditions.count() == 1
    assert GeneratedAsset.objects.get(pk=version.asset_id).current_version_id == version.pk
    assert not OrmQ.objects.exists()


def test_overlay_changes_and_webhooks_go_to_their_sides(two_clusters):
    queue.enqueue(queue.RENDER_ASSET, "a1")
    queue.enqueue(queue.DELIVER_WEBHOOK, "v1")
    assert queued() == [
        ("site-cpu", "django_nanobanana.tasks.render_asset", "a1"),
        ("site-io", "django_nanobanana.tasks.deliver_webhook", "v1"),
    ]


def test_reaper_publishes_a_version_whose_renditions_task_was_lost(two_clusters):
    version = generate(GenerationParams(prompt="A lighthouse", image_size="1K"), enqueue=False)
    execute_version(version.pk)
    OrmQ.objects.all().delete()  # its publish task is lost (a killed CPU worker)
    assert reap()["republished"] == 0  # not yet stale
    later = timezone.now() + timedelta(seconds=901)
    assert reap(now=later)["republished"] == 1
    assert queued() == [("site-cpu", "django_nanobanana.tasks.publish_version", str(version.pk))]
    tasks.publish_version(str(version.pk))
    assert reap(now=later)["republished"] == 0  # published: nothing left to do
    # A version that lost to a newer current one is not published again.
    newer = generate(
        GenerationParams(prompt="A newer lighthouse", image_size="1K"),
        asset=version.asset,
        enqueue=False,
    )
    execute_version(newer.pk)
    tasks.publish_version(str(newer.pk))
    assert AssetVersion.objects.get(pk=version.pk).renditions.exists()
    assert reap(now=later + timedelta(seconds=5))["republished"] == 0


def test_schedules_run_on_the_io_cluster(two_clusters):
    from django_q.models import Schedule

    from django_nanobanana.services.reaper import ensure_schedule
    from django_nanobanana.services.references import ensure_cleanup_schedule

    ensure_schedule()
    ensure_cleanup_schedule()
    assert set(Schedule.objects.values_list("name", "cluster")) == {
        ("nanobanana-reaper", "site-io"),
        ("nanobanana-reference-cleanup", "site-io"),
    }


def test_worker_sizing_rule():
    # 60 images a minute at 20 s each: 20 calls in flight, 25 with the 1.25 headroom.
    assert io_workers(60, 20) == 25
    assert io_workers(10, 6) == 2  # never fewer than two
    assert io_workers(0, 20) == 2
    assert cpu_workers() >= 1
