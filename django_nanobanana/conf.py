"""The one settings object of django-nanobanana.

Everything is configured through a single dict in the Django settings::

    NANOBANANA = {
        "DEFAULT_MODEL": "gemini-nano-banana-2.1",
        "PROVIDERS": {"gemini": {"API_KEY_ENV": "GEMINI_API_KEY"}},
    }

Values are read at access time (never at import), merged over :data:`DEFAULTS`, and the
merged view is dropped whenever Django's ``setting_changed`` signal fires, so
``override_settings(NANOBANANA=...)`` works in tests.
"""

from __future__ import annotations

import copy
import os
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

GOOGLE_BASE_URL = "https://generativelanguage.googleapis.com"

#: Defaults for every provider entry of ``PROVIDERS``; an entry overrides what it names.
PROVIDER_DEFAULTS: dict[str, Any] = {
    "BACKEND": "django_nanobanana.providers.gemini.GeminiProvider",
    # The key is read from this environment variable unless API_KEY holds it directly.
    "API_KEY_ENV": "GEMINI_API_KEY",
    "API_KEY": None,
    "BASE_URL": GOOGLE_BASE_URL,
    # httpx timeouts in seconds: connecting, reading the answer (image models are slow),
    # writing the request (reference images can be large), waiting for a pooled connection.
    "TIMEOUT": {"connect": 10.0, "read": 120.0, "write": 60.0, "pool": 10.0},
    # Models this provider may be asked for; None means every model the registry knows.
    "MODELS": None,
    "EXTRA_HEADERS": {},
    # How credentials are obtained: "api-key" (API_KEY / API_KEY_ENV) or "google-auth"
    # (service-account or application default credentials, for Vertex AI).
    "AUTH": "api-key",
    # Retries of one call (providers/retry.py): attempts in all, full-jitter backoff
    # bounds in seconds, and the total deadline in seconds for the call with its waits.
    "RETRY": {"MAX_ATTEMPTS": 5, "INITIAL_BACKOFF": 1.0, "MAX_BACKOFF": 60.0, "DEADLINE": 300.0},
    # Shared rate limits of this provider (providers/ratelimit.py); None turns one off.
    # "period_seconds" (default 60) exists for tests and for providers with other windows.
    "RATE_LIMITS": {"requests_per_minute": None, "images_per_minute": None},
    # Where the limiter counts: a CACHES alias (must be shared and atomic: Redis or
    # Memcached, not LocMem or the database cache) or a Redis URL ("redis://host:6379/0").
    "RATE_LIMIT_BACKEND": "default",
}
# Options of one backend only (a backend's ``options``; others refuse them):
# Gemini and Vertex: "API_VERSION", "SAFETY_SETTINGS" ({"HARASSMENT": "BLOCK_ONLY_HIGH"}).
# Vertex AI (BACKEND django_nanobanana.providers.vertex.VertexProvider, AUTH "google-auth"):
# "PROJECT", "LOCATION" ("global" for 3.x image models), "CREDENTIALS_FILE" (a service
# account JSON file; None: application default credentials), "PERSON_GENERATION".

