"""Settings for writing the OpenAPI schema of the docs (scripts/mkdocs_hooks.py).

The test settings (the API mounted at /api/nanobanana/, as the README shows) with the
schema described as the API's own schema view describes it
(``django_nanobanana.api.schema.SchemaView.custom_settings``), versioned as the package.
"""

from django_nanobanana import __version__
from tests.settings import *  # noqa: F403

SPECTACULAR_SETTINGS = {
    "TITLE": "django-nanobanana API",
    "DESCRIPTION": (
        "Generate, edit and regenerate images with Google's Gemini image models, lay text "
        "overlays over them, and read usage and budgets. Every error has the shape "
        '{"error": {"code", "message", "field_errors"}}; see the REST API page.'
    ),
    "VERSION": __version__,
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {"StateEnum": "django_nanobanana.models.assets.State"},
}
