"""Registers the chooser and the "Generated images" section with the Wagtail admin."""

from __future__ import annotations

from typing import Any

from wagtail import hooks

from .viewsets import asset_viewset, chooser_viewset


@hooks.register("register_admin_viewset")
def register_viewsets() -> list[Any]:
    return [chooser_viewset, asset_viewset]