DEFAULTS: dict[str, Any] = {
    "DEFAULT_PROVIDER": "gemini",
    # The model used when a request names none. Google retires image models every few
    # months: docs/models.md says how to move, and `manage.py nanobanana_models --check`
    # tells a deploy pipeline when a configured model is no longer served.
    "DEFAULT_MODEL": "gemini-nano-banana-2.1",
    "PROVIDERS": {"gemini": {}},
    # Overrides of the capabilities registry, by model id (see providers/models_registry.py).
    "MODELS": {},
    # Google Search grounding: grounded prompts free each month before the per-prompt price
    # applies (Google's allowance is 5,000 a month, shared by everything on the project, so
    # the safe default books every grounded prompt).
    "GROUNDING_FREE_PROMPTS_PER_MONTH": 0,
    # STORAGES alias every file goes through, and the folder inside it.
    "STORAGE": "default",
    "UPLOAD_PREFIX": "nanobanana",
    # Safe decoding of provider output and uploads.
    "ALLOWED_INPUT_FORMATS": ("PNG", "JPEG", "WEBP", "AVIF"),
    "MAX_INPUT_PIXELS": 50_000_000,
    "MAX_PROMPT_LENGTH": 8000,
    # Budgets declared in settings (docs/ledger.md). Each entry: {"name": unique key,
    # "scope": "user"|"group"|"site", "period": "day"|"month", "amount": "5.00" (USD, a
    # string or Decimal) and/or "images": 100, plus "user": username (omit: every user
    # gets the budget separately) or "group": group name}. They are synced into Budget
    # rows that follow the settings (read-only in the admin); admin-made budgets add to them.
    "BUDGETS": [],
    # Time zone of the day/month budget windows and of report days (None: TIME_ZONE).
    "BUDGET_TIME_ZONE": None,
    # Audit rows older than this many days are folded into per-day totals by
    # ``nanobanana_prune_audit`` (None: kept until the command gets --older-than).
    "AUDIT_RETENTION_DAYS": None,
    # Dotted path to (or a callable) ``(prompt: str) -> str`` applied before a prompt is
    # stored in the audit trail, e.g. to mask e-mail addresses.
    "PROMPT_REDACTOR": None,
    # An audit row keeps the (redacted) prompt's first this many characters, with the
    # whole prompt's length and SHA-256.
    "AUDIT_PROMPT_MAX_CHARS": 8000,
    # Renditions: widths x formats, written after every generation.
    "RENDITION_WIDTHS": (320, 640, 1024, 1600, 2048),
    "RENDITION_FORMATS": ("avif", "webp", "jpeg"),
    "RENDITION_QUALITY": {"avif": 60, "webp": 80, "jpeg": 82},
    "AVIF_SPEED": 8,
    # Art-directed crops (docs/editors.md): renditions in these extra aspect ratios, cut
    # around the focal point (the editor's, else the suggested one, else the centre), the
    # overlay laid out for each crop. BREAKPOINTS: what {% nanobanana_picture %} serves
    # below which media query, e.g. [("(max-width: 599px)", "1:1")]; a tag's crops=
    # overrides it. WIDTHS None: RENDITION_WIDTHS.
    "CROPS": {"RATIOS": (), "BREAKPOINTS": (), "WIDTHS": None},
    # Prompt cache: an identical request (model, prompt, parameters, reference contents)
    # reuses a finished original at no cost. Per request: GenerationParams.use_cache.
    # SCOPE "owner": only images of the same owner are reused; "site": any owner's image
    # (without the model's text, and without saying whose version it was).
    "PROMPT_CACHE": {"ENABLED": True, "TTL_SECONDS": 7 * 24 * 3600, "SCOPE": "owner"},
    # Signed webhooks when a version finishes (services/webhooks.py). A request's
    # webhook_url must match one of ALLOWED_URLS by scheme, host and port (and lie under
    # its path); the body is signed with HMAC-SHA256. Delivery refuses hosts that resolve
    # to private, loopback or link-local addresses unless an ALLOWED_URLS entry names the
    # address itself or ALLOWED_NETWORKS (CIDR strings) contains it.
    "WEBHOOKS": {
        "ALLOWED_URLS": (),
        "ALLOWED_NETWORKS": (),
        "SECRET_ENV": "NANOBANANA_WEBHOOK_SECRET",
        "SECRET": None,
        "TIMEOUT": 5.0,
        "MAX_ATTEMPTS": 5,
        "BACKOFF": 1.0,
        "DEADLINE_SECONDS": 120,
    },
    # Work queue.
    "QUEUE_NAME": None,  # django-q2 cluster name (None: the default cluster)
    # Separate clusters for the two kinds of work (docs/deployment.md, "Sizing the
    # workers"): provider calls and webhooks wait on the network (many workers: the
    # images-per-minute quota x the typical latency), renditions use the CPU (workers =
    # cores). A django-q2 cluster name each (Q_CLUSTER["ALT_CLUSTERS"]); None: QUEUE_NAME.
    # While both name the same cluster, renditions are written in the generation's task.
    "IO_QUEUE_NAME": None,
    "CPU_QUEUE_NAME": None,
    # A worker owns a running version for this long; past it the reaper requeues it.
    # Keep it above the provider's total retry deadline.
    "TASK_LEASE_SECONDS": 600,
    # Attempts (claims by a worker) before the reaper fails a version for good.
    "MAX_ATTEMPTS": 3,
    # Queued versions older than this are handed to the queue again (a lost task).
    "REQUEUE_AFTER_SECONDS": 900,
    # How often the django-q2 schedule runs the reaper (minutes); None: no schedule.
    "REAPER_EVERY_MINUTES": 5,
    # Reference images no version uses are deleted (row and file) this many days after
    # their last use, by a daily django-q2 schedule and ``nanobanana_prune_references``;
    # None: kept (no schedule; the command then needs --older-than).
    "REFERENCE_RETENTION_DAYS": 30,
    # Text models that describe images, overriding the built-in table by id
    # (providers/lineup.py TEXT_LINEUP), or adding one with its prices: {"gemini-3.5-flash":
    # {"BASED_ON": "gemini-3.1-flash-lite", "PRICES": {"INPUT": "0.30",
    # "OUTPUT": "2.50", "TAKEN_ON": "2026-12-01"}}}.
    "TEXT_MODELS": {},
    # Alt text, description and focal point suggested by one text-model call per version
    # (services/descriptions.py, docs/editors.md).
    "DESCRIPTIONS": {
        # Describe every finished generation (after it, in its own task).
        "AUTO": True,
        "MODEL": "gemini-3.1-flash-lite",
        # Provider alias (None: DEFAULT_PROVIDER); it must speak the Gemini wire format.
        "PROVIDER": None,
        # Language codes of the alt text; None: the codes of LANGUAGES when the site set
        # its own, else LANGUAGE_CODE.
        "LANGUAGES": None,
        # Pages may use a suggestion no editor has accepted yet (else alt="" until then).
        "USE_UNREVIEWED": False,
        "THINKING_LEVEL": "minimal",
        # Longest suggested alt text (characters).
        "MAX_ALT_CHARS": 150,
    },
    # A visible label under {% nanobanana_picture %} of AI-generated images (per tag:
    # ai_label=True/False/"text"). TEXT None: "AI-generated", translated.
    "AI_LABEL": {"ENABLED": False, "TEXT": None},
    # Sign every rendition with the site's own C2PA certificate, the original (with the
    # provider's manifest) as its ingredient (needs c2pa-python). None: unsigned. Keys:
    # CERT_CHAIN and PRIVATE_KEY (PEM text or file paths), ALG ("ES256"), TSA_URL,
    # CLAIM_GENERATOR.
    "C2PA_SIGNING": None,
    # Access (docs/access.md): spending money (a new image, regenerate, edit) needs the
    # ``nanobanana.generate`` permission on every surface. False: every authenticated user
    # may generate; budgets are then the only limit (system check nanobanana.W010).
    "REQUIRE_GENERATE_PERMISSION": True,
    # Admin: how often (seconds) the change page polls an image's state while a version is
    # queued or running (or a new overlay is being rendered).
    "ADMIN_STATUS_POLL_SECONDS": 2.0,
}


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict) and key != "PROVIDERS":
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


