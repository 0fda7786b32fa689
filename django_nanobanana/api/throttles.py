"""Per-user throttles of the endpoints that cost money or CPU.

On top of budgets (money and images per day/month), these cap how fast one user can queue
work. The rates are DRF's usual setting, one scope each::

    REST_FRAMEWORK = {"DEFAULT_THROTTLE_RATES": {
        "nanobanana_generate": "30/minute",    # create, regenerate, edit
        "nanobanana_references": "60/hour",    # reference uploads (decoded and stored)
        "nanobanana_overlay": "30/minute",     # overlay changes (renditions re-rendered)
    }}

A scope without an entry uses its default (below); ``None`` turns that throttle off.
Counts live in Django's default cache: use a shared cache (Redis, Memcached) when the site
runs in several processes.
"""

from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import UserRateThrottle

SCOPE = "nanobanana_generate"
DEFAULT_RATE = "30/minute"
REFERENCES_SCOPE = "nanobanana_references"
OVERLAY_SCOPE = "nanobanana_overlay"
#: The default rate of each scope.
DEFAULT_RATES: dict[str, str] = {
    SCOPE: DEFAULT_RATE,
    REFERENCES_SCOPE: "60/hour",
    OVERLAY_SCOPE: "30/minute",
}


class _ScopedUserThrottle(UserRateThrottle):
    def get_rate(self) -> str | None:
        # Read at request time (not at import) so override_settings and late settings work.
        rates = api_settings.DEFAULT_THROTTLE_RATES or {}
        return rates.get(self.scope, DEFAULT_RATES[self.scope])


class GenerationRateThrottle(_ScopedUserThrottle):
    scope = SCOPE


class ReferenceUploadRateThrottle(_ScopedUserThrottle):
    scope = REFERENCES_SCOPE


class OverlayRateThrottle(_ScopedUserThrottle):
    scope = OVERLAY_SCOPE
