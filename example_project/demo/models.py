"""The plain-Django demo: an article with a generated hero image."""

from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from django_nanobanana.fields import GeneratedAssetField


class Article(models.Model):
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), unique=True)
    summary = models.TextField(_("summary"), blank=True)
    hero = GeneratedAssetField(verbose_name=_("hero image"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-created_at",)
        verbose_name = _("article")
        verbose_name_plural = _("articles")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("demo:article", args=[self.slug])
