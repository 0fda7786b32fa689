"""The error hierarchy, the capabilities registry, and the fake server's fault script."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from decimal import Decimal

import httpx
import pytest

from django_nanobanana.exceptions import RequestValidationError
from django_nanobanana.providers.errors import (
    AuthenticationError,
    QuotaExhaustedError,
    RateLimitError,
    ServerError,
)
from django_nanobanana.providers.gemini import parse_google_error as error_from_response
from django_nanobanana.providers.models_registry import get_model
from django_nanobanana.providers.openai_compat import (
    parse_openai_error as error_from_openai_response,
)
from django_nanobanana.testing.fake_gemini import load_faults


def google(code, status, message="m", details=None):
    return json.dumps(
        {"error": {"code": code, "status": status, "message": message, "details": details or []}}
    )


def test_google_errors_carry_status_reason_request_id_and_delay():
    error = error_from_response(
        429,
        google(
            429,
            "RESOURCE_EXHAUSTED",
            details=[{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "47s"}],
        ),
        {"x-request-id": "abc", "retry-after": "3"},
        provider="gemini",
    )
    assert isinstance(error, RateLimitError) and error.retryable
    assert (error.status_code, error.reason, error.request_id, error.retry_after) == (
        429,
        "RESOURCE_EXHAUSTED",
        "abc",
        47.0,
    )
    assert error.provider == "gemini"


def test_per_day_quota_is_final():
    error = error_from_response(
        429,
        google(
            429,
            "RESOURCE_EXHAUSTED",
            details=[
                {
                    "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                    "violations": [{"quotaId": "GenerateRequestsPerDayPerProjectPerModel"}],
                }
            ],
        ),
        {},
    )
    assert isinstance(error, QuotaExhaustedError) and not error.retryable
    assert error.retry_after is None


@pytest.mark.parametrize("body", ["<html>Bad Gateway</html>", "", "upstream connect error"])
def test_non_json_bodies(body):
    error = error_from_response(503, body, {"retry-after": "2"})
    assert isinstance(error, ServerError)
    assert error.retry_after == 2.0
    assert error.message


def test_openai_shaped_errors():
    body = json.dumps(
        {"error": {"message": "slow down", "type": "requests", "code": "rate_limit_exceeded"}}
    )
    error = error_from_openai_response(429, body, {"retry-after-ms": "1500"})
    assert isinstance(error, RateLimitError) and error.retry_after == 1.5
    body = json.dumps(
        {
            "error": {
                "message": "no money",
                "type": "insufficient_quota",
                "code": "insufficient_quota",
            }
        }
    )
    assert isinstance(error_from_openai_response(429, body, {}), QuotaExhaustedError)
    assert isinstance(error_from_openai_response(401, "nope", {}), AuthenticationError)


def test_validation_names_the_allowed_values():
    model = get_model("gemini-3-pro-image")
    with pytest.raises(RequestValidationError) as caught:
        model.validate(aspect_ratio="4:1", image_size="512", reference_count=15)
    errors = caught.value.field_errors
    assert "allowed: 1:1, 2:3" in errors["aspect_ratio"][0]
    assert "allowed: 1K, 2K, 4K" in errors["image_size"][0]
    assert "at most 14" in errors["references"][0]


def test_registry_has_tokens_prices_and_dates():
    flash = get_model("gemini-3.1-flash-image")
    assert dict(flash.output_image_tokens) == {"512": 747, "1K": 1120, "2K": 1680, "4K": 2520}
    assert flash.image_cost("4K") == Decimal("0.151200")
    assert flash.prices.taken_on == dt.date(2026, 11, 30)
    assert get_model("gemini-2.5-flash-image").max_reference_images == 3
    nano = get_model("gemini-nano-banana-2.1")
    # 0.0336 / 0.0504 / 0.1134 per image at 30 USD per million image tokens (reference)
    assert [nano.image_cost(s) for s in ("1K", "2K", "4K")] == [
        Decimal("0.033600"),
        Decimal("0.050400"),
        Decimal("0.113400"),
    ]
    assert nano.image_sizes == ("1K", "2K", "4K") and nano.default_thinking_level == "medium"
    assert get_model("gemini-3.1-flash-lite-image").image_sizes == ("1K",)


def test_registry_overrides_from_settings(settings):
    settings.NANOBANANA = {
        "MODELS": {
            "gemini-nano-banana-2.2": {
                "BASED_ON": "gemini-nano-banana-2.1",
                "PRICES": {"OUTPUT_IMAGE": "50", "TAKEN_ON": "2027-01-02"},
                "MAX_REFERENCE_IMAGES": 6,
                "RELEASED": "2027-01-01",
            }
        }
    }
    model = get_model("gemini-nano-banana-2.2")
    assert model.prices.output_image == Decimal("50")
    assert model.prices.taken_on == dt.date(2027, 1, 2)
    assert model.released == dt.date(2027, 1, 1)
    assert model.max_reference_images == 6
    assert model.aspect_ratios == get_model("gemini-nano-banana-2.1").aspect_ratios


# -- the fault script -------------------------------------------------------------------------
def test_faults_are_consumed_in_order_then_normal_answers(fake_gemini):
    fake_gemini.add_faults([{"status": 503}, {"status": 429, "retry_after": 7}])
    url = f"{fake_gemini.base_url}/v1beta/models/gemini-2.5-flash-image:generateContent"
    body = {"contents": [{"role": "user", "parts": [{"text": "x"}]}]}
    headers = {"x-goog-api-key": fake_gemini.api_key}
    statuses = [httpx.post(url, json=body, headers=headers).status_code for _ in range(3)]
    assert statuses == [503, 429, 200]
    logged = fake_gemini.generate_requests()
    assert [r.fault and r.fault["status"] for r in logged] == [503, 429, None]


def test_unknown_faults_are_refused(fake_gemini):
    with pytest.raises(ValueError, match="unknown fault"):
        fake_gemini.add_faults([{"kind": "explode"}])


@pytest.mark.fake_gemini_faults([{"status": 500}])
def test_fixture_marker_queues_faults(fake_gemini):
    assert [f["status"] for f in fake_gemini.faults] == [500]


def test_load_faults_from_json_or_file(tmp_path):
    path = tmp_path / "faults.json"
    path.write_text('[{"kind": "reset"}]')
    assert load_faults(f"@{path}") == [{"kind": "reset"}]
    assert load_faults('{"status": 503}') == [{"status": 503}]


def test_command_line_takes_faults():
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "django_nanobanana.testing.fake_gemini",
            "--port",
            "0",
            "--faults",
            '[{"status": 503, "retry_after": 2}]',
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        base = line.split(" on ")[1].split(" ")[0]
        url = f"{base}/v1beta/models/gemini-2.5-flash-image:generateContent"
        body = {"contents": [{"role": "user", "parts": [{"text": "x"}]}]}
        first = httpx.post(url, json=body, headers={"x-goog-api-key": "fake-gemini-key"})
        second = httpx.post(url, json=body, headers={"x-goog-api-key": "fake-gemini-key"})
        assert (first.status_code, first.headers["retry-after"]) == (503, "2")
        assert second.status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)
