"""Models for the integration tests: a plain model and a Wagtail page with both a field and
a StreamField block."""

from django.db import models
from wagtail.admin.panels import FieldPanel
from wagtail.fields import StreamField
from wagtail.models import Page

from django_nanobanana.contrib.wagtail.blocks import GeneratedAssetChooserBlock
from django_nanobanana.contrib.wagtail.panels import GeneratedAssetChooserPanel
from django_nanobanana.fields import GeneratedAssetField


class Article(models.Model):
    title = models.CharField(max_length=100)
    hero = GeneratedAssetField()

    def __str__(self) -> str:
        return self.title


class ImagePage(Page):
    hero = GeneratedAssetField()
    body = StreamField([("image", GeneratedAssetChooserBlock(sizes="50vw"))], blank=True)

    content_panels = [*Page.content_panels, GeneratedAssetChooserPanel("hero"), FieldPanel("body")]
    template = "testapp/image_page.html"
