"""Building providers against the fake server, without going through settings."""

from __future__ import annotations

import base64
import io
from typing import Any

from PIL import Image

from django_nanobanana.conf import PROVIDER_DEFAULTS, _merge
from django_nanobanana.providers.gemini import GeminiProvider
from django_nanobanana.providers.openai_compat import OpenAICompatibleProvider

MODEL = "gemini-nano-banana-2.1"


def config(server: Any, **overrides: Any) -> dict[str, Any]:
    base = {
        "BASE_URL": server.base_url,
        "API_KEY": server.api_key,
        "API_KEY_ENV": None,
        "TIMEOUT": {"connect": 2.0, "read": 10.0, "write": 10.0, "pool": 2.0},
    }
    return _merge(PROVIDER_DEFAULTS, _merge(base, overrides))


def gemini(server: Any, **overrides: Any) -> GeminiProvider:
    return GeminiProvider("gemini", config(server, **overrides), api_key=server.api_key)


def openai(server: Any, **overrides: Any) -> OpenAICompatibleProvider:
    overrides.setdefault(
        "BACKEND", "django_nanobanana.providers.openai_compat.OpenAICompatibleProvider"
    )
    return OpenAICompatibleProvider("wrapper", config(server, **overrides), api_key=server.api_key)


def png(width: int = 64, height: int = 64, colour: tuple = (200, 30, 30), noise: int = 0) -> bytes:
    image = Image.new("RGB", (width, height), colour)
    if noise:
        image = Image.frombytes("RGB", (width, height), _noise(width * height * 3, noise))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _noise(n: int, seed: int) -> bytes:
    import random

    return random.Random(seed).randbytes(n)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
