"""A worker process for the shared-limiter tests (run with ``python -m``).

``limiter`` mode acquires N slots as fast as it can and prints the admission times;
``provider`` mode makes N generations against the fake server through the provider.
"""

from __future__ import annotations

import json
import sys
import time


def main() -> None:
    args = json.loads(sys.argv[1])
    import django
    from django.conf import settings

    settings.configure(
        CACHES={
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": args["redis_url"],
            }
        },
        NANOBANANA={},
        USE_TZ=True,
    )
    django.setup()
    from django_nanobanana.providers.ratelimit import RateLimiter

    provider = None
    if args["mode"] == "provider":
        from django_nanobanana.conf import PROVIDER_DEFAULTS, _merge
        from django_nanobanana.providers.gemini import GeminiProvider

        config = _merge(
            PROVIDER_DEFAULTS,
            {
                "BASE_URL": args["base_url"],
                "API_KEY": args["api_key"],
                "API_KEY_ENV": None,
                "RATE_LIMITS": {
                    "requests_per_minute": args["limit"],
                    "period_seconds": args["period"],
                },
                "RATE_LIMIT_BACKEND": args["backend"],
            },
        )
        provider = GeminiProvider(args["name"], config, api_key=args["api_key"])
        # Warm up what a first request pays for (the httpx client and its TLS context,
        # the Redis connection and script): the test compares server arrival times
        # with the limit, so admission and arrival must be close.
        provider.client.get(f"{args['base_url']}/health")
        provider.limiter.store.client.ping()
    while time.time() < args["start_at"]:
        time.sleep(0.001)
    stamps: list[float] = []
    if args["mode"] == "limiter":
        limiter = RateLimiter(
            args["name"],
            {"requests_per_minute": args["limit"]},
            backend=args["backend"],
            period=args["period"],
        )
        for _ in range(args["count"]):
            while True:
                wait, now = limiter.try_acquire()
                if wait == 0:
                    stamps.append(now)
                    break
                time.sleep(min(wait, 0.02))  # poll hard: maximum contention
    else:
        from django_nanobanana.providers import ImageRequest

        assert provider is not None
        for i in range(args["count"]):
            provider.generate(ImageRequest(prompt=f"p{i}", model="gemini-2.5-flash-image"))
            stamps.append(time.time())
    print(json.dumps(stamps))


if __name__ == "__main__":
    main()
