"""The Wagtail demo page: a generated hero image (field + panel) and a StreamField with the
generated-image block. Installed only when Wagtail is (see settings.py)."""

from wagtail.admin.panels import FieldPanel
from wagtail.blocks import RichTextBlock
from wagtail.fields import StreamField
from wagtail.images.blocks import ImageChooserBlock
from wagtail.models import Page

from django_nanobanana.contrib.wagtail.blocks import GeneratedAssetChooserBlock
from django_nanobanana.contrib.wagtail.panels import GeneratedAssetChooserPanel
from django_nanobanana.fields import GeneratedAssetField


class GalleryPage(Page):
    hero = GeneratedAssetField(verbose_name="hero image")
    body = StreamField(
        [
            (
                "generated_image",
                GeneratedAssetChooserBlock(sizes="(min-width: 60rem) 60rem, 100vw"),
            ),
            ("library_image", ImageChooserBlock()),  # e.g. copied with "Copy to image library"
            ("text", RichTextBlock()),
        ],
        blank=True,
    )

    content_panels = [*Page.content_panels, GeneratedAssetChooserPanel("hero"), FieldPanel("body")]
    template = "demo/gallery_page.html"
