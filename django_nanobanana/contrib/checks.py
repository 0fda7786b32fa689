"""System checks shared by the contrib apps: their CMS must be installed."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error

from . import EXTRAS, is_available, missing_message

CHECK_IDS = {"wagtail": "nanobanana.E101", "djangocms": "nanobanana.E102"}


def missing_extra_check(integration: str) -> Any:
    """A check function reporting ``integration``'s missing package (registered by its app)."""

    def check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
        module, extra, _product = EXTRAS[integration]
        if is_available(module):
            return []
        return [
            Error(
                missing_message(integration),
                hint=f"pip install 'django-nanobanana[{extra}]', or remove "
                f"'django_nanobanana.contrib.{integration}' from INSTALLED_APPS.",
                obj=f"django_nanobanana.contrib.{integration}",
                id=CHECK_IDS[integration],
            )
        ]

    check.__name__ = f"nanobanana_{integration}_installed"
    return check
