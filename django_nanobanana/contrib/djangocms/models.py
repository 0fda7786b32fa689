"""The django CMS plugin's model (only defined when django CMS is installed, so that the
app still loads and its system check can report the missing extra)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from .. import is_available

if is_available("cms"):
    from cms.models import CMSPlugin

    from ...fields import GeneratedAssetField

    class GeneratedAssetPluginModel(CMSPlugin):
        """A generated image placed in a placeholder, with how to render it."""

        class Loading(models.TextChoices):
            LAZY = "lazy", _("Lazy (below the fold)")
            EAGER = "eager", _("Eager (above the fold)")

        asset = GeneratedAssetField(verbose_name=_("image"))
        sizes = models.CharField(
            _("sizes"),
            max_length=200,
            default="100vw",
            help_text=_("The <picture>'s sizes attribute, e.g. “(min-width: 60rem) 50vw, 100vw”."),
        )
        alt_text = models.CharField(
            _("alt text"),
            max_length=500,
            blank=True,
            help_text=_("Leave empty to use the image's own alt text."),
        )
        caption = models.CharField(_("caption"), max_length=500, blank=True)
        css_class = models.CharField(_("CSS class"), max_length=200, blank=True)
        loading = models.CharField(
            _("loading"), max_length=8, choices=Loading.choices, default=Loading.LAZY
        )

        class Meta:
            verbose_name = _("generated image")
            verbose_name_plural = _("generated images")

        def __str__(self) -> str:
            return str(self.asset) if self.asset_id else str(_("(no image)"))
