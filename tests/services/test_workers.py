"""Real django-q2 workers (ORM broker) against the fake server: throughput, a worker
killed mid-generation, and a task delivered twice. Bounded by counts and timeouts."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from django_nanobanana.models import AssetVersion, State
from django_nanobanana.models.ledger import LedgerEntry
from django_nanobanana.services import GenerationParams, generate, queue
from django_nanobanana.services.reaper import reap
from django_nanobanana.testing.pytest_plugin import fake_settings
from tests import helpers

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]


def wait_for(predicate, timeout, message):
    # the clusters write from other processes: poll the database gently
    helpers.wait_for(predicate, timeout, message, interval=0.2)


class Cluster:
    """A ``manage.py qcluster`` subprocess sharing the test database and media folder."""

    def __init__(
        self, server, media_root, tmp_path, *, name=None, q_cluster=None, environ=None, **nanobanana
    ):
        self.log = tmp_path / "signals.log"
        self.log.touch()
        nanobanana = {"RENDITION_WIDTHS": [320], "RENDITION_FORMATS": ["jpeg"], **nanobanana}
        settings = fake_settings(server, **nanobanana)
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "NANOBANANA_TEST_DB_NAME": str(connection.settings_dict["NAME"]),
            "NANOBANANA_TEST_MEDIA": str(media_root),
            "NANOBANANA_TEST_SETTINGS_JSON": json.dumps(settings),
            "NANOBANANA_TEST_SIGNAL_LOG": str(self.log),
            "PYTHONPATH": str(ROOT),
            **(environ or {}),
        }
        if name:  # one of Q_CLUSTER["ALT_CLUSTERS"]
            self.env["Q_CLUSTER_NAME"] = name
        if q_cluster:
            self.env["NANOBANANA_TEST_Q_CLUSTER_JSON"] = json.dumps(q_cluster)
        self.output = tmp_path / f"qcluster-{name or 'default'}.out"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "django", "qcluster"],
            env=self.env,
            cwd=ROOT,
            stdout=open(self.output, "ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def kill(self):
        """SIGKILL the whole cluster (sentinel, workers, pusher): a machine dying."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def signals(self):
        return self.log.read_text().splitlines()


@pytest.fixture
def cluster_factory(media_root, tmp_path):
    clusters = []

    def make(server, **options):
        cluster = Cluster(server, media_root, tmp_path, **options)
        clusters.append(cluster)
        return cluster

    yield make
    for cluster in clusters:
        cluster.stop()


def test_a_real_cluster_finishes_20_generations(
    nanobanana_fake, media_root, cluster_factory, settings
):
    settings.NANOBANANA = fake_settings(
        nanobanana_fake, RENDITION_WIDTHS=[320], RENDITION_FORMATS=["jpeg"]
    )
    cluster = cluster_factory(nanobanana_fake).start()
    ids = [generate(GenerationParams(prompt=f"Tile {i}", image_size="1K")).pk for i in range(20)]
    wait_for(
        lambda: AssetVersion.objects.filter(pk__in=ids, state__in=State.final()).count() == 20,
        120,
        f"not finished; worker output:\n{cluster.output.read_text()[-3000:]}",
    )
    assert AssetVersion.objects.filter(pk__in=ids, state=State.SUCCEEDED).count() == 20
    originals = list(media_root.rglob("original-*.png"))
    assert len(originals) == 20
    assert len(nanobanana_fake.generate_requests()) == 20
    assert sorted(line.split()[0] for line in cluster.signals()) == sorted(map(str, ids))


def test_killed_worker_and_double_delivery_finish_exactly_once(
    nanobanana_fake, media_root, cluster_factory, settings
):
    nanobanana = {"TASK_LEASE_SECONDS": 3, "REQUEUE_AFTER_SECONDS": None}
    settings.NANOBANANA = fake_settings(nanobanana_fake, **nanobanana)
    nanobanana_fake.latency = 4.0
    first = cluster_factory(nanobanana_fake, **nanobanana).start()
    version = generate(GenerationParams(prompt="Interrupted", image_size="1K"))
    wait_for(
        lambda: AssetVersion.objects.get(pk=version.pk).state == State.RUNNING,
        60,
        f"never started:\n{first.output.read_text()[-3000:]}",
    )
    first.kill()  # mid-generation: the fake server is still sleeping on the request
    time.sleep(3.5)  # past the lease
    assert reap()["requeued"] == 1
    queue.enqueue(queue.RUN_VERSION, version.pk)  # and a duplicate delivery on purpose
    nanobanana_fake.latency = 0.0
    second = cluster_factory(nanobanana_fake, **nanobanana).start()
    wait_for(
        lambda: AssetVersion.objects.get(pk=version.pk).state in State.final(),
        60,
        f"never finished:\n{second.output.read_text()[-3000:]}",
    )
    time.sleep(2)  # give the duplicate task time to run (it must find nothing to claim)
    version.refresh_from_db()
    assert version.state == State.SUCCEEDED and version.attempts == 2
    assert [p.name for p in media_root.rglob("original-*")] == ["original-2.png"]
    settles = LedgerEntry.objects.filter(version_id=version.pk, kind="settle")
    assert settles.count() == 1 and settles.get().amount == version.cost
    assert first.signals() == [f"{version.pk} succeeded"]  # one log file for both clusters


