"""pytest fixtures shipped with django-nanobanana (registered through the pytest11 entry point).

``fake_gemini``: a running :class:`FakeGeminiServer` for the test.
``nanobanana_fake``: the same server, with ``NANOBANANA`` pointed at it (needs pytest-django's
``settings`` fixture).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .fake_gemini import DEFAULT_API_KEY, FakeGeminiServer


@pytest.fixture
def fake_gemini() -> Iterator[FakeGeminiServer]:
    server = FakeGeminiServer(api_key=DEFAULT_API_KEY).start()
    try:
        yield server
    finally:
        server.stop()


def fake_settings(server: FakeGeminiServer, **extra: Any) -> dict[str, Any]:
    """A ``NANOBANANA`` settings dict whose default provider talks to ``server``."""
    provider = {"BASE_URL": server.base_url, "API_KEY": server.api_key, "API_KEY_ENV": None}
    config: dict[str, Any] = {"PROVIDERS": {"gemini": provider}}
    config.update(extra)
    return config


@pytest.fixture
def nanobanana_fake(fake_gemini: FakeGeminiServer, settings: Any) -> FakeGeminiServer:
    current = dict(getattr(settings, "NANOBANANA", {}) or {})
    current.update(fake_settings(fake_gemini))
    settings.NANOBANANA = current
    return fake_gemini
