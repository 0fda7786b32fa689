"""A rate limiter shared by every process and machine that talks to one provider.

Google's limits are per project (requests per minute, images per minute), not per
process: N workers must stay under them together, so the counts live in a shared store.
Configured per provider::

    "RATE_LIMITS": {"requests_per_minute": 10, "images_per_minute": 10},  # None: off
    "RATE_LIMIT_BACKEND": "default",   # a CACHES alias, or "redis://host:6379/0"

Two stores:

* **Redis URL** (:class:`RedisWindowStore`): an exact sliding window. One Lua script per
  acquisition trims, counts and records in a sorted set per limit, atomically, on
  Redis's own clock (``TIME``), so machines with skewed clocks still agree.
* **Django cache alias** (:class:`CacheWindowStore`): a sliding window made of ten
  sub-windows per period, each an atomic counter (``cache.add`` + ``cache.incr``).
  A caller increments first, then sums the sub-windows covering the last period (plus
  one on either side) and takes its increment back if the sum is over the limit (or if
  it stalled longer than a sub-window in between). Of any callers admitted within one
  period, the last to count saw all the others: the limit holds in every window of one
  period, at the cost of admitting slightly fewer than allowed. Clocks of the machines
  must agree to well under a sub-window (NTP). It relies on the cache's ``incr`` being
  atomic and shared, which holds for Django's Redis and Memcached backends; **not** for
  LocMem (per process), the dummy cache, the file cache or the database cache (their
  ``incr`` is a read then a write, see ``BaseCache.incr``). :func:`limiter_is_shared` tells which.

Why not a library: ``limits`` and ``pyrate-limiter`` are well kept and have Redis
backends, but neither can store its counters in a Django cache, which is the default
here (no extra service for a single-machine site); the Redis variant is one short Lua
script, kept here so both stores share one interface and one clock injection point.
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings
from django.core.cache import caches

from ..conf import nanobanana_settings
from .errors import LocalRateLimitError
from .retry import Clock, SystemClock

logger = logging.getLogger("django_nanobanana.providers")

#: Names of the limits a provider can configure under ``RATE_LIMITS``.
LIMIT_NAMES = ("requests_per_minute", "images_per_minute")

#: Cache backends whose ``incr`` is atomic and visible to every process using the cache.
SHARED_ATOMIC_CACHES = frozenset(
    {
        "django.core.cache.backends.redis.RedisCache",
        "django.core.cache.backends.memcached.PyMemcacheCache",
        "django.core.cache.backends.memcached.PyLibMCCache",
        "django_redis.cache.RedisCache",
    }
)


@dataclass(frozen=True)
class Limit:
    name: str  # "requests_per_minute" / "images_per_minute"
    limit: int
    cost: int


class WindowStore(Protocol):
    def try_acquire(
        self, key: str, limits: Sequence[Limit], period: float, now: float | None
    ) -> tuple[float, float]:
        """Record the costs if every limit has room; return ``(wait, now)`` where ``wait``
        is 0 when admitted, else the seconds until a retry may succeed."""
        ...


# -- Redis ------------------------------------------------------------------------------
_REDIS_SCRIPT = """
local now
if ARGV[1] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
else
  now = tonumber(ARGV[1])
end
local period = tonumber(ARGV[2])
local member = ARGV[3]
local wait = 0
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[2 + 2 * i])
  local cost = tonumber(ARGV[3 + 2 * i])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - period)
  local count = redis.call('ZCARD', key)
  if count + cost > limit then
    if cost > limit then
      return {'-1', tostring(now)}
    end
    local oldest = redis.call('ZRANGE', key, count + cost - limit - 1, count + cost - limit - 1,
                              'WITHSCORES')
    local until_free = tonumber(oldest[2]) + period - now
    if until_free > wait then wait = until_free end
  end
end
if wait > 0 then
  return {tostring(wait), tostring(now)}
end
for i, key in ipairs(KEYS) do
  local cost = tonumber(ARGV[3 + 2 * i])
  for j = 1, cost do
    redis.call('ZADD', key, now, member .. ':' .. j)
  end
  redis.call('PEXPIRE', key, math.ceil(period * 1000) + 1000)