def test_cli_background_wait_returns_the_final_record(
    nanobanana_fake, media_root, cluster_factory, settings
):
    import io

    from django.core.management import call_command

    settings.NANOBANANA = fake_settings(
        nanobanana_fake, RENDITION_WIDTHS=[320], RENDITION_FORMATS=["jpeg"]
    )
    cluster_factory(nanobanana_fake).start()
    out = io.StringIO()
    call_command(
        "nanobanana_generate",
        "--prompt",
        "Queued from the shell",
        "--size",
        "1K",
        "--background",
        "--wait",
        "--timeout",
        "90",
        "--json",
        stdout=out,
    )
    record = json.loads(out.getvalue())
    assert record["state"] == "succeeded" and record["reason"] is None
    assert os.path.isfile(record["file"]) and record["renditions"]
    version = AssetVersion.objects.get(pk=record["version"])
    assert version.source == "cli" and version.attempts == 1


def test_provider_calls_overlap_and_renditions_run_on_the_cpu_cluster(
    nanobanana_fake, media_root, cluster_factory, settings
):
    """Two clusters, as the example project ships them: N generations waiting 2 s each on
    the provider finish in far less than N x 2 s (not serialized), and every rendition
    task went to the CPU cluster, every provider call to the I/O one."""
    from django_q.models import Task

    from django_nanobanana.models import GeneratedAsset

    count, latency = 8, 2.0
    # No automatic descriptions: their text calls would be counted at the gate below.
    queues = {
        "IO_QUEUE_NAME": "tests-io",
        "CPU_QUEUE_NAME": "tests-cpu",
        "DESCRIPTIONS": {"AUTO": False},
    }
    q_cluster = {"ALT_CLUSTERS": {"tests-io": {"workers": count}, "tests-cpu": {"workers": 1}}}
    settings.NANOBANANA = fake_settings(
        nanobanana_fake, RENDITION_WIDTHS=[320], RENDITION_FORMATS=["jpeg"], **queues
    )
    io = cluster_factory(nanobanana_fake, name="tests-io", q_cluster=q_cluster, **queues).start()
    cpu = cluster_factory(nanobanana_fake, name="tests-cpu", q_cluster=q_cluster, **queues).start()

    def output():
        return f"io:\n{io.output.read_text()[-2000:]}\ncpu:\n{cpu.output.read_text()[-2000:]}"

    def published(versions):
        return GeneratedAsset.objects.filter(current_version__in=versions).count() == len(versions)

    warm = generate(GenerationParams(prompt="Warm-up", image_size="1K"))  # both clusters up
    wait_for(lambda: published([warm]), 120, f"warm-up not published:\n{output()}")

    nanobanana_fake.latency = latency
    # Each call is also held until all of them are at the provider at once: a cluster that
    # ran them one after another would never get there (and fail after the gate's timeout).
    nanobanana_fake.gate = count
    started = time.monotonic()
    versions = [
        generate(GenerationParams(prompt=f"Slow tile {i}", image_size="1K")) for i in range(count)
    ]
    wait_for(lambda: published(versions), 120, f"not published:\n{output()}")
    elapsed = time.monotonic() - started

    # The calls overlapped: all of them were at the fake server at once (counted there, not
    # inferred from wall-clock totals, so a loaded machine does not turn this into a timing
    # test).
    slow = [r for r in nanobanana_fake.generate_requests() if "Slow tile" in json.dumps(r.body)]
    assert len(slow) == count
    assert nanobanana_fake.max_in_flight >= count, (
        f"at most {nanobanana_fake.max_in_flight} of {count} calls were in flight at once "
        f"({elapsed:.1f}s in all)"
    )
    assert (
        AssetVersion.objects.filter(pk__in=[v.pk for v in versions], state=State.SUCCEEDED).count()
        == count
    )
    ids = [str(v.pk) for v in [warm, *versions]]
    runs = Task.objects.filter(name__startswith="nanobanana-version-")
    publishes = Task.objects.filter(name__startswith="nanobanana-publish-")
    wait_for(lambda: runs.count() == publishes.count() == len(ids), 30, "tasks not recorded")
    assert sorted(runs.values_list("cluster", flat=True)) == ["tests-io"] * len(ids)
    assert sorted(publishes.values_list("cluster", flat=True)) == ["tests-cpu"] * len(ids)
    assert sorted(t.args[0] for t in publishes) == sorted(ids)
    assert all(t.success for t in [*runs, *publishes])
    assert len(list(media_root.rglob("320.jpg"))) == len(ids)
