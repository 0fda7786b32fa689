"""The one settings object of django-nanobanana.

Everything is configured through a single dict in the Django settings::

    NANOBANANA = {
        "DEFAULT_MODEL": "gemini-3.1-flash-image-preview",
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
    "API_VERSION": "v1beta",
    # httpx timeouts in seconds: connecting, reading the answer (image models are slow),
    # writing the request (reference images can be large), waiting for a pooled connection.
    "TIMEOUT": {"connect": 10.0, "read": 120.0, "write": 60.0, "pool": 10.0},
    # Models this provider may be asked for; None means every model the registry knows.
    "MODELS": None,
    "EXTRA_HEADERS": {},
}

DEFAULTS: dict[str, Any] = {
    "DEFAULT_PROVIDER": "gemini",
    "DEFAULT_MODEL": "gemini-3.1-flash-image-preview",
    "PROVIDERS": {"gemini": {}},
    # Overrides of the capabilities registry, by model id (see providers/models_registry.py).
    "MODELS": {},
    # STORAGES alias every file goes through, and the folder inside it.
    "STORAGE": "default",
    "UPLOAD_PREFIX": "nanobanana",
    # Safe decoding of provider output and uploads.
    "ALLOWED_INPUT_FORMATS": ("PNG", "JPEG", "WEBP", "AVIF"),
    "MAX_INPUT_PIXELS": 50_000_000,
    "MAX_PROMPT_LENGTH": 8000,
    # Renditions: widths x formats, written after every generation.
    "RENDITION_WIDTHS": (320, 640, 1024, 1600, 2048),
    "RENDITION_FORMATS": ("avif", "webp", "jpeg"),
    "RENDITION_QUALITY": {"avif": 60, "webp": 80, "jpeg": 82},
    "AVIF_SPEED": 8,
    # Work queue.
    "QUEUE_NAME": None,  # django-q2 cluster name (None: the default cluster)
    "TASK_LEASE_SECONDS": 600,
    "MAX_ATTEMPTS": 3,
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
            from django.conf import settings

            user = getattr(settings, "NANOBANANA", None) or {}
            unknown = set(user) - set(DEFAULTS)
            merged = _merge(DEFAULTS, user)
            merged["_UNKNOWN_KEYS"] = sorted(unknown)
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
