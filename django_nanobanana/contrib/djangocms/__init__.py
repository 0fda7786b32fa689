"""django CMS integration (extra ``cms``; django CMS 4 and 5).

Add ``"django_nanobanana.contrib.djangocms"`` to ``INSTALLED_APPS`` (after ``cms``) to get
the "Generated image" plugin: choose an existing generated image or generate a new one,
rendered as a responsive ``<picture>``, with the image's text overlay editable from the
plugin form.

This package imports without django CMS (so the system check ``nanobanana.E102`` can say
what is missing); its modules raise ``ImproperlyConfigured`` without it.
"""
