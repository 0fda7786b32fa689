"""Registers the chooser and the "Generated images" section with the Wagtail admin, and
records who edits a page or a snippet for the StreamField block (:mod:`.editing`)."""

from __future__ import annotations

from typing import Any

from wagtail import hooks

from . import editing
from .viewsets import asset_viewset, chooser_viewset


@hooks.register("register_admin_viewset")
def register_viewsets() -> list[Any]:
    return [chooser_viewset, asset_viewset]


# The views that save a page or a snippet run these before they read the form. They return
# None: the view goes on.
@hooks.register("before_create_page")
def editing_new_page(request: Any, parent_page: Any, page_class: Any) -> None:
    editing.start(request)


@hooks.register("before_edit_page")
def editing_page(request: Any, page: Any) -> None:
    editing.start(request, page)


@hooks.register("before_create_snippet")
def editing_new_snippet(request: Any, model: Any) -> None:
    editing.start(request)


@hooks.register("before_edit_snippet")
def editing_snippet(request: Any, instance: Any) -> None:
    editing.start(request, instance)
