"""No log line, exception message, repr or logged request ever contains the key or token."""

from __future__ import annotations

import logging

import pytest

from django_nanobanana.providers import ImageRequest
from django_nanobanana.providers.errors import ProviderError
from django_nanobanana.testing.fake_gemini import FakeGeminiServer

from .helpers import MODEL, gemini, openai

SECRET = "AIzaSy-very-secret-key-0123456789"

ALL_FAULTS = [
    {"status": 429, "retry_delay": "1s", "retry_after": 1},
    {"status": 429, "quota": "per_day"},
    {"status": 500},
    {"status": 502, "body": "<html>proxy</html>"},
    {"status": 503},
    {"status": 504},
    {"status": 400},
    {"status": 401},
    {"status": 403},
    {"status": 404},
    {"kind": "reset"},
    {"kind": "hang", "seconds": 2},
    {"kind": "malformed_json"},
    {"kind": "truncated_base64"},
    {"kind": "no_image"},
    {"kind": "block"},
    {"kind": "finish", "finish_reason": "IMAGE_SAFETY"},
]


@pytest.fixture
def secret_server():
    server = FakeGeminiServer(api_key=SECRET).start()
    yield server
    server.stop()


def test_the_key_never_leaks(secret_server, nanobanana_clock, caplog):
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    for make in (gemini, openai):
        provider = make(secret_server, TIMEOUT={"read": 0.5}, RETRY={"MAX_ATTEMPTS": 2})
        seen.append(repr(provider))
        for fault in ALL_FAULTS:
            secret_server.add_faults([fault])
            try:
                result = provider.generate(ImageRequest(prompt="x", model=MODEL))
            except ProviderError as exc:
                seen += [str(exc), repr(exc), exc.message, str(exc.args)]
            else:
                seen += [repr({k: v for k, v in result.__dict__.items() if k != "image"})]
        provider.api_key = "wrong-" + SECRET  # the key appears in no echo of a bad key
        with pytest.raises(ProviderError) as caught:
            provider.generate(ImageRequest(prompt="x", model=MODEL))
        seen += [str(caught.value), repr(caught.value)]
    seen.append(repr(secret_server.requests))
    seen.append(caplog.text)
    assert len(secret_server.generate_requests()) > 2 * len(ALL_FAULTS)
    assert "attempt" in caplog.text  # the retry log did run
    for text in seen:
        assert SECRET not in text


def test_redaction_of_echoed_keys():
    from django_nanobanana.providers.gemini import parse_google_error as error_from_response

    body = f'{{"error": {{"code": 400, "message": "bad key {SECRET}"}}}}'
    error = error_from_response(400, body, {}, secrets=[SECRET])
    assert SECRET not in str(error) and "[redacted]" in str(error)
