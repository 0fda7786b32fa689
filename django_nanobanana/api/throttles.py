"""Per-user throttle of the endpoints that start a generation (create, regenerate, edit).

On top of budgets (money and images per day/month), this caps how fast one user can queue
work. The rate is DRF's usual setting, under the scope ``nanobanana_generate``::

    REST_FRAMEWORK = {"DEFAULT_THROTTLE_RATES": {"nanobanana_generate": "30/minute"}}

Without that entry :data:`DEFAULT_RATE` applies; ``None`` turns the throttle off. Counts
live in Django's default cache: use a shared cache (Redis, Memcached) when the site runs
in several processes.
"""

from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import UserRateThrottle

SCOPE = "nanobanana_generate"
DEFAULT_RATE = "30/minute"


class GenerationRateThrottle(UserRateThrottle):
    scope = SCOPE

    def get_rate(self) -> str | None:
        # Read at request time (not at import) so override_settings and late settings work.
        rates = api_settings.DEFAULT_THROTTLE_RATES or {}
        return rates.get(self.scope, DEFAULT_RATE)
