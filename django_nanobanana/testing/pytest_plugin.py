"""pytest fixtures shipped with django-nanobanana (registered through the pytest11 entry point).

``fake_gemini``: a running :class:`FakeGeminiServer` for the test.
``nanobanana_fake``: the same server, with ``NANOBANANA`` pointed at it (needs pytest-django's
``settings`` fixture).
``nanobanana_clock``: a :class:`~django_nanobanana.providers.retry.FakeClock` installed as
every provider's clock (and a seeded jitter source), so retries wait without sleeping.
``fake_service_account``: a service-account JSON file (fresh RSA key) whose token endpoint
is the fake server, for the Vertex AI provider.

Faults: ``fake_gemini.add_faults([...])`` in the test, or the marker
``@pytest.mark.fake_gemini_faults([{"status": 503}, ...])``.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .fake_gemini import DEFAULT_API_KEY, FakeGeminiServer


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "fake_gemini_faults(faults): faults the fake_gemini fixture starts with"
    )


@pytest.fixture
def fake_gemini(request: pytest.FixtureRequest) -> Iterator[FakeGeminiServer]:
    server = FakeGeminiServer(api_key=DEFAULT_API_KEY).start()
    marker = request.node.get_closest_marker("fake_gemini_faults")
    if marker is not None:
        server.add_faults(marker.args[0] if marker.args else marker.kwargs["faults"])
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


@pytest.fixture
def nanobanana_clock(monkeypatch: pytest.MonkeyPatch) -> Any:
    """A fake clock for every provider: ``clock.sleeps`` lists the waits, nothing sleeps."""
    from ..providers.base import Provider
    from ..providers.retry import FakeClock

    clock = FakeClock()
    monkeypatch.setattr(Provider, "clock", clock)
    monkeypatch.setattr(Provider, "rng", random.Random(1234))
    return clock


@pytest.fixture
def fake_service_account(fake_gemini: FakeGeminiServer, tmp_path: Path) -> Path:
    """A service-account key file (fresh RSA key) whose ``token_uri`` is the fake server."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    path = tmp_path / "service-account.json"
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "fake-project",
                "private_key_id": "fake-key-id",
                "private_key": pem,
                "client_email": "nanobanana@fake-project.iam.gserviceaccount.com",
                "client_id": "1",
                "token_uri": f"{fake_gemini.base_url}/token",
            }
        )
    )
    return path
