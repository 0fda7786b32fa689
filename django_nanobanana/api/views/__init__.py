"""The API's views: validate input, call :mod:`django_nanobanana.services`, answer.

No flow lives here. Authentication: token (when ``rest_framework.authtoken`` is installed)
and session with CSRF, unless the project sets DRF's ``DEFAULT_AUTHENTICATION_CLASSES``,
which are then used instead. Errors: :mod:`..errors`. Permissions: :mod:`..permissions`.

One module per route: :mod:`.assets`, :mod:`.versions`, :mod:`.references`, :mod:`.usage`
and :mod:`.registry` (``models/``); what they share is in :mod:`.base`.
"""

from .assets import AssetViewSet
from .base import APIMixin, annotate_assets, authentication_classes, document, idempotency_key
from .references import ReferenceViewSet
from .registry import ModelsView
from .usage import UsageView
from .versions import VersionViewSet

__all__ = [
    "APIMixin",
    "AssetViewSet",
    "ModelsView",
    "ReferenceViewSet",
    "UsageView",
    "VersionViewSet",
    "annotate_assets",
    "authentication_classes",
    "document",
    "idempotency_key",
]
