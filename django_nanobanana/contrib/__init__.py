"""Optional integrations with existing CMSs, each importable only with its extra installed.

``django_nanobanana.contrib.wagtail`` (extra ``wagtail``) and
``django_nanobanana.contrib.djangocms`` (extra ``cms``). The packages themselves always
import, so that Django can load their app configs and their system checks can report a
missing extra (``nanobanana.E101`` / ``E102``); the modules that use the CMS (blocks,
panels, viewsets, plugins, ...) call :func:`require` first and raise
:class:`~django.core.exceptions.ImproperlyConfigured` with the install command.
"""

from __future__ import annotations

import importlib.util

from django.core.exceptions import ImproperlyConfigured

#: contrib package -> (top-level module it needs, pip extra, product name)
EXTRAS: dict[str, tuple[str, str, str]] = {
    "wagtail": ("wagtail", "wagtail", "Wagtail"),
    "djangocms": ("cms", "cms", "django CMS"),
}


def is_available(module: str) -> bool:
    """Is ``module`` importable (without importing it)?"""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        # ValueError: ``sys.modules[module] is None`` (import blocked) or no __spec__.
        return False


def missing_message(integration: str) -> str:
    module, extra, product = EXTRAS[integration]
    return (
        f"django_nanobanana.contrib.{integration} needs {product} (the Python package "
        f"'{module}'), which is not installed. Install it with: "
        f"pip install 'django-nanobanana[{extra}]'"
    )


def require(integration: str) -> None:
    """Raise :class:`ImproperlyConfigured` unless ``integration``'s package is installed."""
    module = EXTRAS[integration][0]
    if not is_available(module):
        raise ImproperlyConfigured(missing_message(integration))
