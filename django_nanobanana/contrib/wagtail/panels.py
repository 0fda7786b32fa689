"""``GeneratedAssetChooserPanel``: the chooser for a ``GeneratedAssetField`` on a page.

::

    content_panels = Page.content_panels + [GeneratedAssetChooserPanel("hero")]

A plain ``FieldPanel("hero")`` works too (the chooser is registered for every foreign key
to ``GeneratedAsset``); this panel also shows a larger preview of the chosen image.
"""

from __future__ import annotations

from typing import Any

from .. import require

require("wagtail")

from wagtail.admin.panels import FieldPanel  # noqa: E402

from .viewsets import chooser_viewset  # noqa: E402


class GeneratedAssetChooserPanel(FieldPanel):
    def __init__(self, field_name: str, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", chooser_viewset.widget_class)
        super().__init__(field_name, *args, **kwargs)
