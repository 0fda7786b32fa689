"""Every fault of the fake server, through the real client: the right outcome, the right
number of attempts, the waits the server asked for (on a fake clock), within the deadline."""

from __future__ import annotations

import time

import pytest

from django_nanobanana.providers import ImageRequest
from django_nanobanana.providers.errors import (
    AuthenticationError,
    DeadlineExceededError,
    InvalidRequestError,
    ModelNotFoundError,
    ProviderConnectionError,
    ProviderTimeoutError,
    QuotaExhaustedError,
    RateLimitError,
    ServerError,
)
from django_nanobanana.providers.retry import RetryPolicy

from .helpers import MODEL, gemini, openai

REQUEST = ImageRequest(prompt="A lighthouse at dawn", model=MODEL, aspect_ratio="16:9")


def test_success_is_one_attempt(fake_gemini, nanobanana_clock):
    result = gemini(fake_gemini).generate(REQUEST)
    assert result.outcome == "succeeded"
    assert result.attempts == 1
    assert nanobanana_clock.sleeps == []


@pytest.mark.parametrize(
    ("fault", "expected_sleep"),
    [
        ({"status": 429, "retry_delay": "7s", "retry_after": 3}, 7.0),  # the longer of the two
        ({"status": 429, "retry_delay": "2s", "retry_after": 5}, 5.0),
        ({"status": 429, "retry_delay": "12.5s"}, 12.5),
        ({"status": 429, "retry_after": 3}, 3.0),
        ({"status": 503, "retry_after": 4}, 4.0),
    ],
)
def test_server_delays_are_honoured_exactly(fake_gemini, nanobanana_clock, fault, expected_sleep):
    fake_gemini.add_faults([fault])
    result = gemini(fake_gemini).generate(REQUEST)
    assert result.outcome == "succeeded"
    assert result.attempts == 2
    assert nanobanana_clock.sleeps == [expected_sleep]
    assert len(fake_gemini.generate_requests()) == 2


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_retryable_statuses_back_off_with_full_jitter(fake_gemini, nanobanana_clock, status):
    fake_gemini.add_faults([{"status": status, "repeat": 3}])
    provider = gemini(fake_gemini, RETRY={"INITIAL_BACKOFF": 2.0, "MAX_BACKOFF": 5.0})
    result = provider.generate(REQUEST)
    assert result.outcome == "succeeded"
    assert result.attempts == 4
    caps = [2.0, 4.0, 5.0]  # initial * 2**(n-1), capped by MAX_BACKOFF
    assert len(nanobanana_clock.sleeps) == 3
    for slept, cap in zip(nanobanana_clock.sleeps, caps, strict=True):
        assert 0 <= slept <= cap


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ({"status": 400}, InvalidRequestError),
        ({"status": 401}, AuthenticationError),
        ({"status": 403}, AuthenticationError),
        ({"status": 404}, ModelNotFoundError),
    ],
)
def test_client_errors_are_never_retried(fake_gemini, nanobanana_clock, fault, error):
    fake_gemini.add_faults([fault])
    with pytest.raises(error) as caught:
        gemini(fake_gemini).generate(REQUEST)
    assert caught.value.attempts == 1
    assert caught.value.status_code == fault["status"]
    assert nanobanana_clock.sleeps == []
    assert len(fake_gemini.generate_requests()) == 1


def test_wrong_key_fails_fast_as_api_key_invalid(fake_gemini, nanobanana_clock):
    provider = gemini(fake_gemini)
    provider.api_key = "wrong-key-0123456789"
    with pytest.raises(AuthenticationError) as caught:
        provider.generate(REQUEST)
    assert caught.value.reason == "API_KEY_INVALID"
    assert caught.value.attempts == 1


def test_per_day_quota_fails_fast_with_a_clear_reason(fake_gemini, nanobanana_clock):
    fake_gemini.add_faults([{"status": 429, "quota": "per_day", "retry_delay": "30s"}])
    with pytest.raises(QuotaExhaustedError) as caught:
        gemini(fake_gemini).generate(REQUEST)
    assert caught.value.reason == "QUOTA_EXHAUSTED_PER_DAY"
    assert not caught.value.retryable
    assert "daily quota" in str(caught.value)
    assert caught.value.attempts == 1
    assert nanobanana_clock.sleeps == []


def test_per_minute_quota_is_a_retryable_rate_limit(fake_gemini, nanobanana_clock):
    fake_gemini.add_faults(
        [{"status": 429, "quota": "per_minute", "retry_delay": "1s", "repeat": 9}]
    )
    with pytest.raises(RateLimitError) as caught:
        gemini(fake_gemini, RETRY={"MAX_ATTEMPTS": 3}).generate(REQUEST)
    assert caught.value.attempts == 3
    assert nanobanana_clock.sleeps == [1.0, 1.0]
    assert len(fake_gemini.generate_requests()) == 3


