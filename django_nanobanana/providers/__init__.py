"""Image providers behind one base class; :func:`get_provider` builds the configured one."""

from __future__ import annotations

from django.utils.module_loading import import_string

from ..conf import nanobanana_settings
from ..exceptions import ConfigurationError
from .base import Provider
from .errors import ProviderError
from .types import BilledAttempt, ImageRequest, ImageResult, ReferenceImage, Usage

__all__ = [
    "BilledAttempt",
    "ImageRequest",
    "ImageResult",
    "Provider",
    "ProviderError",
    "ReferenceImage",
    "Usage",
    "get_provider",
]


def get_provider(alias: str | None = None) -> Provider:
    """The provider configured under ``NANOBANANA["PROVIDERS"][alias]``."""
    alias = alias or nanobanana_settings.DEFAULT_PROVIDER
    try:
        config = nanobanana_settings.provider_config(alias)
    except KeyError:
        known = ", ".join(sorted(nanobanana_settings.PROVIDERS)) or "none"
        raise ConfigurationError(f"Unknown provider {alias!r}; configured: {known}.") from None
    backend = import_string(config["BACKEND"])
    backend.check_options(alias, nanobanana_settings._RAW_PROVIDERS.get(alias) or {})
    return backend(alias, config, api_key=nanobanana_settings.api_key(alias))
