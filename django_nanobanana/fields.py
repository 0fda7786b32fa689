"""``GeneratedAssetField``: place a generated image on your own models.

::

    from django_nanobanana.fields import GeneratedAssetField

    class Article(models.Model):
        hero = GeneratedAssetField(verbose_name="hero image")

It is a ``ForeignKey`` to :class:`~django_nanobanana.models.GeneratedAsset`, optional by
default (``null=True, blank=True``) with ``on_delete=SET_NULL``: deleting an image leaves
the page without it rather than deleting the page. A required field (``null=False``)
defaults to ``on_delete=PROTECT`` instead, so an image in use cannot be deleted.
In forms it uses :class:`~django_nanobanana.widgets.GeneratedAssetChooserWidget` (search,
thumbnails, "Generate new" in a popup); Wagtail's admin uses its own chooser instead when
``django_nanobanana.contrib.wagtail`` is installed.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

ASSET_MODEL = "nanobanana.GeneratedAsset"


class GeneratedAssetField(models.ForeignKey):
    description = _("A generated image")

    def __init__(self, to: str = ASSET_MODEL, on_delete: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", kwargs["null"])
        kwargs.setdefault("related_name", "+")
        kwargs.setdefault("verbose_name", _("image"))
        if on_delete is None:
            on_delete = models.SET_NULL if kwargs["null"] else models.PROTECT
        super().__init__(to, on_delete=on_delete, **kwargs)

    def deconstruct(self) -> tuple[str, str, list[Any], dict[str, Any]]:
        name, _path, args, kwargs = super().deconstruct()
        # Always explicit in migrations, so changing a default here never alters a schema.
        return name, "django_nanobanana.fields.GeneratedAssetField", args, kwargs

    def formfield(self, **kwargs: Any) -> Any:
        from .widgets import GeneratedAssetChooserWidget

        kwargs.setdefault("widget", GeneratedAssetChooserWidget)
        return super().formfield(**kwargs)