def test_max_attempts_bounds_the_retries(fake_gemini, nanobanana_clock):
    fake_gemini.add_faults([{"status": 503, "repeat": 10}])
    with pytest.raises(ServerError) as caught:
        gemini(fake_gemini, RETRY={"MAX_ATTEMPTS": 4}).generate(REQUEST)
    assert caught.value.attempts == 4
    assert len(fake_gemini.generate_requests()) == 4


def test_a_server_delay_past_the_deadline_fails_instead_of_sleeping(fake_gemini, nanobanana_clock):
    fake_gemini.add_faults([{"status": 429, "retry_delay": "100s"}])
    with pytest.raises(RateLimitError) as caught:
        gemini(fake_gemini, RETRY={"DEADLINE": 30}).generate(REQUEST)
    assert nanobanana_clock.sleeps == []
    assert caught.value.attempts == 1
    assert "deadline" in str(caught.value)


def test_backoff_never_passes_the_deadline(fake_gemini, nanobanana_clock):
    fake_gemini.add_faults([{"status": 503, "repeat": 50}])
    started = nanobanana_clock.monotonic()
    provider = gemini(
        fake_gemini,
        RETRY={"MAX_ATTEMPTS": 50, "INITIAL_BACKOFF": 4, "MAX_BACKOFF": 8, "DEADLINE": 20},
    )
    with pytest.raises(ServerError) as caught:
        provider.generate(REQUEST)
    assert sum(nanobanana_clock.sleeps) <= 20
    assert nanobanana_clock.monotonic() - started <= 20
    assert 1 < caught.value.attempts < 50


def test_connection_reset_is_retried(fake_gemini, nanobanana_clock):
    fake_gemini.add_faults([{"kind": "reset"}])
    result = gemini(fake_gemini).generate(REQUEST)
    assert result.outcome == "succeeded"
    assert result.attempts == 2


def test_connection_reset_every_time_ends_as_a_connection_error(fake_gemini, nanobanana_clock):
    fake_gemini.add_faults([{"kind": "reset", "repeat": 3}])
    with pytest.raises(ProviderConnectionError) as caught:
        gemini(fake_gemini, RETRY={"MAX_ATTEMPTS": 3}).generate(REQUEST)
    assert caught.value.attempts == 3


def test_a_hang_past_the_read_timeout_is_retried(fake_gemini, nanobanana_clock):
    fake_gemini.add_faults([{"kind": "hang", "seconds": 10}])
    # 1.5 s: long enough for a normal answer on a loaded test machine.
    provider = gemini(fake_gemini, TIMEOUT={"read": 1.5})
    started = time.monotonic()
    result = provider.generate(REQUEST)
    assert result.outcome == "succeeded"
    assert result.attempts == 2
    assert time.monotonic() - started < 8


def test_a_hang_cannot_hold_the_call_past_its_deadline(fake_gemini):
    """Real clock: the read timeout (120 s) is capped by the 1 s deadline."""
    fake_gemini.add_faults([{"kind": "hang", "seconds": 10, "repeat": 5}])
    provider = gemini(fake_gemini, TIMEOUT={"read": 120}, RETRY={"DEADLINE": 1.0})
    started = time.monotonic()
    with pytest.raises((ProviderTimeoutError, DeadlineExceededError)):
        provider.generate(REQUEST)
    assert time.monotonic() - started < 3


@pytest.mark.parametrize("kind", ["malformed_json", "truncated_base64"])
def test_a_broken_200_is_retried(fake_gemini, nanobanana_clock, kind):
    fake_gemini.add_faults([{"kind": kind}])
    result = gemini(fake_gemini).generate(REQUEST)
    assert result.outcome == "succeeded"
    assert result.attempts == 2
    assert result.image.endswith(b"IEND\xaeB`\x82")


def test_non_json_error_body_is_handled(fake_gemini, nanobanana_clock):
    fake_gemini.add_faults(
        [{"status": 502, "body": "<html><h1>502 Bad Gateway</h1></html>", "repeat": 2}]
    )
    with pytest.raises(ServerError) as caught:
        gemini(fake_gemini, RETRY={"MAX_ATTEMPTS": 2}).generate(REQUEST)
    assert "502 Bad Gateway" in caught.value.message
    assert caught.value.status_code == 502


