"""The plain-Django chooser: a popup to search and pick generated images, or generate one.

Mount its URLs once, next to the admin::

    path("admin/nanobanana-chooser/", include("django_nanobanana.chooser.urls")),

(any prefix works; the URL names live in the ``nanobanana_chooser`` namespace). The
widget :class:`~django_nanobanana.widgets.GeneratedAssetChooserWidget` opens it. The
helpers here (:func:`visible_assets`, :func:`asset_summary`, :class:`ChooserGenerationForm`,
:func:`queue_generation`) are shared with the Wagtail and django CMS integrations.
"""

from .core import (
    ChooserGenerationForm,
    asset_summary,
    can_generate,
    may_view,
    queue_generation,
    thumbnail_url,
    visible_assets,
)

__all__ = [
    "ChooserGenerationForm",
    "asset_summary",
    "can_generate",
    "may_view",
    "queue_generation",
    "thumbnail_url",
    "visible_assets",
]
