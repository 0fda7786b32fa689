"""The shared rate limiter: windows on a fake clock, and real processes sharing Redis."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from django_nanobanana.providers import ImageRequest
from django_nanobanana.providers.errors import LocalRateLimitError
from django_nanobanana.providers.ratelimit import RateLimiter, limiter_is_shared, limiter_status
from django_nanobanana.providers.retry import FakeClock
from tests.helpers import require_service

from .helpers import gemini

REDIS_URL = os.environ.get("NANOBANANA_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def redis_url():
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        require_service("redis", f"Redis at {REDIS_URL} does not answer: {exc}")
    return REDIS_URL


def name() -> str:
    return f"test-{uuid.uuid4().hex[:10]}"


def acquire_all(limiter, clock, n, images=1):
    for _ in range(n):
        limiter.acquire(images, clock=clock, use_clock_time=True)


def test_cache_window_on_a_fake_clock():
    clock = FakeClock(start=1000.0)
    limiter = RateLimiter(name(), {"requests_per_minute": 3}, backend="default")
    acquire_all(limiter, clock, 3)
    assert clock.sleeps == []
    acquire_all(limiter, clock, 1)
    # Ten 6 s slots (plus one each side): the first three leave the window after 60-72 s.
    assert len(clock.sleeps) == 1 and 60 <= clock.sleeps[0] <= 72 + 1e-9


def test_redis_window_is_exact_on_a_fake_clock(redis_url):
    clock = FakeClock(start=1000.0)
    limiter = RateLimiter(name(), {"requests_per_minute": 3}, backend=redis_url)
    acquire_all(limiter, clock, 3)
    clock.advance(10)
    acquire_all(limiter, clock, 1)
    assert clock.sleeps == [pytest.approx(50.0)]


@pytest.mark.parametrize("backend", ["default", "redis"])
def test_images_per_minute_counts_images(backend, redis_url):
    clock = FakeClock()
    limiter = RateLimiter(
        name(),
        {"images_per_minute": 3, "requests_per_minute": None},
        backend=redis_url if backend == "redis" else backend,
    )
    acquire_all(limiter, clock, 1, images=2)
    acquire_all(limiter, clock, 1, images=1)
    assert clock.sleeps == []
    acquire_all(limiter, clock, 1, images=1)
    assert len(clock.sleeps) == 1
    with pytest.raises(LocalRateLimitError):
        limiter.acquire(4, clock=clock, use_clock_time=True)


def test_provider_waits_for_the_limiter_and_retries_count(fake_gemini, nanobanana_clock):
    provider = gemini(
        fake_gemini, RATE_LIMITS={"requests_per_minute": 2}, RATE_LIMIT_BACKEND="default"
    )
    provider.alias = name()
    provider.limiter.name = provider.alias
    fake_gemini.add_faults([{"status": 503, "retry_after": 1}])
    request = ImageRequest(prompt="x", model="gemini-2.5-flash-image")
    assert provider.generate(request).attempts == 2  # the retry took the second slot
    assert nanobanana_clock.sleeps == [1.0]
    provider.generate(request)
    assert len(nanobanana_clock.sleeps) == 2 and nanobanana_clock.sleeps[1] >= 59


def test_limiter_wait_past_the_deadline_fails(fake_gemini, nanobanana_clock):
    provider = gemini(fake_gemini, RATE_LIMITS={"requests_per_minute": 1}, RETRY={"DEADLINE": 30})
    provider.limiter.name = name()
    request = ImageRequest(prompt="x", model="gemini-2.5-flash-image")
    provider.generate(request)
    with pytest.raises(LocalRateLimitError, match="deadline"):
        provider.generate(request)
    assert len(fake_gemini.generate_requests()) == 1
    assert nanobanana_clock.sleeps == []


@pytest.mark.parametrize(
    ("backend", "shared"),
    [
        ("django.core.cache.backends.locmem.LocMemCache", False),
        ("django.core.cache.backends.db.DatabaseCache", False),
        ("django.core.cache.backends.filebased.FileBasedCache", False),
        ("django.core.cache.backends.dummy.DummyCache", False),
        ("django.core.cache.backends.redis.RedisCache", True),
        ("django.core.cache.backends.memcached.PyMemcacheCache", True),
    ],
)
def test_limiter_is_shared_only_on_atomic_shared_caches(settings, backend, shared):
    settings.CACHES = {"default": {"BACKEND": backend, "LOCATION": "x"}}
    assert limiter_status("default").shared is shared
    settings.NANOBANANA = {"PROVIDERS": {"gemini": {"RATE_LIMITS": {"requests_per_minute": 5}}}}
    assert limiter_is_shared("gemini") is shared
    settings.NANOBANANA = {
        "PROVIDERS": {
            "gemini": {
                "RATE_LIMITS": {"requests_per_minute": 5},
                "RATE_LIMIT_BACKEND": "redis://h:1/0",
            }
        }
    }
    assert limiter_is_shared("gemini") is True
    settings.NANOBANANA = {"PROVIDERS": {"gemini": {}}}
    assert limiter_is_shared("gemini") is True  # no limits, nothing to share


def _spawn(args: dict, n: int) -> list[list[float]]:
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.providers.limiter_worker", json.dumps(args)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(n)
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def max_in_window(stamps: list[float], window: float) -> int:
    stamps = sorted(stamps)
    best, start = 0, 0
    for end, t in enumerate(stamps):
        while t - stamps[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["redis-url", "django-redis-cache"])
def test_processes_sharing_the_limiter_never_exceed_it(redis_url, backend):
    limit, period, workers, each = 5, 3.0, 4, 5
    args = {
        "mode": "limiter",
        "name": name(),
        "limit": limit,
        "period": period,
        "count": each,
        "redis_url": redis_url,
        "start_at": time.time() + 1.5,
        "backend": redis_url if backend == "redis-url" else "default",
    }
    stamps = [t for result in _spawn(args, workers) for t in result]
    assert len(stamps) == workers * each
    assert max_in_window(stamps, period) <= limit
    # and the limiter is not so cautious that it starves: 20 slots at 5 per 3 s
    assert max(stamps) - min(stamps) < 4 * period + 2


@pytest.mark.slow
def test_processes_generating_through_the_provider_stay_under_the_limit(redis_url, fake_gemini):
    limit, period, workers, each = 4, 2.0, 3, 4
    args = {
        "mode": "provider",
        "name": name(),
        "limit": limit,
        "period": period,
        "count": each,
        "redis_url": redis_url,
        "start_at": time.time() + 1.5,
        "backend": redis_url,
        "base_url": fake_gemini.base_url,
        "api_key": fake_gemini.api_key,
    }
    _spawn(args, workers)
    arrivals = [r.at for r in fake_gemini.generate_requests()]
    assert len(arrivals) == workers * each
    # Server arrival times lag admission by the network hop; allow 0.25 s of it.
    assert max_in_window(arrivals, period - 0.25) <= limit