@pytest.mark.parametrize(
    ("fault", "outcome", "reason"),
    [
        ({"kind": "no_image", "finish_reason": "NO_IMAGE"}, "failed", "NO_IMAGE"),
        ({"kind": "no_image", "finish_reason": "IMAGE_OTHER"}, "failed", "IMAGE_OTHER"),
        ({"kind": "no_image", "finish_reason": "MAX_TOKENS"}, "failed", "MAX_TOKENS"),
        ({"kind": "no_image", "finish_reason": "STOP"}, "failed", "STOP"),
        ({"kind": "block", "block_reason": "SAFETY"}, "blocked", "SAFETY"),
        ({"kind": "block", "block_reason": "PROHIBITED_CONTENT"}, "blocked", "PROHIBITED_CONTENT"),
        ({"kind": "finish", "finish_reason": "IMAGE_SAFETY"}, "blocked", "IMAGE_SAFETY"),
        (
            {"kind": "finish", "finish_reason": "IMAGE_PROHIBITED_CONTENT"},
            "blocked",
            "IMAGE_PROHIBITED_CONTENT",
        ),
    ],
)
def test_outcomes_without_an_image(fake_gemini, nanobanana_clock, fault, outcome, reason):
    fake_gemini.add_faults([fault])
    result = gemini(fake_gemini).generate(REQUEST)
    assert result.outcome == outcome
    assert result.image is None
    assert result.attempts == 1  # an answer, not a fault: not retried
    if outcome == "blocked":
        assert result.block_reason == reason
    else:
        assert result.finish_reason == reason
        assert "no image" in result.reason
    with pytest.raises(Exception, match=reason if outcome == "blocked" else "no image"):
        result.raise_for_outcome()


def test_safety_settings_are_sent_and_validated(fake_gemini, nanobanana_clock):
    from django_nanobanana.exceptions import RequestValidationError

    provider = gemini(fake_gemini, SAFETY_SETTINGS={"HARASSMENT": "block_only_high"})
    provider.generate(REQUEST)
    sent = fake_gemini.generate_requests()[-1].body
    assert sent["safetySettings"] == [
        {"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_ONLY_HIGH"}
    ]
    with pytest.raises(RequestValidationError, match="BLOCK_NONE"):
        provider.generate(
            ImageRequest(prompt="x", model=MODEL, safety_settings={"HARASSMENT": "SOMETIMES"})
        )
    assert len(fake_gemini.generate_requests()) == 1


# -- the same faults through the OpenAI-compatible provider ------------------------------------
def test_openai_compat_generates_with_the_registry_size(fake_gemini, nanobanana_clock):
    result = openai(fake_gemini).generate(REQUEST)
    assert result.outcome == "succeeded"
    sent = fake_gemini.generate_requests()[-1]
    assert sent.path == "/v1/images/generations"
    assert sent.body == {
        "model": MODEL,
        "prompt": REQUEST.prompt,
        "size": "1376x768",
        "n": 1,
        "response_format": "b64_json",
    }
    assert sent.headers["authorization"] == "Bearer [present]"
    assert result.usage.output_image_tokens == 1120


@pytest.mark.parametrize(
    ("fault", "sleeps"),
    [
        ({"status": 429, "retry_after": 3}, [3.0]),
        ({"status": 500, "retry_after": 1}, [1.0]),
        ({"kind": "reset"}, None),
        ({"kind": "malformed_json"}, None),
        ({"kind": "truncated_base64"}, None),
    ],
)
def test_openai_compat_retries(fake_gemini, nanobanana_clock, fault, sleeps):
    fake_gemini.add_faults([fault])
    result = openai(fake_gemini).generate(REQUEST)
    assert result.outcome == "succeeded"
    assert result.attempts == 2
    if sleeps is not None:
        assert nanobanana_clock.sleeps == sleeps


def test_openai_compat_outcomes_and_final_errors(fake_gemini, nanobanana_clock):
    fake_gemini.add_faults(
        [{"kind": "block"}, {"kind": "no_image"}, {"status": 429, "quota": "per_day"}]
    )
    provider = openai(fake_gemini)
    blocked = provider.generate(REQUEST)
    assert (blocked.outcome, blocked.block_reason) == ("blocked", "CONTENT_POLICY_VIOLATION")
    assert provider.generate(REQUEST).outcome == "failed"
    with pytest.raises(QuotaExhaustedError) as caught:
        provider.generate(REQUEST)
    assert caught.value.attempts == 1
    provider.api_key = "not-the-key-123456"
    with pytest.raises(AuthenticationError):
        provider.generate(REQUEST)


def test_retry_policy_from_settings():
    policy = RetryPolicy.from_config({"MAX_ATTEMPTS": 0, "DEADLINE": 9})
    assert policy.max_attempts == 1
    assert policy.deadline == 9