end
return {'0', tostring(now)}
"""


class RedisWindowStore:
    """Exact sliding window in Redis sorted sets, one Lua script per acquisition."""

    def __init__(self, url: str) -> None:
        import redis  # the optional [redis] extra: only when this store is configured

        self.client = redis.Redis.from_url(url)
        self.script = self.client.register_script(_REDIS_SCRIPT)

    def try_acquire(
        self, key: str, limits: Sequence[Limit], period: float, now: float | None
    ) -> tuple[float, float]:
        args: list[Any] = ["" if now is None else repr(now), repr(period), uuid.uuid4().hex]
        for limit in limits:
            args += [limit.limit, limit.cost]
        wait, server_now = self.script(keys=[f"{key}:{lim.name}" for lim in limits], args=args)
        return float(wait), float(server_now)


# -- Django cache -----------------------------------------------------------------------
class CacheWindowStore:
    """Sliding window of ten atomic sub-window counters in a Django cache."""

    SLOTS = 10

    def __init__(self, alias: str) -> None:
        self.alias = alias

    @property
    def cache(self) -> Any:
        return caches[self.alias]

    def _incr(self, key: str, delta: int, timeout: float) -> None:
        cache = self.cache
        for _ in range(3):
            cache.add(key, 0, timeout=math.ceil(timeout))
            try:
                cache.incr(key, delta)
                return
            except ValueError:  # expired between add and incr: add it again
                continue
        raise RuntimeError(f"rate limiter: cannot increment {key!r} in cache {self.alias!r}")

    def try_acquire(
        self, key: str, limits: Sequence[Limit], period: float, now: float | None
    ) -> tuple[float, float]:
        injected = now is not None
        now = time.time() if now is None else now
        slot = period / self.SLOTS
        current = math.floor(now / slot)
        timeout = period + 4 * slot
        for limit in limits:
            if limit.cost > limit.limit:
                return -1.0, now
        mine = {lim.name: f"{key}:{lim.name}:{current}" for lim in limits}
        for limit in limits:
            self._incr(mine[limit.name], limit.cost, timeout)
        wait = 0.0
        for limit in limits:
            # The window covers the last period and one slot more on each side: callers
            # whose clock reading and increment straddle a slot boundary are still seen.
            indexes = range(current - self.SLOTS - 1, current + 2)
            keys = {f"{key}:{limit.name}:{i}": i for i in indexes}
            counts = self.cache.get_many(list(keys))
            total = sum(int(v) for v in counts.values())
            if total > limit.limit:
                oldest = min((keys[k] for k, v in counts.items() if int(v) > 0), default=current)
                wait = max(wait, (oldest + self.SLOTS + 2) * slot - now, slot / 2)
        admitted_at = now if injected else time.time()
        if wait == 0 and admitted_at - now >= slot:
            # Stalled longer than a slot between reading the clock and counting: the
            # count may have missed newer slots. Give the slot back and try again.
            wait = 0.001
        if wait > 0:
            cache = self.cache
            for limit in limits:
                try:
                    cache.decr(mine[limit.name], limit.cost)
                except ValueError:
                    pass
            return wait, now
        return 0.0, admitted_at


# -- the limiter --------------------------------------------------------------------------
class RateLimiter:
    """Acquire a slot for one provider call, waiting (on the injected clock) up to a
    deadline. ``None`` limits are off; a limiter with no limits admits everything."""

    def __init__(
        self,
        name: str,
        limits: Mapping[str, int | None] | None,
        *,
        backend: str = "default",
        period: float = 60.0,
    ) -> None:
        self.name = name
        self.period = float(period)
        self.limits = {
            k: int(v) for k, v in (limits or {}).items() if k in LIMIT_NAMES and v is not None
        }
        self.backend = backend or "default"
        self._store: WindowStore | None = None

    def __repr__(self) -> str:
        return f"RateLimiter({self.name!r}, {self.limits}, backend={_safe_backend(self.backend)})"

    @property
    def enabled(self) -> bool:
        return bool(self.limits)

    @property
    def store(self) -> WindowStore:
        if self._store is None:
            if self.backend.startswith(("redis://", "rediss://", "unix://")):
                self._store = RedisWindowStore(self.backend)
            else:
                self._store = CacheWindowStore(self.backend)
        return self._store

    def key(self) -> str:
        return f"nanobanana:ratelimit:{self.name}"

    def try_acquire(self, images: int = 1, *, now: float | None = None) -> tuple[float, float]:
        """One non-blocking attempt: ``(0, now)`` when admitted, else ``(wait, now)``."""
        limits = []
        if "requests_per_minute" in self.limits:
            limits.append(Limit("requests", self.limits["requests_per_minute"], 1))
        if "images_per_minute" in self.limits:
            limits.append(Limit("images", self.limits["images_per_minute"], images))
        if not limits:
            return 0.0, time.time() if now is None else now
        return self.store.try_acquire(self.key(), limits, self.period, now)

    def acquire(
        self,
        images: int = 1,
        *,
        clock: Clock | None = None,
        deadline: float | None = None,
        use_clock_time: bool = False,
    ) -> float:
        """Block until admitted; returns the seconds waited. Raises
        :class:`LocalRateLimitError` when the wait would pass ``deadline`` (a
        :meth:`Clock.monotonic` value). ``use_clock_time`` makes the window run on the
        injected clock instead of the store's (for tests with a fake clock)."""
        if not self.enabled:
            return 0.0
        clock = clock or SystemClock()
        waited = 0.0
        while True:
            now = clock.monotonic() if use_clock_time else None
            wait, _ = self.try_acquire(images, now=now)
            if wait == 0:
                return waited
            if wait < 0:
                raise LocalRateLimitError(
                    f"{images} images per call exceed the configured images_per_minute "
                    f"({self.limits.get('images_per_minute')}).",
                    provider=self.name,
                )
            remaining = None if deadline is None else deadline - clock.monotonic()
            if remaining is not None and wait > remaining:
                raise LocalRateLimitError(
                    f"The shared rate limit {self.limits} has no slot for {wait:.1f}s; only "
                    f"{max(0.0, remaining):.1f}s of the deadline remain.",
                    provider=self.name,
                )
            logger.debug("%s: rate limit reached, waiting %.2fs", self.name, wait)
            clock.sleep(wait)
            waited += wait


