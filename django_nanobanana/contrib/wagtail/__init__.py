"""Wagtail integration (extra ``wagtail``; Wagtail 7 and 8).

Add ``"django_nanobanana.contrib.wagtail"`` to ``INSTALLED_APPS`` (after ``wagtail``) to
get: a chooser (search, thumbnails, "Generate new"), the StreamField block
:class:`~django_nanobanana.contrib.wagtail.blocks.GeneratedAssetChooserBlock`, the panel
:class:`~django_nanobanana.contrib.wagtail.panels.GeneratedAssetChooserPanel`, a
"Generated images" section of the Wagtail admin (browse, generate, copy into the image
library) and :func:`~django_nanobanana.contrib.wagtail.images.copy_to_image_library`.

This package imports without Wagtail (so the system check ``nanobanana.E101`` can say
what is missing); its modules raise ``ImproperlyConfigured`` without it.
"""
