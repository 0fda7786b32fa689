"""Who is editing, for the StreamField block.

Wagtail hands a block neither the form nor the user, so a
:class:`~.blocks.GeneratedAssetChooserBlock` cannot ask the access policy by itself whether
the editor may place an image. The Wagtail views that save a page or a snippet run a
``before_create_*`` / ``before_edit_*`` hook first (``wagtail_hooks.py``): it records the
editor here, with the images the object already shows (kept, whoever placed them, as
the form field keeps its saved value). The record lives in a context variable, cleared
when the request finishes, so nothing leaks into the next request of the thread; where no
Wagtail view runs (a shell, a data migration, the site's own code) nothing is recorded and
the block accepts any image, as the model field does outside a form that knows its user.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.core.signals import request_finished
from wagtail.fields import StreamField

from ...models import GeneratedAsset


@dataclass(frozen=True)
class Editor:
    """The user saving the object, and the object as it was (None: a new one)."""

    user: Any
    obj: Any = None

    @cached_property
    def placed(self) -> frozenset[str]:
        """The images (ids) the object showed before: read only when a block asks, so
        opening the editor or saving images the editor may see reads nothing more."""
        return placed_assets(self.obj)


_editor: ContextVar[Editor | None] = ContextVar("nanobanana_wagtail_editor", default=None)


def placed_assets(obj: Any) -> frozenset[str]:
    """Ids of the generated images ``obj``'s StreamFields hold (at any depth)."""
    if obj is None:
        return frozenset()
    found = set()
    for field in obj._meta.get_fields():
        if isinstance(field, StreamField):
            value = field.value_from_object(obj)
            for model, object_id, _path, _content in field.extract_references(value):
                if isinstance(model, type) and issubclass(model, GeneratedAsset):
                    found.add(str(object_id))
    return frozenset(found)


def start(request: Any, obj: Any = None) -> None:
    """Record ``request``'s user as the editor of ``obj`` (None: a new object)."""
    _editor.set(Editor(request.user, obj))


def current() -> Editor | None:
    """The editor of this request, when a Wagtail view recorded one."""
    return _editor.get()


def _finished(**kwargs: Any) -> None:
    _editor.set(None)


request_finished.connect(_finished, dispatch_uid="nanobanana-wagtail-editor")
