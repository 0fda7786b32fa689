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

The form field accepts only images the editor may see (:mod:`django_nanobanana.access`)
once it knows the editor: forms with a ``for_user`` attribute (Wagtail's) do this by
themselves; otherwise call :func:`limit_to_user` on the form (the django CMS plugin does),
or mix :class:`GeneratedAssetFieldsAdminMixin` into a ``ModelAdmin``.
"""

from __future__ import annotations

from typing import Any

from django import forms
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
        # Models modules (yours, the CMS plugin's) import this module while the app registry
        # loads: the widget (which imports the models and the chooser) only when used.
        from .widgets import GeneratedAssetChooserWidget

        kwargs.setdefault("widget", GeneratedAssetChooserWidget)
        kwargs.setdefault("form_class", GeneratedAssetChoiceField)
        return super().formfield(**kwargs)


class GeneratedAssetChoiceField(forms.ModelChoiceField):
    """A generated image; :meth:`limit_to_user` narrows the choice to what a user may see.

    A form that knows its user as ``for_user`` (Wagtail's admin forms, page forms
    included) limits the field by itself."""

    def get_bound_field(self, form: forms.BaseForm, field_name: str) -> Any:
        user = getattr(form, "for_user", None)
        if user is not None and getattr(self, "_limited_for", None) is not user:
            self.limit_to_user(user, keep=form.initial.get(field_name))
            self._limited_for = user
        return super().get_bound_field(form, field_name)

    def limit_to_user(self, user: Any, *, keep: Any = None) -> None:
        """Accept only images ``user`` may see (and ``keep``, the value already saved, so
        that editing a form someone else filled in does not fail on it)."""
        from .models import GeneratedAsset  # app-registry timing, as in formfield()

        visible = GeneratedAsset.objects.visible_to(user)
        if keep not in (None, ""):
            visible = visible | GeneratedAsset.objects.filter(pk=getattr(keep, "pk", keep))
        self.queryset = visible
        from .widgets import GeneratedAssetChooserWidget  # see formfield()

        # The admin wraps widgets (RelatedFieldWidgetWrapper): the chooser may be inside.
        for widget in (self.widget, getattr(self.widget, "widget", None)):
            if isinstance(widget, GeneratedAssetChooserWidget):
                widget.user = user


def limit_to_user(form: forms.BaseForm, user: Any) -> None:
    """Limit every generated-image field of ``form`` to the images ``user`` may see."""
    for name, field in form.fields.items():
        if isinstance(field, GeneratedAssetChoiceField):
            field.limit_to_user(user, keep=form.initial.get(name))


class GeneratedAssetFieldsAdminMixin:
    """For a ``ModelAdmin`` of a model with :class:`GeneratedAssetField`: its forms accept
    only images the editor may see."""

    def get_form(self, request: Any, obj: Any = None, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, **kwargs)  # type: ignore[misc]
        user = request.user

        class LimitedForm(form):  # type: ignore[misc, valid-type]
            def __init__(self, *args: Any, **kw: Any) -> None:
                super().__init__(*args, **kw)
                limit_to_user(self, user)

        LimitedForm.__name__ = form.__name__
        return LimitedForm
