"""Scale-out on real engines: PostgreSQL, django-q2 on the Redis broker, files on an
S3-protocol server (moto's server mode, through django-storages' S3 backend), and two
"machines", each running an I/O and a CPU cluster. One machine is SIGKILLed while its
provider calls are in flight. Every version must end exactly once (one final state, one
settle, one finished signal), S3 must hold exactly the expected objects (no orphan from
the lost attempts), and the shared Redis limiter must have held the quota across both
machines. Bounded: 6 versions, a 3 s quota window, 1.5 s fake latency.

Runs in the PostgreSQL pass of scripts/test.sh (``-m postgres``); Redis and moto are
required under CI=true.
"""

from __future__ import annotations

import json
import os
import time
import uuid

import pytest
from django.db import connection

from django_nanobanana.models import AssetVersion, GeneratedAsset, State
from django_nanobanana.models.ledger import LedgerEntry
from django_nanobanana.services import GenerationParams, generate
from django_nanobanana.services.reaper import reap
from django_nanobanana.testing.pytest_plugin import fake_settings
from tests.helpers import free_port, require_service

from .test_workers import Cluster, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

REDIS_URL = os.environ.get("NANOBANANA_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
BROKER_URL = os.environ.get("NANOBANANA_TEST_REDIS_BROKER_URL", REDIS_URL)
VERSIONS = 6
QUOTA, WINDOW = 2, 3.0  # images per window (seconds), shared by both machines
LATENCY = 1.5


@pytest.fixture
def redis_urls():
    if connection.vendor != "postgresql":
        pytest.skip("run with NANOBANANA_TEST_DATABASE_URL=postgres://... (scripts/test.sh)")
    try:
        import redis
    except ImportError:
        require_service("redis", "the redis package is not installed")
    for url in {REDIS_URL, BROKER_URL}:
        try:
            redis.Redis.from_url(url, socket_connect_timeout=1).ping()
        except redis.RedisError as exc:
            require_service("redis", f"Redis at {url} does not answer: {exc}")
    return REDIS_URL, BROKER_URL


@pytest.fixture
def s3_server():
    """moto's S3 server on a free loopback port, and a fresh bucket."""
    try:
        import boto3
        from moto.server import ThreadedMotoServer
    except ImportError as exc:
        require_service("s3", f"moto[server] / boto3 are not installed: {exc}")
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    bucket = f"scale-{uuid.uuid4().hex[:8]}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    client.create_bucket(Bucket=bucket)
    yield endpoint, bucket, client
    server.stop()


def test_two_machines_one_killed_every_version_ends_once(
    redis_urls, s3_server, fake_gemini, settings, tmp_path, monkeypatch
):
    import redis
    from django_q.conf import Conf

    limiter_url, broker_url = redis_urls
    endpoint, bucket, s3 = s3_server
    name = f"scale-{uuid.uuid4().hex[:8]}"  # queues of this run only
    io, cpu = f"{name}-io", f"{name}-cpu"
    storages = {
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": bucket,
                "endpoint_url": endpoint,
                "access_key": "testing",
                "secret_key": "testing",
                "region_name": "us-east-1",
                "querystring_auth": False,
                "file_overwrite": True,
            },
        }
    }
    nanobanana = {
        "IO_QUEUE_NAME": io,
        "CPU_QUEUE_NAME": cpu,
        "RENDITION_WIDTHS": [320],
        "RENDITION_FORMATS": ["jpeg"],
        "TASK_LEASE_SECONDS": 3,
        "REQUEUE_AFTER_SECONDS": 6,
        "REAPER_EVERY_MINUTES": None,
    }
    config = fake_settings(fake_gemini, **nanobanana)
    config["PROVIDERS"]["gemini"].update(
        {
            "RATE_LIMITS": {"images_per_minute": QUOTA, "period_seconds": WINDOW},
            "RATE_LIMIT_BACKEND": limiter_url,
        }
    )
    redis.Redis.from_url(limiter_url).delete(
        "nanobanana:ratelimit:gemini:images", "nanobanana:ratelimit:gemini:requests"
    )
    settings.NANOBANANA = config
    settings.STORAGES = {**settings.STORAGES, **storages}
    q_cluster = {
        "name": name,
        "orm": None,
        "redis": broker_url,
        "workers": 1,
        "ALT_CLUSTERS": {io: {"workers": 2}, cpu: {"workers": 1}},
    }
    # This process enqueues on the same Redis broker as the clusters.
    for attribute, value in (
        ("ORM", None),
        ("REDIS", broker_url),
        ("PREFIX", name),
        ("CLUSTER_NAME", name),
    ):
        monkeypatch.setattr(Conf, attribute, value)
    fake_gemini.latency = LATENCY

    environ = {"NANOBANANA_TEST_STORAGES_JSON": json.dumps(storages)}

    def machine(label):
        return [
            Cluster(
                fake_gemini,
                tmp_path / label,
                tmp_path,
                name=queue,
                q_cluster=q_cluster,
                environ=environ,
                **{**nanobanana, "PROVIDERS": config["PROVIDERS"]},
            )
            for queue in (io, cpu)
        ]

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first, second = machine("a"), machine("b")
    clusters = [*first, *second]
    for cluster in clusters:  # each machine's cluster output goes to a file of its own
        cluster.output = tmp_path / f"{cluster.env['Q_CLUSTER_NAME']}-{id(cluster)}.out"

    def output():
        return "\n".join(
            f"== {c.output.name}\n{c.output.read_text()[-1500:]}"
            for c in clusters
            if c.output.exists()
        )

    try:
        for cluster in first:
            cluster.start()
        versions = [
            generate(GenerationParams(prompt=f"Scale tile {i}", image_size="1K"))
            for i in range(VERSIONS)
        ]
        ids = [v.pk for v in versions]
        # Machine A has provider calls in flight (claimed, waiting on the fake server).
        wait_for(
            lambda: (
                AssetVersion.objects.filter(pk__in=ids, state=State.RUNNING).exists()
                and len(fake_gemini.generate_requests()) >= 1
            ),
            60,
            f"machine A never started:\n{output()}",
        )
        for cluster in second:
            cluster.start()
        for cluster in first:
            cluster.kill()  # SIGKILL: sentinel, workers, pusher, mid-call

        reaped = [0.0]

        def all_published():
            if time.monotonic() - reaped[0] > 2:  # the reaper schedule, every 2 s here
                reap()
                reaped[0] = time.monotonic()
            return (
                GeneratedAsset.objects.filter(versions__pk__in=ids, current_version__in=ids).count()
                == VERSIONS
            )

        wait_for(all_published, 150, f"not all published:\n{output()}")
    finally:
        for cluster in clusters:
            cluster.stop()
        broker = redis.Redis.from_url(broker_url)
        broker.delete(*(f"django_q:{queue}:q" for queue in (name, io, cpu)))

    finished = AssetVersion.objects.filter(pk__in=ids)
    assert sorted(finished.values_list("state", flat=True)) == [State.SUCCEEDED] * VERSIONS
    assert finished.filter(attempts__gt=1).exists()  # the killed machine's calls, run again
    for version in finished:
        settles = LedgerEntry.objects.filter(version_id=version.pk, kind="settle")
        assert settles.count() == 1 and settles.get().amount == version.cost
    # One finished signal per version, from whichever machine finished it.
    lines = (tmp_path / "signals.log").read_text().splitlines()
    assert sorted(lines) == sorted(f"{pk} succeeded" for pk in ids)

    # S3 holds exactly each version's one original and its rendition: nothing of the lost
    # attempts.
    listed = s3.list_objects_v2(Bucket=bucket, MaxKeys=1000)
    stored = sorted(item["Key"] for item in listed.get("Contents", []))
    expected = sorted(
        key
        for v in finished
        for key in (
            f"nanobanana/{v.asset_id}/{v.pk}/original-{v.attempts}.png",
            f"nanobanana/{v.asset_id}/{v.pk}/plain/320.jpg",
        )
    )
    assert stored == expected
    for version in finished:
        assert version.original.url == f"{endpoint}/{bucket}/{version.original.name}"

    # The shared limiter: in no window of the quota's length did the fake server receive
    # more than the quota from both machines together, and it was binding (the work took
    # several windows). Calls are admitted on Redis's clock and arrive a little later (up
    # to a second on a loaded machine), hence the margin; four I/O workers with limiters of
    # their own would send four calls within milliseconds.
    arrivals = sorted(r.at for r in fake_gemini.generate_requests())
    assert len(arrivals) >= VERSIONS + 1
    for index, start in enumerate(arrivals):
        within = [t for t in arrivals[index:] if t < start + WINDOW - 1.0]
        assert len(within) <= QUOTA, (arrivals, start)
    assert arrivals[-1] - arrivals[0] >= (len(arrivals) / QUOTA - 1) * WINDOW - 0.5
