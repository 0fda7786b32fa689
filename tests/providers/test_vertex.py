"""Vertex AI against the fake server: a real service-account key signs a JWT, the fake's
token endpoint exchanges it for an access token, and the Vertex path checks the bearer."""

from __future__ import annotations

import pytest

from django_nanobanana.providers import ImageRequest, get_provider
from django_nanobanana.providers.errors import AuthenticationError, RateLimitError
from django_nanobanana.providers.vertex import VertexProvider, _credentials

from .helpers import MODEL, config


@pytest.fixture(autouse=True)
def _fresh_credentials():
    _credentials.clear()
    yield
    _credentials.clear()


def vertex(server, sa_path, **overrides):
    values = {
        "BACKEND": "django_nanobanana.providers.vertex.VertexProvider",
        "AUTH": "google-auth",
        "PROJECT": "fake-project",
        "CREDENTIALS_FILE": str(sa_path),
        "API_KEY": None,
        **overrides,
    }
    conf = config(server, **values)
    return VertexProvider("vertex", conf, api_key=None)


def test_vertex_generates_with_a_service_account_token(
    fake_gemini, fake_service_account, nanobanana_clock
):
    provider = vertex(fake_gemini, fake_service_account)
    first = provider.generate(ImageRequest(prompt="a fjord", model=MODEL, aspect_ratio="16:9"))
    second = provider.generate(ImageRequest(prompt="a fjord", model=MODEL))
    assert first.outcome == second.outcome == "succeeded"
    calls = fake_gemini.generate_requests()
    assert [c.path for c in calls] == [
        "/v1beta1/projects/fake-project/locations/global/publishers/google/models/"
        f"{MODEL}:generateContent"
    ] * 2
    assert calls[0].headers["authorization"] == "Bearer [present]"
    assert "x-goog-api-key" not in calls[0].headers
    tokens = [r for r in fake_gemini.requests if r.path == "/token"]
    assert len(tokens) == 1, "the access token is cached until it expires"
    assert tokens[0].body["assertion"] == "[present]"


def test_vertex_is_configured_through_settings(
    fake_gemini, fake_service_account, settings, nanobanana_clock
):
    settings.NANOBANANA = {
        "DEFAULT_PROVIDER": "vertex",
        "PROVIDERS": {
            "vertex": {
                "BACKEND": "django_nanobanana.providers.vertex.VertexProvider",
                "AUTH": "google-auth",
                "BASE_URL": fake_gemini.base_url,
                "PROJECT": "p1",
                "LOCATION": "global",
                "CREDENTIALS_FILE": str(fake_service_account),
                "API_KEY_ENV": None,
            }
        },
    }
    provider = get_provider()
    assert isinstance(provider, VertexProvider)
    assert provider.generate(ImageRequest(prompt="x", model=MODEL)).outcome == "succeeded"


def test_vertex_retries_and_outcomes_are_the_same(
    fake_gemini, fake_service_account, nanobanana_clock
):
    fake_gemini.add_faults(
        [{"status": 429, "retry_delay": "4s"}, {"kind": "finish", "finish_reason": "IMAGE_SAFETY"}]
    )
    provider = vertex(fake_gemini, fake_service_account)
    result = provider.generate(ImageRequest(prompt="x", model=MODEL))
    assert (result.outcome, result.block_reason, result.attempts) == ("blocked", "IMAGE_SAFETY", 2)
    assert nanobanana_clock.sleeps == [4.0]
    fake_gemini.add_faults([{"status": 429, "retry_delay": "500s"}])
    with pytest.raises(RateLimitError):
        provider.generate(ImageRequest(prompt="x", model=MODEL))


def test_a_refused_token_is_an_authentication_error(fake_gemini, fake_service_account):
    fake_gemini.add_faults([{"status": 400, "target": "token"}])
    with pytest.raises(AuthenticationError) as caught:
        vertex(fake_gemini, fake_service_account).generate(ImageRequest(prompt="x", model=MODEL))
    assert caught.value.reason == "TOKEN_REFRESH_FAILED"
    assert fake_gemini.generate_requests() == []


def test_vertex_needs_a_project_and_credentials(fake_gemini, tmp_path):
    provider = vertex(fake_gemini, tmp_path / "missing.json", PROJECT=None)
    with pytest.raises(AuthenticationError, match="PROJECT"):
        provider.generate(ImageRequest(prompt="x", model=MODEL))
    provider = vertex(fake_gemini, tmp_path / "missing.json")
    with pytest.raises(AuthenticationError) as caught:
        provider.generate(ImageRequest(prompt="x", model=MODEL))
    assert caught.value.reason == "NO_CREDENTIALS"


@pytest.mark.parametrize(
    ("location", "host"),
    [
        ("global", "https://aiplatform.googleapis.com"),
        ("us-central1", "https://us-central1-aiplatform.googleapis.com"),
    ],
)
def test_vertex_endpoint(location, host, tmp_path):
    from django_nanobanana.conf import GOOGLE_BASE_URL, PROVIDER_DEFAULTS, _merge

    conf = _merge(
        PROVIDER_DEFAULTS, {"PROJECT": "proj", "LOCATION": location, "BASE_URL": GOOGLE_BASE_URL}
    )
    provider = VertexProvider("v", conf, api_key=None)
    assert provider.endpoint(MODEL) == (
        f"{host}/v1beta1/projects/proj/locations/{location}/publishers/google/models/"
        f"{MODEL}:generateContent"
    )


def test_vertex_refuses_references_too_large_to_inline(fake_gemini, fake_service_account, settings):
    from django_nanobanana.exceptions import RequestValidationError
    from django_nanobanana.providers import ReferenceImage

    with pytest.raises(RequestValidationError, match="through this provider"):
        vertex(fake_gemini, fake_service_account, MAX_INLINE_IMAGE_BYTES=10).generate(
            ImageRequest(
                prompt="x", model=MODEL, references=[ReferenceImage(b"y" * 11, "image/png")]
            )
        )