class NanobananaSettings:
    """Attribute access to ``settings.NANOBANANA`` merged over :data:`DEFAULTS`."""

    def __init__(self) -> None:
        self._cache: dict[str, Any] | None = None

    def _load(self) -> dict[str, Any]:
        if self._cache is None:
            user = getattr(settings, "NANOBANANA", None) or {}
            unknown = set(user) - set(DEFAULTS)
            merged = _merge(DEFAULTS, user)
            merged["_UNKNOWN_KEYS"] = sorted(unknown)
            # Each entry as written, so a provider can refuse options it does not know.
            merged["_RAW_PROVIDERS"] = copy.deepcopy(merged.get("PROVIDERS") or {})
            merged["PROVIDERS"] = {
                alias: _merge(PROVIDER_DEFAULTS, entry or {})
                for alias, entry in (merged.get("PROVIDERS") or {}).items()
            }
            self._cache = merged
        return self._cache

    def reload(self) -> None:
        self._cache = None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        data = self._load()
        try:
            return data[name]
        except KeyError:
            raise AttributeError(f"NANOBANANA has no setting {name!r}") from None

    def provider_config(self, alias: str | None = None) -> dict[str, Any]:
        """The merged configuration of one provider entry (the default one by default)."""
        alias = alias or self.DEFAULT_PROVIDER
        try:
            return self.PROVIDERS[alias]
        except KeyError:
            raise KeyError(f"unknown provider alias {alias!r}") from None

    def api_key(self, alias: str | None = None) -> str | None:
        """The API key of a provider: ``API_KEY`` if set, else the ``API_KEY_ENV`` variable."""
        config = self.provider_config(alias)
        if config.get("API_KEY"):
            return str(config["API_KEY"])
        env = config.get("API_KEY_ENV")
        return (os.environ.get(env) or None) if env else None


nanobanana_settings = NanobananaSettings()


@receiver(setting_changed)
def _reload_settings(*, setting: str, **kwargs: Any) -> None:
    if setting == "NANOBANANA":
        nanobanana_settings.reload()