def _safe_backend(backend: str) -> str:
    """A backend description without a password (``redis://:secret@host`` -> ``redis://host``)."""
    if "://" in backend and "@" in backend:
        scheme, rest = backend.split("://", 1)
        return f"{scheme}://{rest.rsplit('@', 1)[1]}"
    return backend


@dataclass(frozen=True)
class LimiterStatus:
    shared: bool
    message: str


def limiter_status(backend: str) -> LimiterStatus:
    """Whether a ``RATE_LIMIT_BACKEND`` value is shared by every process, and why not."""
    if backend.startswith(("redis://", "rediss://", "unix://")):
        return LimiterStatus(True, "Redis sliding window")
    configured = getattr(settings, "CACHES", None) or {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    }
    if backend not in configured:
        return LimiterStatus(False, f"cache alias {backend!r} is not in CACHES")
    path = configured[backend].get("BACKEND", "")
    if path in SHARED_ATOMIC_CACHES:
        return LimiterStatus(True, f"cache {backend!r} ({path}) has a shared, atomic incr")
    if path.endswith(("LocMemCache", "DummyCache")):
        why = "lives in one process: each worker would count alone"
    elif path.endswith(("DatabaseCache", "FileBasedCache")):
        why = "has no atomic incr (a read then a write): concurrent workers lose counts"
    else:
        why = "is not known to have a shared, atomic incr"
    return LimiterStatus(False, f"cache {backend!r} ({path}) {why}; use Redis or Memcached")


def limiter_is_shared(alias: str) -> bool:
    """True when the rate limiter of provider ``alias`` counts across all processes.

    A provider without ``RATE_LIMITS`` has nothing to share and is reported as shared.
    Meant for a system check: warn when limits are set on a backend that is per process
    (LocMem) or not atomic (database or file cache).
    """
    config = nanobanana_settings.provider_config(alias)
    limits = {k: v for k, v in (config.get("RATE_LIMITS") or {}).items() if v is not None}
    if not limits:
        return True
    return limiter_status(str(config.get("RATE_LIMIT_BACKEND") or "default")).shared
